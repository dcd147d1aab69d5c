import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BytesOf, ByteSource, UploadBytes } from './bytes.js';

/** An adapter under test, and how to let go of it. */
export interface OpenedUploadBytes {
  bytes: UploadBytes;
  close?: () => Promise<void>;
}

/** Deterministic test content. */
export function content(length: number, seed = 7): Uint8Array {
  const data = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1_103_515_245 + 12_345) >>> 0;
    data[i] = x >>> 24;
  }
  return data;
}

/** A web stream giving `data` in chunks of `chunk` bytes, then failing when `failAfter` bytes went out. */
export function webSource(data: Uint8Array, chunk = 1_000, failAfter?: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (failAfter !== undefined && at >= failAfter) return controller.error(new Error('client went away'));
      if (at >= data.byteLength) return controller.close();
      const end = Math.min(at + chunk, data.byteLength, failAfter ?? Infinity);
      controller.enqueue(data.slice(at, end));
      at = end;
    },
  });
}

/** Reads a stream to its end. */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) parts.push(next.value);
  return new Uint8Array(Buffer.concat(parts));
}

/** Byte-for-byte equality, without a deep comparison per element (slow for big arrays). */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.byteLength).toBe(expected.byteLength);
  expect(Buffer.from(actual).equals(Buffer.from(expected))).toBe(true);
}

const sha = (algorithm: 'sha1' | 'sha256', data: Uint8Array) => new Uint8Array(createHash(algorithm).update(data).digest());

