import { derivedCryptoKey, type KeyPurpose, type RingKey } from './keyring.js';

/**
 * AES-256-GCM under one purpose-derived key (HKDF-SHA256 of a ring key, empty salt). Two adapters
 * compute the same bytes: Web Crypto (any runtime, the default) and `node:crypto`
 * (`node-aead.ts`, synchronous: several times cheaper per value on Node, where every Web Crypto
 * call is a job on the thread pool).
 */
export interface Aead {
  /** Ciphertext followed by the 16-byte tag. */
  seal(iv: Uint8Array, additionalData: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> | Uint8Array;
  /** The plaintext; throws when the tag does not verify. */
  open(iv: Uint8Array, additionalData: Uint8Array, sealed: Uint8Array): Promise<Uint8Array> | Uint8Array;
}

/** Builds the AEAD of a ring key for a purpose. */
export type AeadFactory = (key: RingKey, purpose: KeyPurpose) => Promise<Aead>;

const bytes = (view: Uint8Array) => new Uint8Array(view);

/** The Web Crypto adapter: works wherever `crypto.subtle` does (Node, Workers, browsers). */
export const webCryptoAead: AeadFactory = async (key, purpose) => {
  const aesKey = await derivedCryptoKey(key, purpose, { name: 'AES-GCM', length: 256 }, ['encrypt', 'decrypt']);
  return {
    seal: async (iv, additionalData, plaintext) =>
      new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: bytes(iv), additionalData: bytes(additionalData) }, aesKey, bytes(plaintext))),
    open: async (iv, additionalData, sealed) =>
      new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes(iv), additionalData: bytes(additionalData) }, aesKey, bytes(sealed))),
  };
};
