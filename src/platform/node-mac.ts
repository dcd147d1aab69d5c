import { createHmac, timingSafeEqual } from 'node:crypto';
import type { MacFactory } from './mac.js';
import { derivedKeyBytes } from './node-hkdf.js';

/**
 * The `node:crypto` MAC adapter: the same HKDF-SHA256 derivation and HMAC-SHA256 as the Web
 * Crypto adapter (tokens signed by one verify with the other), computed synchronously, without
 * Web Crypto's per-call promise and job dispatch. Node only.
 */
export const nodeMac: MacFactory = async (key, purpose) => {
  const derived = derivedKeyBytes(key, purpose);
  const mac = (data: string) => createHmac('sha256', derived).update(data).digest();
  return {
    sign: (data) => mac(data),
    verify: (data, signature) => {
      const expected = mac(data);
      return signature.length === expected.length && timingSafeEqual(expected, signature);
    },
  };
};