/** What every UploadBytes adapter must do. */
export function uploadBytesContract(adapter: string, open: () => Promise<OpenedUploadBytes>): void {
  describe(`upload bytes contract: ${adapter}`, () => {
    let opened: OpenedUploadBytes;
    let bytes: UploadBytes;
    let counter = 0;

    async function upload(size: number, draftId = `d${++counter}`): Promise<BytesOf> {
      const id = `u${++counter}`;
      const created = await bytes.create({ id, draftId, size });
      if (!created.created) throw new Error('no room');
      return { id, draftId, size, ...(created.sealing ? { sealing: created.sealing } : {}) };
    }
    const append = (u: BytesOf, offset: number, source: ByteSource, maxBytes = u.size - offset) => bytes.append(u, offset, source, { maxBytes });

    beforeEach(async () => {
      opened = await open();
      bytes = opened.bytes;
    });
    afterEach(async () => {
      await opened.close?.();
    });

    it('keeps a file written in one go and reads it back with its SHA-256', async () => {
      const data = content(100_003);
      const u = await upload(data.byteLength);
      expect(await append(u, 0, webSource(data, 8_192))).toEqual({ written: data.byteLength, ended: 'end' });
      const digest = createHash('sha256').update(data).digest('base64');
      expect(await bytes.sha256(u, data.byteLength)).toBe(digest);
      expectSameBytes(await readAll(bytes.read(u, { length: data.byteLength, sha256: digest })), data);
    });

    it('appends at any offset, from web streams and Node Readables alike', async () => {
      const data = content(50_001, 3);
      const u = await upload(data.byteLength);
      const cuts = [0, 1, 17, 4_099, 20_000, 33_333, data.byteLength];
      for (let i = 0; i + 1 < cuts.length; i++) {
        const [from, to] = [cuts[i] as number, cuts[i + 1] as number];
        const piece = data.slice(from, to);
        const source = i % 2 === 0 ? webSource(piece, 777) : Readable.from([Buffer.from(piece.subarray(0, 5)), Buffer.from(piece.subarray(5))]);
        expect((await append(u, from, source)).written).toBe(to - from);
      }
      expectSameBytes(await readAll(bytes.read(u, { length: data.byteLength })), data);
    });

    it('writes a staged chunk only on commit: a discarded one never reaches the file', async () => {
      const kept = content(30_000, 11);
      const refused = content(30_000, 12);
      const u = await upload(kept.byteLength);
      const [first, second] = await Promise.all([
        bytes.stage(u, 0, webSource(kept, 4_096), { maxBytes: u.size }),
        bytes.stage(u, 0, webSource(refused, 1_000), { maxBytes: u.size }),
      ]);
      expect([first.written, second.written]).toEqual([30_000, 30_000]);
      await first.commit();
      await second.discard();
      expectSameBytes(await readAll(bytes.read(u, { length: kept.byteLength })), kept);
      expect(await bytes.sha256(u, kept.byteLength)).toBe(createHash('sha256').update(kept).digest('base64'));
    });

    it('refuses to reserve past maxStoredBytes, counting every upload at its Upload-Length, and counts removals back', async () => {
      const before = await bytes.storedBytes();
      const a = await bytes.create({ id: `u${++counter}`, draftId: `d${++counter}`, size: 600 }, { maxStoredBytes: before + 1_000 });
      expect(a.created).toBe(true);
      expect(await bytes.storedBytes()).toBe(before + 600);
      expect(await bytes.create({ id: `u${++counter}`, draftId: `d${counter}`, size: 401 }, { maxStoredBytes: before + 1_000 })).toEqual({
        created: false,
        reason: 'full',
      });
      const b = { id: `u${++counter}`, draftId: `d${++counter}`, size: 400 };
      expect((await bytes.create(b, { maxStoredBytes: before + 1_000 })).created).toBe(true);
      await bytes.remove(b.draftId, b.id);
      expect(await bytes.storedBytes()).toBe(before + 600);
    });

    it('keeps what arrived when the source fails half-way, and resumes from there', async () => {
      const data = content(40_000, 5);
      const u = await upload(data.byteLength);
      const first = await append(u, 0, webSource(data, 3_000, 19_000));
      expect(first).toEqual({ written: 19_000, ended: 'interrupted' });
      expect(await append(u, 19_000, webSource(data.slice(19_000), 4_096))).toEqual({ written: 21_000, ended: 'end' });
      expectSameBytes(await readAll(bytes.read(u, { length: data.byteLength })), data);
    });

    it('takes at most maxBytes and says the body had more', async () => {
      const data = content(3_000);
      const u = await upload(10_000);
      expect(await append(u, 0, webSource(data, 1_000), 2_500)).toEqual({ written: 2_500, ended: 'over-limit' });
      expectSameBytes(await readAll(bytes.read(u, { length: 2_500 })), data.slice(0, 2_500));
    });

    it('keeps a chunk whose checksum matches, and nothing of one that does not or that broke off', async () => {
      const data = content(30_000, 11);
      const u = await upload(data.byteLength);
      const head = data.slice(0, 10_000);
      const good = { maxBytes: 10_000, checksum: { algorithm: 'sha1' as const, digest: sha('sha1', head) } };
      expect(await bytes.append(u, 0, webSource(head), good)).toEqual({ written: 10_000, ended: 'end', checksum: 'match' });
      const rest = data.slice(10_000);
      const corrupt = rest.slice();
      corrupt[5] = (corrupt[5] as number) ^ 0xff;
      const check = { maxBytes: 20_000, checksum: { algorithm: 'sha256' as const, digest: sha('sha256', rest) } };
      expect(await bytes.append(u, 10_000, webSource(corrupt), check)).toEqual({ written: 0, ended: 'end', checksum: 'mismatch' });
      expect(await bytes.append(u, 10_000, webSource(rest, 1_000, 7_000), check)).toEqual({ written: 0, ended: 'interrupted' });
      expect(await bytes.append(u, 10_000, webSource(rest), check)).toEqual({ written: 20_000, ended: 'end', checksum: 'match' });
      expectSameBytes(await readAll(bytes.read(u, { length: data.byteLength })), data);
    });

    it('fails a read whose bytes do not hash to the SHA-256 given', async () => {
      const data = content(5_000);
      const u = await upload(data.byteLength);
      await append(u, 0, webSource(data));
      const wrong = createHash('sha256').update('something else').digest('base64');
      await expect(readAll(bytes.read(u, { length: data.byteLength, sha256: wrong }))).rejects.toThrow(/SHA-256/);
    });

    it('holds an empty file', async () => {
      const u = await upload(0);
      expect(await append(u, 0, webSource(new Uint8Array(0)))).toEqual({ written: 0, ended: 'end' });
      expectSameBytes(await readAll(bytes.read(u, { length: 0 })), new Uint8Array(0));
      expect(await bytes.sha256(u, 0)).toBe(createHash('sha256').digest('base64'));
    });

    it('lists what it holds, and removes one upload or a whole draft', async () => {
      const a = await upload(10, 'draft-x');
      const b = await upload(10, 'draft-x');
      const c = await upload(10, 'draft-y');
      const held = async () => {
        const seen: string[] = [];
        for await (const entry of bytes.list()) if (entry.draftId.startsWith('draft-')) seen.push(`${entry.draftId}/${entry.uploadId}`);
        return seen.sort();
      };
      expect(await held()).toEqual([`draft-x/${a.id}`, `draft-x/${b.id}`, `draft-y/${c.id}`].sort());
      await bytes.remove('draft-x', a.id);
      await bytes.remove('draft-x', a.id);
      expect(await held()).toEqual([`draft-x/${b.id}`, `draft-y/${c.id}`].sort());
      await bytes.removeDraft('draft-x');
      await bytes.removeDraft('draft-none');
      expect(await held()).toEqual([`draft-y/${c.id}`]);
      for await (const entry of bytes.list()) expect(entry.modifiedAt).toBeGreaterThan(0);
    });

    it('refuses ids that could reach outside its place', async () => {
      await expect(bytes.create({ id: '../x', draftId: 'd', size: 1 })).rejects.toThrow(/invalid/);
      await expect(bytes.create({ id: 'x', draftId: '..', size: 1 })).rejects.toThrow(/invalid/);
      await expect(bytes.removeDraft('a/b')).rejects.toThrow(/invalid/);
    });
  });
}
