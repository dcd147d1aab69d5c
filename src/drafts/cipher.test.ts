import { describe, expect, it } from 'vitest';
import { webCryptoAead } from '../platform/aead.js';
import { parseKeyRing } from '../platform/keyring.js';
import { nodeAead } from '../platform/node-aead.js';
import { createDraftCipher, DraftCipherError } from './cipher.js';

const OLD = `old:${'o'.repeat(40)}`;
const NEW = `new:${'n'.repeat(40)}`;

describe('draft cipher', () => {
  it('seals with a fresh IV under the current key id and opens what it sealed', async () => {
    const cipher = createDraftCipher(parseKeyRing(NEW));
    const a = await cipher.seal('d1', 'nationalId', '"001148012345"');
    const b = await cipher.seal('d1', 'nationalId', '"001148012345"');
    expect(a).not.toBe(b);
    expect(a.startsWith('new.')).toBe(true);
    expect(a).not.toContain('001148012345');
    expect(await cipher.open('d1', 'nationalId', a)).toBe('"001148012345"');
    expect(cipher.keyIdOf(a)).toBe('new');
  });

  it('binds a value to its draft and field: moved elsewhere it does not open', async () => {
    const cipher = createDraftCipher(parseKeyRing(NEW));
    const sealed = await cipher.seal('d1', 'fullName', '"Hoa"');
    await expect(cipher.open('d2', 'fullName', sealed)).rejects.toBeInstanceOf(DraftCipherError);
    await expect(cipher.open('d1', 'phone', sealed)).rejects.toBeInstanceOf(DraftCipherError);
    const at = sealed.length - 2;
    const flipped = sealed.slice(0, at) + (sealed[at] === 'A' ? 'B' : 'A') + sealed.slice(at + 1);
    expect(flipped).not.toBe(sealed);
    await expect(cipher.open('d1', 'fullName', flipped)).rejects.toBeInstanceOf(DraftCipherError);
  });

  it('rotates: values sealed under a retired key open while it stays in the ring, then fail clearly', async () => {
    const before = createDraftCipher(parseKeyRing(OLD));
    const sealed = await before.seal('d1', 'f', '"x"');
    const rotated = createDraftCipher(parseKeyRing(`${NEW},${OLD}`));
    expect(await rotated.open('d1', 'f', sealed)).toBe('"x"');
    expect((await rotated.seal('d1', 'f', '"x"')).startsWith('new.')).toBe(true);
    const dropped = createDraftCipher(parseKeyRing(NEW));
    await expect(dropped.open('d1', 'f', sealed)).rejects.toThrow(/key "old"/);
  });

  it('seals the same way with node:crypto and Web Crypto: each opens what the other sealed', async () => {
    const ring = parseKeyRing(NEW);
    const web = createDraftCipher(ring, webCryptoAead);
    const node = createDraftCipher(ring, nodeAead);
    expect(await node.open('d1', 'f', await web.seal('d1', 'f', '"Hoà"'))).toBe('"Hoà"');
    expect(await web.open('d1', 'f', await node.seal('d1', 'f', '"Hoà"'))).toBe('"Hoà"');
    const sealed = await node.seal('d1', 'f', '"x"');
    await expect(node.open('d1', 'g', sealed)).rejects.toBeInstanceOf(DraftCipherError);
  });
});
