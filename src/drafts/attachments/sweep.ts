import type { UploadBytes } from './bytes.js';
import { isExpired, type UploadRecords } from './records.js';

/** What one sweep deleted. */
export interface SweepReport {
  /** Incomplete uploads past their Upload-Expires: record and bytes. */
  expired: number;
  /** Uploads whose draft is gone: bytes without a record (or whose record outlived its draft, see `draftExists`). */
  orphaned: number;
}

/** What a sweep works with. */
export interface SweepDeps {
  records: UploadRecords;
  bytes: UploadBytes;
  now: number;
  /** Bytes without a record are left alone this long (a creation writes bytes an instant before the record). */
  graceMs: number;
  /**
   * Whether a draft still exists. Needed where records do not expire with their draft by
   * themselves (the memory adapter); Redis records do, so there it may be left out.
   */
  draftExists?: (draftId: string) => Promise<boolean>;
}

/**
 * Walks the bytes the adapter holds and deletes what no one can finish or fetch any more:
 * expired incomplete uploads, bytes whose record is gone and which have not changed for
 * `graceMs`, and uploads of drafts that no longer exist. Several instances may sweep one shared
 * directory at once: every deletion is idempotent, and an expired record is deleted only while
 * its offset is the one seen. A failing store stops the sweep (it throws) rather than taking live
 * bytes for orphans.
 */
export async function sweepUploads(deps: SweepDeps): Promise<SweepReport> {
  const { records, bytes, now, graceMs, draftExists } = deps;
  const report: SweepReport = { expired: 0, orphaned: 0 };
  const alive = new Map<string, boolean>();
  const exists = async (draftId: string) => {
    if (!draftExists) return true;
    const known = alive.get(draftId) ?? (await draftExists(draftId));
    alive.set(draftId, known);
    return known;
  };
  for await (const entry of bytes.list()) {
    const record = await records.get(entry.draftId, entry.uploadId);
    if (!record) {
      if (now - entry.modifiedAt < graceMs) continue;
      await bytes.remove(entry.draftId, entry.uploadId);
      report.orphaned += 1;
    } else if (!(await exists(record.draftId))) {
      await records.remove(record.draftId, record.id);
      await bytes.remove(record.draftId, record.id);
      report.orphaned += 1;
    } else if (isExpired(record, now) && (await records.remove(record.draftId, record.id, { ifOffset: record.offset }))) {
      await bytes.remove(record.draftId, record.id);
      report.expired += 1;
    }
  }
  await bytes.tidy?.(now);
  return report;
}
