import { describe, expect, it } from 'vitest';
import { decodeBase64Url } from './base64url.js';
import { randomArgumentId, randomBytes, randomId } from './random-id.js';

describe('random identifiers', () => {
  it('are base64url of the asked length and never repeat across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const id = randomId();
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(decodeBase64Url(id)).toHaveLength(16);
      seen.add(id);
    }
    expect(seen.size).toBe(2_000);
    expect(decodeBase64Url(randomId(32))).toHaveLength(32);
    expect(decodeBase64Url(randomId(5000))).toHaveLength(5000);
  });

  it('hands out nonces of their own that never repeat across pool refills', () => {
    const first = randomBytes(12);
    const copy = Uint8Array.from(first);
    const seen = new Set<string>();
    for (let i = 0; i < 1_000; i++) seen.add(Buffer.from(randomBytes(12)).toString('hex'));
    expect(seen.size).toBe(1_000);
    expect(first).toEqual(copy);
    expect(randomBytes(12).buffer.byteLength).toBe(12);
  });
});

describe('randomArgumentId', () => {
  it('never starts with a dash, in enough draws to meet many (1 in 64 base64url ids does)', () => {
    const ids = Array.from({ length: 5_000 }, () => randomArgumentId(9));
    expect(ids.filter((id) => id.startsWith('-'))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^[A-Za-z0-9_][A-Za-z0-9_-]{11}$/.test(id))).toBe(true);
  });
});
