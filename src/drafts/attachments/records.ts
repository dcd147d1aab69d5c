/**
 * Upload records: what is known about each tus upload of a draft (its name, type, length, how far
 * it got), without its bytes (`bytes.ts`). Adapters: this process's memory (below) and Redis
 * (`redis-records.ts`, kept apart so the Workers bundle needs no Node built-ins);
 * `records.contract.ts` is what both must do.
 */
import { systemClock, type Clock } from '../../platform/clock.js';

/** How an upload's bytes are sealed at rest (directory adapter): the ring key's id and the AES-CTR IV. */
export interface Sealing {
  keyId: string;
  /** 16 bytes, base64url: the counter block of byte 0. */
  iv: string;
}

/** One tus upload of a draft. Times are ms since the epoch. */
export interface UploadRecord {
  id: string;
  draftId: string;
  /** The file name from the `filename` metadata (cleaned). */
  name: string;
  /** The media type from the `filetype` metadata (lower case, no parameters). */
  type: string;
  /** Upload-Length: the whole file, in bytes. */
  size: number;
  /** Upload-Offset: bytes received and kept so far. */
  offset: number;
  /** The Upload-Metadata header as the client sent it, echoed by HEAD. */
  metadata: string;
  createdAt: number;
  updatedAt: number;
  /** When the upload is deleted if it is still incomplete (Upload-Expires). */
  expiresAt: number;
  /** When the last byte arrived. */
  completedAt?: number;
  /** SHA-256 of the whole file (base64), computed at completion and checked on download. */
  sha256?: string;
  /** Absent when the bytes adapter keeps bytes as they are (memory). */
  sealing?: Sealing;
}

/** What an accepted chunk changes. */
export type UploadProgress = Pick<UploadRecord, 'offset' | 'updatedAt' | 'expiresAt' | 'completedAt' | 'sha256'>;

/** A form's attachment limits that creation checks atomically. */
export interface UploadLimits {
  maxFiles: number;
  maxTotalBytes: number;
}

/** The outcome of creating a record. `files` and `bytes` are what the draft held before. */
export type CreateRecordOutcome =
  | { created: true }
  | { created: false; reason: 'too-many-files' | 'too-many-bytes'; files: number; bytes: number }
  /** The draft no longer exists (Redis: its meta key is gone). */
  | { created: false; reason: 'draft-gone' };

/** The outcome of a claim: `busy` when another writer holds the upload, `moved` when its offset is not the one given. */
export type ClaimOutcome = { claimed: true } | { claimed: false; reason: 'busy' | 'moved'; record: UploadRecord } | { claimed: false; reason: 'missing' };

/** The outcome of a compare-and-set advance. */
export type AdvanceOutcome =
  | { advanced: true; record: UploadRecord }
  /** The stored offset was not the expected one (`record` as stored), or the record is gone (`undefined`). */
  | { advanced: false; record: UploadRecord | undefined };

/** The records port: only what the tus routes, the draft routes and the sweep use. */
export interface UploadRecords {
  /**
   * Adds a record unless the draft would then hold more than `maxFiles` uploads or more than
   * `maxTotalBytes` of Upload-Length together (counting incomplete uploads: their length is
   * reserved). Atomic: of racing creations, only those that fit succeed.
   */
  create(record: UploadRecord, limits: UploadLimits): Promise<CreateRecordOutcome>;
  get(draftId: string, uploadId: string): Promise<UploadRecord | undefined>;
  /** The draft's records, oldest first. */
  list(draftId: string): Promise<UploadRecord[]>;
  /**
   * Applies `progress` only if the stored offset is still `expectedOffset` (compare-and-set): of
   * two PATCHes racing from one offset, exactly one advances.
   */
  advance(draftId: string, uploadId: string, expectedOffset: number, progress: UploadProgress, writer?: string): Promise<AdvanceOutcome>;
  /**
   * Lets one writer (a request) write the upload's bytes at `offset` for `leaseMs`, when its
   * offset is still `offset` and no other writer holds it: of two PATCHes racing at one offset,
   * exactly one is let in, and only it writes the file. `advance` with the same `writer` (which
   * then also needs it to hold the claim) or `release` lets go.
   */
  claim(draftId: string, uploadId: string, offset: number, writer: string, leaseMs: number): Promise<ClaimOutcome>;
  /** Lets go of a claim, when `writer` still holds it. */
  release(draftId: string, uploadId: string, writer: string): Promise<void>;
  /** Deletes a record (only while its offset is `ifOffset`, when given). True when one was deleted. */
  remove(draftId: string, uploadId: string, options?: { ifOffset?: number }): Promise<boolean>;
  /** Deletes every record of the draft and returns them. */
  removeAll(draftId: string): Promise<UploadRecord[]>;
}

