import { decodeBase64Url, encodeBase64Url } from '../platform/base64url.js';
import { webCryptoAead, type AeadFactory } from '../platform/aead.js';
import type { KeyRing, RingKey } from '../platform/keyring.js';
import { cachedPerKey } from '../platform/mac.js';
import { randomBytes } from '../platform/random-id.js';

/**
 * Draft values at rest: AES-256-GCM by Web Crypto (so it runs on Node and Workers), with a key
 * derived by HKDF from each `SANH_SECRETS` key, a fresh 96-bit IV per value, and the draft id and
 * the field's name as associated data, so a value cannot be moved to another draft or field.
 *
 * Sealed text: `<key id>.<base64url(iv ‖ ciphertext ‖ tag)>`. The key id names the ring key that
 * sealed it, so keys rotate: the first key of the ring seals, every key in the ring opens.
 */
export interface DraftCipher {
  seal(draftId: string, name: string, plaintext: string): Promise<string>;
  /** The plaintext; throws `DraftCipherError` when the key is no longer in the ring or the text was altered. */
  open(draftId: string, name: string, sealed: string): Promise<string>;
  /** The key id a sealed text names (to tell whether it is still under the ring's current key). */
  keyIdOf(sealed: string): string;
  /** The ring's current key id. */
  currentKeyId: string;
}

/** A sealed value that cannot be opened. */
export class DraftCipherError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DraftCipherError';
  }
}

const IV_BYTES = 12;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function associatedData(draftId: string, name: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`sanh/draft/v1\u0000${draftId}\u0000${name}`);
}

/** The draft cipher over a key ring (one AEAD per ring key; default Web Crypto, `nodeAead` on Node). */
export function createDraftCipher(ring: KeyRing, aead: AeadFactory = webCryptoAead): DraftCipher {
  const derive = cachedPerKey(aead);
  const aeadFor = (key: RingKey) => derive(key, 'draft-encryption');

  return {
    currentKeyId: ring.current.id,
    keyIdOf: (sealed) => sealed.slice(0, Math.max(0, sealed.indexOf('.'))),
    async seal(draftId, name, plaintext) {
      const iv = randomBytes(IV_BYTES);
      const key = await aeadFor(ring.current);
      const ciphertext = await key.seal(iv, associatedData(draftId, name), encoder.encode(plaintext));
      const packed = new Uint8Array(IV_BYTES + ciphertext.byteLength);
      packed.set(iv, 0);
      packed.set(ciphertext, IV_BYTES);
      return `${ring.current.id}.${encodeBase64Url(packed)}`;
    },
    async open(draftId, name, sealed) {
      const dot = sealed.indexOf('.');
      const ringKey = dot > 0 ? ring.keys.get(sealed.slice(0, dot)) : undefined;
      if (!ringKey) throw new DraftCipherError(`draft value sealed with key "${sealed.slice(0, Math.max(0, dot))}", which is not in SANH_SECRETS`);
      const packed = decodeBase64Url(sealed.slice(dot + 1));
      if (!packed || packed.byteLength < IV_BYTES + 16) throw new DraftCipherError('draft value is not a sealed value');
      try {
        const key = await aeadFor(ringKey);
        return decoder.decode(await key.open(packed.subarray(0, IV_BYTES), associatedData(draftId, name), packed.subarray(IV_BYTES)));
      } catch {
        throw new DraftCipherError('draft value failed authentication (altered, or moved from another draft or field)');
      }
    },
  };
}
