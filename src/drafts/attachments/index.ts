/**
 * Draft attachments: scanned documents uploaded with tus 1.0.0 beside a draft, resumable from
 * the same device or, through the draft's resume code, from another. Workers-safe: the Node-only
 * adapters live in `redis-records.ts` and `directory-bytes.ts`, imported by the Node entry.
 */
import type { Context } from 'hono';
import type { DraftsConfig } from '../../config/drafts.js';
import { systemClock, type Clock } from '../../platform/clock.js';
import type { SanhEnv } from '../../platform/http.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import type { AttachmentSummary, DraftAccess, DraftAttachments, DraftSealer } from '../access.js';
import type { UploadBytes } from './bytes.js';
import { isExpired, type UploadRecord, type UploadRecords } from './records.js';
import { sweepUploads, type SweepReport } from './sweep.js';
import { openUploadText, tusRoutes, uploadUrl } from './tus.js';

export { createMemoryUploadBytes, type UploadBytes } from './bytes.js';
export { createMemoryUploadRecords, type UploadRecord, type UploadRecords } from './records.js';
export type { SweepReport } from './sweep.js';

/** What the attachments are built from. */
export interface DraftAttachmentsOptions {
  access: DraftAccess;
  records: UploadRecords;
  bytes: UploadBytes;
  config: DraftsConfig;
  clock?: Clock;
  logger?: Logger;
  /** Where `routes` is mounted (default `/_sanh/drafts`); upload URLs start with it. */
  basePath?: string;
  /** How often expired and orphaned uploads are swept (default 5 minutes; 0: never, call `sweep`). */
  sweepIntervalMs?: number;
  /** Bytes without a record are left alone this long (default 5 minutes). */
  orphanGraceMs?: number;
  /** The raw Node request stream when running on Node (faster than the web stream), as `ConnectionInfo.rawBody`. */
  rawBody?: (c: Context<SanhEnv>) => AsyncIterable<Uint8Array> | undefined;
  /**
   * Whether a draft still exists, for the sweep. Give it with the memory records adapter, whose
   * records do not expire with their draft; Redis records need none.
   */
  draftExists?: (draftId: string) => Promise<boolean>;
  /** Seals file names and metadata in the records (they often name the citizen). */
  sealer?: DraftSealer;
}

/** The attachments, with their sweep exposed (tests, operators). */
export interface DraftAttachmentsService extends DraftAttachments {
  /** Deletes expired incomplete uploads and bytes whose draft is gone. Never runs twice at once. */
  sweep(): Promise<SweepReport>;
}

/** Builds the draft attachments: tus routes, the listing the draft view shows, removal and the sweep. */
export function createDraftAttachments(options: DraftAttachmentsOptions): DraftAttachmentsService {
  const { records, bytes } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const basePath = options.basePath ?? '/_sanh/drafts';
  const graceMs = options.orphanGraceMs ?? 300_000;
  const routes = tusRoutes({
    access: options.access,
    records,
    bytes,
    config: options.config,
    clock,
    logger,
    basePath,
    ...(options.rawBody ? { rawBody: options.rawBody } : {}),
    ...(options.sealer ? { sealer: options.sealer } : {}),
  });

  let running: Promise<SweepReport> | undefined;
  function sweep(): Promise<SweepReport> {
    running ??= sweepUploads({ records, bytes, now: clock(), graceMs, ...(options.draftExists ? { draftExists: options.draftExists } : {}) }).finally(() => {
      running = undefined;
    });
    return running;
  }
  const intervalMs = options.sweepIntervalMs ?? 300_000;
  const timer =
    intervalMs > 0
      ? setInterval(() => {
          sweep().then(
            (report) => {
              if (report.expired + report.orphaned > 0) logger.info('swept uploads', { ...report });
            },
            (error: unknown) => logger.warn('upload sweep failed', { error: error instanceof Error ? error.message : String(error) }),
          );
        }, intervalMs)
      : undefined;
  (timer as { unref?: () => void } | undefined)?.unref?.();

  const summary = async (record: UploadRecord): Promise<AttachmentSummary> => ({
    id: record.id,
    name: await openUploadText(options.sealer, record, 'name', record.name),
    type: record.type,
    size: record.size,
    offset: record.offset,
    complete: record.completedAt !== undefined,
    url: uploadUrl(basePath, record.draftId, record.id),
    ...(record.completedAt === undefined ? { expiresAt: new Date(record.expiresAt).toISOString() } : {}),
  });

  return {
    routes,
    sweep,
    async list(draftId) {
      const now = clock();
      return Promise.all((await records.list(draftId)).filter((record) => !isExpired(record, now)).map(summary));
    },
    storedBytes: () => bytes.storedBytes(),
    async removeAll(draftId) {
      await records.removeAll(draftId);
      await bytes.removeDraft(draftId);
    },
    async close() {
      if (timer) clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
