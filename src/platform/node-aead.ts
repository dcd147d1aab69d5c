import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { AeadFactory } from './aead.js';
import { derivedKeyBytes } from './node-hkdf.js';

const TAG_BYTES = 16;

/**
 * The `node:crypto` AEAD adapter: the same HKDF-SHA256 derivation and AES-256-GCM as the Web
 * Crypto adapter (values sealed by one open with the other), computed synchronously. Node only.
 */
export const nodeAead: AeadFactory = async (key, purpose) => {
  const derived = derivedKeyBytes(key, purpose);
  return {
    seal(iv, additionalData, plaintext) {
      const cipher = createCipheriv('aes-256-gcm', derived, iv);
      cipher.setAAD(additionalData);
      const head = cipher.update(plaintext);
      const tail = cipher.final();
      return Buffer.concat([head, tail, cipher.getAuthTag()]);
    },
    open(iv, additionalData, sealed) {
      if (sealed.byteLength < TAG_BYTES) throw new Error('sealed value too short');
      const decipher = createDecipheriv('aes-256-gcm', derived, iv);
      decipher.setAAD(additionalData);
      decipher.setAuthTag(sealed.subarray(sealed.byteLength - TAG_BYTES));
      const head = decipher.update(sealed.subarray(0, sealed.byteLength - TAG_BYTES));
      return Buffer.concat([head, decipher.final()]);
    },
  };
};
