import { webCryptoAead, type AeadFactory } from '../platform/aead.js';
import type { KeyRing } from '../platform/keyring.js';
import { createValueCipher } from '../platform/value-cipher.js';

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

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function associatedData(draftId: string, name: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`sanh/draft/v1\u0000${draftId}\u0000${name}`);
}

/** The draft cipher over a key ring (one AEAD per ring key; default Web Crypto, `nodeAead` on Node). */
export function createDraftCipher(ring: KeyRing, aead: AeadFactory = webCryptoAead): DraftCipher {
  const cipher = createValueCipher(ring, { purpose: 'draft-encryption', what: 'draft value', aead, error: (message) => new DraftCipherError(message) });
  return {
    currentKeyId: cipher.currentKeyId,
    keyIdOf: cipher.keyIdOf,
    seal: (draftId, name, plaintext) => cipher.seal(associatedData(draftId, name), encoder.encode(plaintext)),
    open: async (draftId, name, sealed) => decoder.decode(await cipher.open(associatedData(draftId, name), sealed)),
  };
}
