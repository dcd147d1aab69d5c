import { createCipheriv, hkdfSync } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseKeyRing } from '../../platform/keyring.js';
import { content, expectSameBytes, readAll, uploadBytesContract, webSource } from './bytes.contract.js';
import { cipherAt, createDirectoryUploadBytes } from './directory-bytes.js';

const ring = parseKeyRing(`k1:${'a'.repeat(40)}`);
const made: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sanh-bytes-'));
  made.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

uploadBytesContract('directory', async () => ({ bytes: createDirectoryUploadBytes({ directory: join(await tempDir(), 'uploads'), keyRing: ring }) }));

describe('directory upload bytes', () => {
  it('writes files only its own user can read, in a folder per draft', async () => {
    const directory = join(await tempDir(), 'uploads');
    const bytes = createDirectoryUploadBytes({ directory, keyRing: ring });
    await bytes.create({ id: 'u1', draftId: 'd1', size: 10 });
    expect((await stat(join(directory, 'd1', 'u1'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(directory, 'd1'))).mode & 0o777).toBe(0o700);
  });

  it('seals the bytes at rest with AES-256-CTR under the HKDF-derived key and the upload IV', async () => {
    const directory = await tempDir();
    const bytes = createDirectoryUploadBytes({ directory, keyRing: ring });
    const data = content(10_000);
    const created = await bytes.create({ id: 'u1', draftId: 'd1', size: data.byteLength });
    if (!created.created || !created.sealing) throw new Error('expected a sealing');
    const upload = { id: 'u1', draftId: 'd1', size: data.byteLength, sealing: created.sealing };
    await bytes.append(upload, 0, webSource(data.slice(0, 4_321)), { maxBytes: 10_000 });
    await bytes.append(upload, 4_321, webSource(data.slice(4_321)), { maxBytes: 10_000 });
    const onDisk = await readFile(join(directory, 'd1', 'u1'));
    expect(created.sealing.keyId).toBe('k1');
    expect(Buffer.from(onDisk).includes(Buffer.from(data.slice(100, 132)))).toBe(false);
    const key = Buffer.from(hkdfSync('sha256', ring.current.secret, new Uint8Array(0), 'sanh/draft-attachment', 32));
    const iv = Buffer.from(created.sealing.iv, 'base64url');
    const whole = createCipheriv('aes-256-ctr', key, iv).update(data);
    expect(onDisk.equals(whole)).toBe(true);
  });

  it('positions the counter at any offset, wrapping past the last counter block as OpenSSL does', () => {
    const key = Buffer.alloc(32, 9);
    const data = Buffer.from(content(200));
    for (const iv of [Buffer.alloc(16, 0xff), Buffer.from('00000000ffffffffffffffffffffffff', 'hex'), Buffer.alloc(16, 1)]) {
      const whole = createCipheriv('aes-256-ctr', key, iv).update(data);
      for (const at of [0, 1, 15, 16, 17, 31, 33, 150]) {
        expect(cipherAt(key, iv, at).update(data.subarray(at)).equals(whole.subarray(at))).toBe(true);
      }
    }
  });

  it('opens an upload sealed with an older ring key after rotation, and says so once that key is gone', async () => {
    const directory = await tempDir();
    const data = content(3_000);
    const before = createDirectoryUploadBytes({ directory, keyRing: ring });
    const created = await before.create({ id: 'u1', draftId: 'd1', size: data.byteLength });
    if (!created.created) throw new Error('no room');
    const upload = { id: 'u1', draftId: 'd1', size: data.byteLength, ...(created.sealing ? { sealing: created.sealing } : {}) };
    await before.append(upload, 0, webSource(data), { maxBytes: data.byteLength });
    const rotated = createDirectoryUploadBytes({ directory, keyRing: parseKeyRing(`k2:${'b'.repeat(40)},k1:${'a'.repeat(40)}`) });
    expectSameBytes(await readAll(rotated.read(upload, { length: data.byteLength })), data);
    const fresh = await rotated.create({ id: 'u2', draftId: 'd1', size: 1 });
    expect(fresh.created && fresh.sealing?.keyId).toBe('k2');
    const dropped = createDirectoryUploadBytes({ directory, keyRing: parseKeyRing(`k2:${'b'.repeat(40)}`) });
    await expect(readAll(dropped.read(upload, { length: data.byteLength }))).rejects.toThrow(/no longer in the key ring/);
  });

  it('tidies stale partial chunks and empty draft folders, and leaves fresh ones', async () => {
    const directory = await tempDir();
    const bytes = createDirectoryUploadBytes({ directory, keyRing: ring, staleAfterMs: 60_000 });
    await bytes.create({ id: 'u1', draftId: 'd1', size: 1 });
    await bytes.create({ id: 'u2', draftId: 'd2', size: 1 });
    await bytes.remove('d2', 'u2');
    const stale = join(directory, 'd1', 'u1.x.part');
    const fresh = join(directory, 'd1', 'u1.y.part');
    await writeFile(stale, 'x');
    await writeFile(fresh, 'y');
    // Every time the tidy compares is set here, so the machine's calendar does not matter.
    const now = Date.now();
    const old = new Date(now - 120_000);
    await utimes(stale, old, old);
    await utimes(fresh, new Date(now), new Date(now));
    await utimes(join(directory, 'd1'), new Date(now), new Date(now));
    await utimes(join(directory, 'd2'), old, old);
    await bytes.tidy?.(now);
    expect((await readdir(join(directory, 'd1'))).sort()).toEqual(['u1', 'u1.y.part']);
    expect(await readdir(directory)).toEqual(['d1']);
  });
});
