import { decodeBase64Url, encodeBase64Url } from './base64url.js';
import { webCryptoAead, type AeadFactory } from './aead.js';
import type { KeyPurpose, KeyRing, RingKey } from './keyring.js';
import { cachedPerKey } from './mac.js';
import { randomBytes } from './random-id.js';

/**
 * Values at rest: AES-256-GCM under a key derived by HKDF from each `SANH_SECRETS` key for one
 * purpose, a fresh 96-bit IV per value, and associated data naming where the value belongs (so a
 * value cannot be moved elsewhere).
 *
 * Sealed text: `<key id>.<base64url(iv ‖ ciphertext ‖ tag)>`. The key id names the ring key that
 * sealed it, so keys rotate: the first key of the ring seals, every key in the ring opens.
 */
export interface ValueCipher {
  seal(associatedData: Uint8Array<ArrayBuffer>, plaintext: Uint8Array): Promise<string>;
  /** The plaintext; throws the cipher's error when the key is no longer in the ring or the text was altered. */
  open(associatedData: Uint8Array<ArrayBuffer>, sealed: string): Promise<Uint8Array>;
  /** The key id a sealed text names (to tell whether it is still under the ring's current key). */
  keyIdOf(sealed: string): string;
  currentKeyId: string;
}

const IV_BYTES = 12;

/** The value cipher of a key ring for one purpose (one AEAD per ring key; default Web Crypto, `nodeAead` on Node). */
export function createValueCipher(
  ring: KeyRing,
  options: { purpose: KeyPurpose; what: string; aead?: AeadFactory; error: (message: string) => Error },
): ValueCipher {
  const derive = cachedPerKey(options.aead ?? webCryptoAead);
  const aeadFor = (key: RingKey) => derive(key, options.purpose);
  const { what, error } = options;
  return {
    currentKeyId: ring.current.id,
    keyIdOf: (sealed) => sealed.slice(0, Math.max(0, sealed.indexOf('.'))),
    async seal(associatedData, plaintext) {
      const iv = randomBytes(IV_BYTES);
      const key = await aeadFor(ring.current);
      const ciphertext = await key.seal(iv, associatedData, plaintext);
      const packed = new Uint8Array(IV_BYTES + ciphertext.byteLength);
      packed.set(iv, 0);
      packed.set(ciphertext, IV_BYTES);
      return `${ring.current.id}.${encodeBase64Url(packed)}`;
    },
    async open(associatedData, sealed) {
      const dot = sealed.indexOf('.');
      const ringKey = dot > 0 ? ring.keys.get(sealed.slice(0, dot)) : undefined;
      if (!ringKey) throw error(`${what} sealed with key "${sealed.slice(0, Math.max(0, dot))}", which is not in SANH_SECRETS`);
      const packed = decodeBase64Url(sealed.slice(dot + 1));
      if (!packed || packed.byteLength < IV_BYTES + 16) throw error(`${what} is not a sealed value`);
      try {
        const key = await aeadFor(ringKey);
        return await key.open(packed.subarray(0, IV_BYTES), associatedData, packed.subarray(IV_BYTES));
      } catch {
        throw error(`${what} failed authentication (altered, or moved from where it belongs)`);
      }
    },
  };
}
