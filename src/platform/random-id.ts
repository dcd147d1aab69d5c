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
  if (bytes > POOL_BYTES) return encodeBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
  if (offset + bytes > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(POOL_BYTES));
    offset = 0;
  }
  const id = pool.subarray(offset, offset + bytes);
  offset += bytes;
  return encodeBase64Url(id);
}
