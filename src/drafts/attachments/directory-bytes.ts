import { createCipheriv, createHash, randomBytes, type Cipheriv } from 'node:crypto';
import { mkdir, open, readdir, rm, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeBase64Url, encodeBase64Url } from '../../platform/base64url.js';
import type { KeyRing } from '../../platform/keyring.js';
import { derivedKeyBytes } from '../../platform/node-hkdf.js';
import { randomId } from '../../platform/random-id.js';
import {
  appendByStaging,
  assertIds,
  pump,
  stagedChunk,
  UPLOAD_ID_PATTERN,
  type AppendOutcome,
  type BytesOf,
  type StoredBytes,
  type UploadBytes,
} from './bytes.js';
import type { Sealing } from './records.js';

/** Options of the directory adapter. */
export interface DirectoryBytesOptions {
  /** Shared by every instance (e.g. a ReadWriteMany volume). Created with mode 0700 if missing. */
  directory: string;
  /** The ring whose current key seals new uploads; older keys still open older uploads. */
  keyRing: KeyRing;
  /** Partial chunks and empty folders untouched this long are tidied away (default 1 hour). */
  staleAfterMs?: number;
  /** How long a count of the bytes held (a scan of the directory) is used before it is made again (default 10 s). */
  rescanAfterMs?: number;
}

const BLOCK = 16;
const READ_BYTES = 256 * 1024;
const COUNTER_SPACE = 1n << 128n;

/**
 * Upload bytes in files, `<directory>/<draft id>/<upload id>`, mode 0600, sealed at rest with
 * AES-256-CTR. The key is derived by HKDF-SHA256 from a ring key (purpose `draft-attachment`);
 * each upload has its own random 16-byte IV, and both the key id and the IV are kept in the
 * upload record (`Sealing`), so keys can rotate: new uploads take the current key, old ones open
 * with theirs while it stays in the ring.
 *
 * CTR lets any offset be written or read on its own (the counter of byte n is IV + n/16), which
 * tus needs: a PATCH appends at the offset where the last one stopped, and an interrupted one
 * leaves what arrived. CTR gives confidentiality only; integrity comes from the SHA-256 computed
 * when the last byte arrives, kept in the record and checked on every download. Writing
 * different bytes at one offset would reuse keystream; retries and resumptions re-send the same
 * bytes (the same ciphertext), and every chunk is first written to a partial file under its own
 * IV (`stage`) and copied in only once it is let in (`commit`: its checksum matched, and the
 * request holds the upload's claim), so a rejected or refused chunk never lands where its retry
 * will. Only a client sending other content for a range it already sent could do it, exposing
 * its own bytes' XOR to someone holding the raw disk.
 *
 * Each file is given its Upload-Length at creation (sparse: no disk is used until written), so
 * the files' sizes are what the uploads reserve: `create` refuses past `maxStoredBytes` from a
 * count of them (a scan of the directory at most every `rescanAfterMs`, plus this instance's
 * creations and removals since). Instances sharing the volume see each other's within that time.
 */
