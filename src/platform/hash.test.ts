import { describe, expect, it } from 'vitest';
import { webCryptoSha256 } from './hash.js';
import { nodeSha256 } from './node-hash.js';

describe('SHA-256 adapters', () => {
  it('give the same bytes, and the known digest of "abc"', async () => {
    const abc = new TextEncoder().encode('abc');
    const expected = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(Buffer.from(await webCryptoSha256(abc)).toString('hex')).toBe(expected);
    expect(Buffer.from(await nodeSha256(abc)).toString('hex')).toBe(expected);
    const big = new Uint8Array(100_000).map((_, i) => i % 251);
    expect(Buffer.from(await nodeSha256(big))).toEqual(Buffer.from(await webCryptoSha256(big)));
  });
});
