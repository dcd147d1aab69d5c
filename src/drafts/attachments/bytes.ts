import { encodeBase64 } from '../../platform/base64url.js';
import { systemClock, type Clock } from '../../platform/clock.js';
import type { Sealing, UploadRecord } from './records.js';

/**
 * The bytes of uploads (scanned documents), apart from their records.
 *
 * Redis never holds file bytes, by choice: it keeps everything in memory, so a few thousand
 * 10 MiB scans would crowd out the waiting room's state and drafts it exists to protect; its
 * replication and persistence would copy every byte again; and one big value blocks its single
 * thread while it moves. Bytes belong where bytes are cheap: a directory on a volume every
 * instance shares (`directory-bytes.ts`, e.g. a ReadWriteMany volume), or an S3-compatible
 * object store (the usual home at scale; an adapter for it is not built yet: multipart upload
 * parts map onto tus PATCHes). Records stay small and live in Redis beside the draft.
 * `bytes.contract.ts` is what every adapter must do.
 */
export interface UploadBytes {
  /**
   * Makes room for a new upload, reserving its Upload-Length; the record keeps the returned
   * sealing. `full` when the uploads held would then reserve more than `maxStoredBytes` (or the
   * adapter's own limit).
   */
  create(upload: NewBytes, options?: { maxStoredBytes?: number }): Promise<{ created: true; sealing?: Sealing } | { created: false; reason: 'full' }>;
  /**
   * Writes the body of one request at `offset`, streaming, at most `options.maxBytes`. Without a
   * checksum, what arrived is kept even when the source fails half-way (a client that went away):
   * `written` says how much. With one, the body is kept whole or not at all. (`stage`, then
   * `commit` what it kept.)
   */
  append(upload: BytesOf, offset: number, source: ByteSource, options: AppendOptions): Promise<AppendOutcome>;
  /**
   * Receives the body of one request for `offset` apart from the upload's bytes, as `append`
   * would keep it, and writes nothing to them until `commit`: of two requests racing at one
   * offset, the one that is not let in (`discard`) never touches the file. `written` is what
   * `commit` would write (0 after a checksum mismatch, or with a checksum and a broken body).
   */
  stage(upload: BytesOf, offset: number, source: ByteSource, options: AppendOptions): Promise<StagedChunk>;
  /** Bytes all uploads held reserve together (each its Upload-Length, from its creation). */
  storedBytes(): Promise<number>;
  /**
   * The first `length` bytes, as they were uploaded. With `sha256` (base64), the stream fails at
   * its end instead of closing when the bytes do not hash to it.
   */
  read(upload: BytesOf, options: { length: number; sha256?: string }): ReadableStream<Uint8Array>;
  /** SHA-256 (base64) of the first `length` bytes. */
  sha256(upload: BytesOf, length: number): Promise<string>;
  remove(draftId: string, uploadId: string): Promise<void>;
  /** Removes every upload of a draft. */
  removeDraft(draftId: string): Promise<void>;
  /** Every upload held, for the sweep; `modifiedAt` is when its bytes last changed. */
  list(): AsyncIterable<StoredBytes>;
  /** Adapter housekeeping for the sweep (stale partial chunks, empty folders). */
  tidy?(now: number): Promise<void>;
}

/** What creation knows of an upload. */
export type NewBytes = Pick<UploadRecord, 'id' | 'draftId' | 'size'>;
/** What the bytes adapters need of a record. */
export type BytesOf = Pick<UploadRecord, 'id' | 'draftId' | 'size' | 'sealing'>;
/** A request body: a web stream (Hono, Workers) or a Node Readable (any async iterable of bytes). */
export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;
/** Upload-Checksum algorithms supported (tus checksum extension). */
export type ChecksumAlgorithm = 'sha1' | 'sha256';
/** The checksum a client sent for the body of one request. */
export interface ExpectedChecksum {
  algorithm: ChecksumAlgorithm;
  digest: Uint8Array;
}

/** Limits of one append. */
export interface AppendOptions {
  /** Most bytes to take: the smaller of the chunk limit and what the upload still lacks. */
  maxBytes: number;
  checksum?: ExpectedChecksum;
}