export function createDirectoryUploadBytes(options: DirectoryBytesOptions): UploadBytes {
  const { directory, keyRing } = options;
  const staleAfterMs = options.staleAfterMs ?? 3_600_000;
  const rescanAfterMs = options.rescanAfterMs ?? 10_000;
  const keys = new Map<string, Buffer>();
  /** The bytes held as last counted (with this instance's changes since), and when (performance.now(): timing only). */
  let held: { bytes: number; at: number } | undefined;
  let scanning: Promise<number> | undefined;

  async function scan(): Promise<number> {
    let bytes = 0;
    for (const draftId of await names(directory)) {
      if (!UPLOAD_ID_PATTERN.test(draftId)) continue;
      for (const uploadId of await names(draftDir(draftId))) {
        if (UPLOAD_ID_PATTERN.test(uploadId)) bytes += (await sizeOf(join(directory, draftId, uploadId))) ?? 0;
      }
    }
    return bytes;
  }
  function storedBytes(): Promise<number> {
    if (held && performance.now() - held.at < rescanAfterMs) return Promise.resolve(held.bytes);
    scanning ??= scan()
      .then((bytes) => {
        held = { bytes, at: performance.now() };
        return bytes;
      })
      .finally(() => {
        scanning = undefined;
      });
    return scanning;
  }
  const counted = (delta: number) => {
    if (held) held.bytes = Math.max(0, held.bytes + delta);
  };

  function keyFor(keyId: string): Buffer {
    let key = keys.get(keyId);
    if (key) return key;
    const ringKey = keyRing.keys.get(keyId);
    if (!ringKey) throw new Error(`upload bytes: sealed with key "${keyId}", which is no longer in the key ring`);
    key = derivedKeyBytes(ringKey, 'draft-attachment');
    keys.set(keyId, key);
    return key;
  }

  function sealingOf(upload: BytesOf): { key: Buffer; iv: Uint8Array } {
    const iv = upload.sealing && decodeBase64Url(upload.sealing.iv);
    if (!upload.sealing || !iv || iv.byteLength !== BLOCK) throw new Error('upload bytes: the record has no usable sealing');
    return { key: keyFor(upload.sealing.keyId), iv };
  }

  const draftDir = (draftId: string) => join(directory, draftId);
  const fileOf = (draftId: string, uploadId: string) => {
    assertIds(draftId, uploadId);
    return join(directory, draftId, uploadId);
  };

  async function copyIn(handle: FileHandle, staged: string, stagedIv: Uint8Array, key: Buffer, iv: Uint8Array, offset: number, length: number) {
    const from = await open(staged, 'r');
    try {
      const opener = cipherAt(key, stagedIv, 0);
      const sealer = cipherAt(key, iv, offset);
      const buffer = Buffer.alloc(Math.min(READ_BYTES, Math.max(length, 1)));
      for (let at = 0; at < length; ) {
        const { bytesRead } = await from.read(buffer, 0, Math.min(buffer.byteLength, length - at), at);
        if (bytesRead === 0) throw new Error('upload bytes: partial chunk ended early');
        await writeAll(handle, sealer.update(opener.update(buffer.subarray(0, bytesRead))), offset + at);
        at += bytesRead;
      }
    } finally {
      await from.close();
    }
  }

  function read(upload: BytesOf, { length, sha256 }: { length: number; sha256?: string }): ReadableStream<Uint8Array> {
    const file = fileOf(upload.draftId, upload.id);
    let handle: FileHandle | undefined;
    let opener: Cipheriv;
    const hash = createHash('sha256');
    let at = 0;
    return new ReadableStream<Uint8Array>({
      async start() {
        const { key, iv } = sealingOf(upload);
        opener = cipherAt(key, iv, 0);
        handle = await open(file, 'r');
      },
      async pull(controller) {
        if (!handle) return;
        if (at >= length) {
          await handle.close();
          handle = undefined;
          if (sha256 !== undefined && hash.digest('base64') !== sha256) controller.error(new Error('upload bytes: content does not match its SHA-256'));
          else controller.close();
          return;
        }
        const buffer = Buffer.allocUnsafe(Math.min(READ_BYTES, length - at));
        const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, at);
        if (bytesRead === 0) {
          await handle.close();
          handle = undefined;
          controller.error(new Error('upload bytes: the file is shorter than its upload'));
          return;
        }
        const plain = opener.update(buffer.subarray(0, bytesRead));
        if (sha256 !== undefined) hash.update(plain);
        at += bytesRead;
        controller.enqueue(new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength));
      },
      async cancel() {
        await handle?.close();
        handle = undefined;
      },
    });
  }

  const adapter: UploadBytes = {
    storedBytes,

    async create(upload, { maxStoredBytes } = {}) {
      const file = fileOf(upload.draftId, upload.id);
      if (maxStoredBytes !== undefined && (await storedBytes()) + upload.size > maxStoredBytes) return { created: false, reason: 'full' };
      const sealing: Sealing = { keyId: keyRing.current.id, iv: encodeBase64Url(randomBytes(BLOCK)) };
      for (let attempt = 0; ; attempt++) {
        await mkdir(draftDir(upload.draftId), { recursive: true, mode: 0o700 });
        try {
          const handle = await open(file, 'wx', 0o600);
          try {
            await handle.truncate(upload.size);
          } finally {
            await handle.close();
          }
          counted(upload.size);
          return { created: true, sealing };
        } catch (error) {
          // The draft's folder was tidied away between mkdir and open: once more.
          if (attempt > 0 || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      }
    },

    async stage(upload, offset, source, { maxBytes, checksum }) {
      const file = fileOf(upload.draftId, upload.id);
      const { key, iv } = sealingOf(upload);
      const room = Math.max(0, Math.min(maxBytes, upload.size - offset));
      const staged = `${file}.${randomId(9)}.part`;
      const stagedIv = randomBytes(BLOCK);
      const hash = checksum ? createHash(checksum.algorithm) : undefined;
      const drop = () => unlink(staged).catch(() => undefined);
      let taken: number;
      let ended: AppendOutcome['ended'];
      try {
        const part = await open(staged, 'wx', 0o600);
        const sealer = cipherAt(key, stagedIv, 0);
        ({ taken, ended } = await pump(source, room, async (chunk, at) => {
          hash?.update(chunk);
          await writeAll(part, sealer.update(chunk), at);
        }).finally(() => part.close()));
      } catch (error) {
        await drop();
        throw error;
      }
      return stagedChunk({
        taken,
        ended,
        checksum,
        // Hashed while it arrived (`hash` is there whenever a checksum is).
        digest: () => hash?.digest() ?? new Uint8Array(),
        async write(written) {
          const handle = await open(file, 'r+');
          try {
            await copyIn(handle, staged, stagedIv, key, iv, offset, written);
            await handle.datasync();
          } finally {
            await handle.close();
          }
        },
        release: drop,
      });
    },

    async append(upload, offset, source, options) {
      return appendByStaging(await adapter.stage(upload, offset, source, options));
    },

    read,

    async sha256(upload, length) {
      const hash = createHash('sha256');
      const reader = read(upload, { length }).getReader();
      for (let next = await reader.read(); !next.done; next = await reader.read()) hash.update(next.value);
      return hash.digest('base64');
    },

    async remove(draftId, uploadId) {
      const file = fileOf(draftId, uploadId);
      const size = await sizeOf(file);
      await rm(file, { force: true });
      if (size !== undefined) counted(-size);
    },

    async removeDraft(draftId) {
      assertIds(draftId);
      let size = 0;
      for (const uploadId of await names(draftDir(draftId)))
        if (UPLOAD_ID_PATTERN.test(uploadId)) size += (await sizeOf(join(draftDir(draftId), uploadId))) ?? 0;
      await rm(draftDir(draftId), { recursive: true, force: true });
      counted(-size);
    },

    async *list(): AsyncGenerator<StoredBytes> {
      for (const draftId of await names(directory)) {
        if (!UPLOAD_ID_PATTERN.test(draftId)) continue;
        for (const uploadId of await names(draftDir(draftId))) {
          if (!UPLOAD_ID_PATTERN.test(uploadId)) continue;
          const modifiedAt = await modified(join(directory, draftId, uploadId));
          if (modifiedAt !== undefined) yield { draftId, uploadId, modifiedAt };
        }
      }
    },

    async tidy(now) {
      for (const draftId of await names(directory)) {
        if (!UPLOAD_ID_PATTERN.test(draftId)) continue;
        const inside = await names(draftDir(draftId));
        for (const name of inside.filter((n) => n.endsWith('.part'))) {
          const path = join(directory, draftId, name);
          const at = await modified(path);
          if (at !== undefined && now - at > staleAfterMs) await unlink(path).catch(() => undefined);
        }
        const at = inside.length === 0 ? await modified(draftDir(draftId)) : undefined;
        if (at !== undefined && now - at > staleAfterMs) await rmdir(draftDir(draftId)).catch(() => undefined);
      }
    },
  };
  return adapter;
}

/** A cipher positioned at byte `offset` of the stream that starts at counter block `iv`. */
export function cipherAt(key: Buffer, iv: Uint8Array, offset: number): Cipheriv {
  const start = (BigInt(`0x${Buffer.from(iv).toString('hex')}`) + BigInt(Math.floor(offset / BLOCK))) % COUNTER_SPACE;
  const counter = Buffer.from(start.toString(16).padStart(BLOCK * 2, '0'), 'hex');
  const cipher = createCipheriv('aes-256-ctr', key, counter);
  const skip = offset % BLOCK;
  if (skip > 0) cipher.update(Buffer.alloc(skip));
  return cipher;
}

async function writeAll(handle: FileHandle, data: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < data.byteLength; ) {
    const { bytesWritten } = await handle.write(data, done, data.byteLength - done, position + done);
    done += bytesWritten;
  }
}

async function names(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw error;
  }
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

async function modified(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return undefined;
  }
}
