import { encodeBase64Url } from './base64url.js';

const POOL_BYTES = 4096;
let pool = new Uint8Array(0);
let offset = 0;

/**
 * A random identifier of `bytes` bytes (default 16, 128 bits), base64url. Bytes come from the
 * platform CSPRNG, drawn a page at a time: one `getRandomValues` call per 256 identifiers instead
 * of one each, which matters when thousands of visitors join a second.
 */
export function randomId(bytes = 16): string {
  return encodeBase64Url(pooledRandom(bytes));
}

/**
 * A `randomId` that can be typed as a command-line argument: it never starts with `-` (one in 64
 * base64url ids does, and `sanh pass <room> revoke <id>` would read it as an option).
 */
export function randomArgumentId(bytes = 16): string {
  for (;;) {
    const id = randomId(bytes);
    if (!id.startsWith('-')) return id;
  }
}

/** `bytes` fresh random bytes from the same pooled CSPRNG page (a view: copy it to keep it past the next call). */
function pooledRandom(bytes: number): Uint8Array {
  if (bytes > POOL_BYTES) return crypto.getRandomValues(new Uint8Array(bytes));
  if (offset + bytes > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(POOL_BYTES));
    offset = 0;
  }
  const out = pool.subarray(offset, offset + bytes);
  offset += bytes;
  return out;
}

/**
 * `bytes` random bytes of their own (a copy), drawn from the pooled CSPRNG page: for nonces such
 * as AES-GCM IVs, of which a draft save needs several.
 */
export function randomBytes(bytes: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(pooledRandom(bytes));
}