/** What one append kept. */
export interface AppendOutcome {
  /** Bytes kept at [offset, offset + written). */
  written: number;
  /** `end`: the body ended; `interrupted`: reading it failed (the client went away); `over-limit`: it had more than maxBytes. */
  ended: 'end' | 'interrupted' | 'over-limit';
  /** With a checksum and a whole body: whether it matched (nothing is kept otherwise). */
  checksum?: 'match' | 'mismatch';
}

/** A received chunk, not yet written to the upload's bytes. */
export interface StagedChunk extends AppendOutcome {
  /** Writes the chunk at its offset (once; nothing when `written` is 0). */
  commit(): Promise<void>;
  /** Drops the chunk without writing it. */
  discard(): Promise<void>;
}

/** `append` from `stage`: stages, then commits what was kept. */
export async function appendByStaging(staged: StagedChunk): Promise<AppendOutcome> {
  const { written, ended, checksum } = staged;
  if (written > 0) await staged.commit();
  else await staged.discard();
  return { written, ended, ...(checksum ? { checksum } : {}) };
}

/** How an adapter keeps and drops the body it received apart, for `stagedChunk`. */
export interface StagedBody {
  /** Bytes received (at most the limit). */
  taken: number;
  ended: AppendOutcome['ended'];
  /** The client's checksum, if any. */
  checksum: ExpectedChecksum | undefined;
  /** The received body's digest by the checksum's algorithm (asked only with a checksum and a whole body). */
  digest(algorithm: ChecksumAlgorithm): Promise<Uint8Array> | Uint8Array;
  /** Writes the first `written` bytes of the body at its offset. */
  write(written: number): Promise<void> | void;
  /** Lets go of what holds the body apart (after a commit or a discard). */
  release?(): Promise<void>;
}

/**
 * A staged chunk from a received body: with a checksum, the body is kept only whole and
 * matching (otherwise `written` is 0); `commit` writes what was kept once, `discard` drops it.
 */
export async function stagedChunk(body: StagedBody): Promise<StagedChunk> {
  const { taken, ended, checksum } = body;
  let written = taken;
  let matched: AppendOutcome['checksum'];
  if (checksum && ended !== 'end') written = 0;
  else if (checksum) {
    matched = sameBytes(await body.digest(checksum.algorithm), checksum.digest) ? 'match' : 'mismatch';
    if (matched === 'mismatch') written = 0;
  }
  let done = false;
  return {
    written,
    ended,
    ...(matched ? { checksum: matched } : {}),
    async commit() {
      if (done) return;
      done = true;
      try {
        if (written > 0) await body.write(written);
      } finally {
        await body.release?.();
      }
    },
    async discard() {
      if (done) return;
      done = true;
      await body.release?.();
    },
  };
}

/** One upload the bytes adapter holds. */
export interface StoredBytes {
  draftId: string;
  uploadId: string;
  modifiedAt: number;
}

/** The ids adapters accept in paths and keys. */
export const UPLOAD_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** Throws unless both ids are plain (no path tricks reach an adapter). */
export function assertIds(draftId: string, uploadId?: string): void {
  if (!UPLOAD_ID_PATTERN.test(draftId) || (uploadId !== undefined && !UPLOAD_ID_PATTERN.test(uploadId))) {
    throw new Error('upload bytes: invalid draft or upload id');
  }
}

/**
 * Feeds `source` to `sink` chunk by chunk, at most `maxBytes`: the part of a chunk past the limit
 * is not given, and reading stops there, leaving the rest unread (not cancelled: cancelling a
 * request body closes the connection before the answer can go out; the server drains it). A
 * failing source ends the pump as `interrupted` (what was sunk stays); a failing sink throws.
 */
