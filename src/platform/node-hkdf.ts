import { hkdfSync } from 'node:crypto';
import { hkdfInfo, type KeyPurpose, type RingKey } from './keyring.js';

/**
 * The 32 key bytes derived from `key` for `purpose` by `node:crypto` (HKDF-SHA256, empty salt):
 * the same bytes as `derivedCryptoKey` in `keyring.ts` on Web Crypto. Node only.
 */
export function derivedKeyBytes(key: RingKey, purpose: KeyPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', key.secret, new Uint8Array(0), hkdfInfo(purpose), 32));
}
