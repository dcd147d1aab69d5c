import { hmacKey, type KeyPurpose, type RingKey } from './keyring.js';

/**
 * HMAC-SHA256 under one purpose-derived key (see `keyring.ts`). Two adapters compute the same
 * bytes: Web Crypto (any runtime, the default) and `node:crypto` (`node-mac.ts`, synchronous and
 * several times cheaper per token on Node).
 */
export interface Mac {
  sign(data: string): Promise<Uint8Array> | Uint8Array;
  /** Constant-time comparison of `signature` with the MAC of `data`. */
  verify(data: string, signature: Uint8Array): Promise<boolean> | boolean;
}

/** Builds the MAC of a ring key for a purpose. */
export type MacFactory = (key: RingKey, purpose: KeyPurpose) => Promise<Mac>;

const encoder = new TextEncoder();

/** The Web Crypto adapter: works wherever `crypto.subtle` does (Node, Workers, browsers). */
export const webCryptoMac: MacFactory = async (key, purpose) => {
  const cryptoKey = await hmacKey(key, purpose);
  return {
    sign: async (data) => new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(data))),
    verify: (data, signature) => crypto.subtle.verify('HMAC', cryptoKey, new Uint8Array(signature), encoder.encode(data)),
  };
};

/** Caches what `factory` derives, once per ring key and purpose (MACs, AEADs). */
export function cachedPerKey<T>(factory: (key: RingKey, purpose: KeyPurpose) => Promise<T>): (key: RingKey, purpose: KeyPurpose) => Promise<T> {
  const cache = new WeakMap<RingKey, Map<KeyPurpose, Promise<T>>>();
  return (key, purpose) => {
    let perKey = cache.get(key);
    if (!perKey) {
      perKey = new Map();
      cache.set(key, perKey);
    }
    let derived = perKey.get(purpose);
    if (!derived) {
      derived = factory(key, purpose);
      perKey.set(purpose, derived);
    }
    return derived;
  };
}

/** Caches one MAC per ring key and purpose. */
export function cachedMacs(factory: MacFactory): MacFactory {
  return cachedPerKey(factory);
}