export async function pump(
  source: ByteSource,
  maxBytes: number,
  sink: (chunk: Uint8Array, at: number) => Promise<void> | void,
): Promise<{ taken: number; ended: AppendOutcome['ended'] }> {
  const reader = source instanceof ReadableStream ? source.getReader() : undefined;
  const iterator: AsyncIterator<Uint8Array> = reader
    ? { next: () => reader.read() as Promise<IteratorResult<Uint8Array>> }
    : (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const release = reader && (() => reader.releaseLock());
  let taken = 0;
  for (;;) {
    let next: IteratorResult<Uint8Array>;
    try {
      next = await iterator.next();
    } catch {
      return { taken, ended: 'interrupted' };
    }
    if (next.done) return { taken, ended: 'end' };
    const chunk = next.value;
    const room = maxBytes - taken;
    const part = chunk.byteLength > room ? chunk.subarray(0, room) : chunk;
    if (part.byteLength > 0) await sink(part, taken);
    taken += part.byteLength;
    if (part.byteLength < chunk.byteLength) {
      release?.();
      return { taken, ended: 'over-limit' };
    }
  }
}

/** True when both byte strings are equal. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i]);
}

const WEB_DIGEST: Record<ChecksumAlgorithm, string> = { sha1: 'SHA-1', sha256: 'SHA-256' };

async function webDigest(algorithm: ChecksumAlgorithm, data: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(WEB_DIGEST[algorithm], data));
}

/**
 * In this process, for tests and the Workers preview: bytes as they are (no sealing), at most
 * `maxBytes` (default 64 MiB) reserved by all uploads together (each reserves its Upload-Length
 * at creation). Web APIs only.
 */
export function createMemoryUploadBytes(options: { maxBytes?: number; clock?: Clock } = {}): UploadBytes & { reservedBytes(): number } {
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const clock = options.clock ?? systemClock;
  const files = new Map<string, { draftId: string; uploadId: string; data: Uint8Array<ArrayBuffer>; modifiedAt: number }>();
  let reserved = 0;
  const keyOf = (draftId: string, uploadId: string) => `${draftId}/${uploadId}`;
  const fileOf = (upload: BytesOf) => {
    const file = files.get(keyOf(upload.draftId, upload.id));
    if (!file) throw new Error('upload bytes: no such upload');
    return file;
  };

  function remove(draftId: string, uploadId: string): void {
    assertIds(draftId, uploadId);
    const file = files.get(keyOf(draftId, uploadId));
    if (!file) return;
    reserved -= file.data.byteLength;
    files.delete(keyOf(draftId, uploadId));
  }

  const adapter: UploadBytes & { reservedBytes(): number } = {
    reservedBytes: () => reserved,
    async create(upload, { maxStoredBytes } = {}) {
      assertIds(upload.draftId, upload.id);
      if (reserved + upload.size > Math.min(maxBytes, maxStoredBytes ?? Number.POSITIVE_INFINITY)) return { created: false, reason: 'full' };
      reserved += upload.size;
      files.set(keyOf(upload.draftId, upload.id), { draftId: upload.draftId, uploadId: upload.id, data: new Uint8Array(upload.size), modifiedAt: clock() });
      return { created: true };
    },
    async stage(upload, offset, source, { maxBytes: limit, checksum }) {
      const file = fileOf(upload);
      const room = Math.max(0, Math.min(limit, file.data.byteLength - offset));
      const staged = new Uint8Array(room);
      const { taken, ended } = await pump(source, room, (chunk, at) => staged.set(chunk, at));
      const body = staged.subarray(0, taken);
      return stagedChunk({
        taken,
        ended,
        checksum,
        digest: (algorithm) => webDigest(algorithm, body),
        write(written) {
          fileOf(upload).data.set(body.subarray(0, written), offset);
          file.modifiedAt = clock();
        },
      });
    },
    async append(upload, offset, source, options) {
      return appendByStaging(await adapter.stage(upload, offset, source, options));
    },
    async storedBytes() {
      return reserved;
    },
    read(upload, { length, sha256 }) {
      const file = fileOf(upload);
      const data = file.data.slice(0, length);
      return new ReadableStream<Uint8Array>({
        async start(controller) {
          if (sha256 !== undefined && encodeBase64(await webDigest('sha256', data)) !== sha256) {
            controller.error(new Error('upload bytes: content does not match its SHA-256'));
            return;
          }
          controller.enqueue(data);
          controller.close();
        },
      });
    },
    async sha256(upload, length) {
      return encodeBase64(await webDigest('sha256', fileOf(upload).data.slice(0, length)));
    },
    async remove(draftId, uploadId) {
      remove(draftId, uploadId);
    },
    async removeDraft(draftId) {
      assertIds(draftId);
      for (const file of [...files.values()]) if (file.draftId === draftId) remove(draftId, file.uploadId);
    },
    async *list() {
      for (const { draftId, uploadId, modifiedAt } of [...files.values()]) yield { draftId, uploadId, modifiedAt };
    },
  };
  return adapter;
}