/** True while an upload lacks bytes and its time is up (Upload-Expires passed). */
export function isExpired(record: UploadRecord, now: number): boolean {
  return record.completedAt === undefined && record.expiresAt <= now;
}

/** Oldest first; ties by id, so the order is stable. */
export function byCreation(a: UploadRecord, b: UploadRecord): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Files and bytes (Upload-Length) a draft's records hold. */
export function usage(records: Iterable<UploadRecord>): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const record of records) {
    files += 1;
    bytes += record.size;
  }
  return { files, bytes };
}

/** The creation check both adapters apply: undefined when the new record fits. */
export function overLimit(held: { files: number; bytes: number }, size: number, limits: UploadLimits): CreateRecordOutcome | undefined {
  if (held.files + 1 > limits.maxFiles) return { created: false, reason: 'too-many-files', ...held };
  if (held.bytes + size > limits.maxTotalBytes) return { created: false, reason: 'too-many-bytes', ...held };
  return undefined;
}

/**
 * In this process, for one instance, tests and the Workers preview. Records stay until removed:
 * the draft store calls `removeAll` when it deletes or drops a draft (in Redis they expire with
 * the draft by themselves).
 *
 * Mirrored by `src/drafts/attachments/lua/`: `create` (with `usage`, `overLimit`) by create.lua,
 * `advance` by advance.lua, `claim` by claim.lua, `release` by release.lua, `remove` by remove.lua
 * (shared keys in includes/uploads.lua): change both, then run `src/drafts/attachments/records.contract.ts`
 * (`vitest run src/drafts/attachments/records.test.ts tests/integration/attachments-records.test.ts`).
 */
export function createMemoryUploadRecords(options: { clock?: Clock } = {}): UploadRecords {
  const clock = options.clock ?? systemClock;
  const drafts = new Map<string, Map<string, UploadRecord>>();
  /** Claims by `<draft id>/<upload id>`: the writer and until when (ms). */
  const claims = new Map<string, { writer: string; until: number }>();
  const claimOf = (draftId: string, uploadId: string) => {
    const claim = claims.get(`${draftId}/${uploadId}`);
    return claim && claim.until > clock() ? claim : undefined;
  };
  const copy = (record: UploadRecord): UploadRecord => ({ ...record, ...(record.sealing ? { sealing: { ...record.sealing } } : {}) });

  return {
    async create(record, limits) {
      const uploads = drafts.get(record.draftId) ?? new Map<string, UploadRecord>();
      const refused = overLimit(usage(uploads.values()), record.size, limits);
      if (refused) return refused;
      uploads.set(record.id, copy(record));
      drafts.set(record.draftId, uploads);
      return { created: true };
    },
    async get(draftId, uploadId) {
      const record = drafts.get(draftId)?.get(uploadId);
      return record && copy(record);
    },
    async list(draftId) {
      return [...(drafts.get(draftId)?.values() ?? [])].map(copy).sort(byCreation);
    },
    async advance(draftId, uploadId, expectedOffset, progress, writer) {
      const uploads = drafts.get(draftId);
      const stored = uploads?.get(uploadId);
      if (!uploads || !stored || stored.offset !== expectedOffset) return { advanced: false, record: stored && copy(stored) };
      if (writer !== undefined && claimOf(draftId, uploadId)?.writer !== writer) return { advanced: false, record: copy(stored) };
      const next: UploadRecord = { ...stored, ...progress };
      uploads.set(uploadId, next);
      if (writer !== undefined) claims.delete(`${draftId}/${uploadId}`);
      return { advanced: true, record: copy(next) };
    },
    async claim(draftId, uploadId, offset, writer, leaseMs) {
      const stored = drafts.get(draftId)?.get(uploadId);
      if (!stored) return { claimed: false, reason: 'missing' };
      if (stored.offset !== offset) return { claimed: false, reason: 'moved', record: copy(stored) };
      const held = claimOf(draftId, uploadId);
      if (held && held.writer !== writer) return { claimed: false, reason: 'busy', record: copy(stored) };
      claims.set(`${draftId}/${uploadId}`, { writer, until: clock() + leaseMs });
      return { claimed: true };
    },
    async release(draftId, uploadId, writer) {
      if (claimOf(draftId, uploadId)?.writer === writer) claims.delete(`${draftId}/${uploadId}`);
    },
    async remove(draftId, uploadId, options = {}) {
      const uploads = drafts.get(draftId);
      const stored = uploads?.get(uploadId);
      if (!uploads || !stored || (options.ifOffset !== undefined && stored.offset !== options.ifOffset)) return false;
      uploads.delete(uploadId);
      if (uploads.size === 0) drafts.delete(draftId);
      return true;
    },
    async removeAll(draftId) {
      const uploads = drafts.get(draftId);
      drafts.delete(draftId);
      return [...(uploads?.values() ?? [])].sort(byCreation);
    },
  };
}
