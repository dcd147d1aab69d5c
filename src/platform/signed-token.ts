import { decodeBase64Url, encodeBase64Url } from './base64url.js';
import type { KeyPurpose, KeyRing } from './keyring.js';
import { cachedMacs, webCryptoMac, type MacFactory } from './mac.js';

/**
 * Compact signed tokens: `<keyId>.<payload>.<signature>`, payload as base64url JSON, signature
 * HMAC-SHA256 (Web Crypto, constant-time verification) over `<keyId>.<payload>` with the key
 * derived from the ring for one purpose. Verification results are cached per token string, so a
 * visitor's repeated requests cost one map look-up; expiry is still checked on every use.
 */
export interface TokenSigner<P> {
  sign(payload: P): Promise<string>;
  /** The payload when the token is authentic and `accept` approves it; otherwise undefined. */
  verify(token: string | undefined): Promise<P | undefined>;
  /**
   * The payload of a token `verify` already found authentic, when `accept` still approves it: a
   * map look-up, no MAC. `undefined` when the token is unknown or no longer accepted (then only
   * `verify` can tell whether it is valid).
   */
  verifyKnown(token: string | undefined): P | undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Creates a signer for one purpose. `parse` checks the payload's shape; `accept` its freshness. */
export function createTokenSigner<P>(options: {
  ring: KeyRing;
  purpose: KeyPurpose;
  parse: (value: unknown) => P | undefined;
  /** The JSON value signed for a payload (e.g. with short field names). */
  serialize: (payload: P) => unknown;
  accept: (payload: P) => boolean;
  cacheSize?: number;
  /** How MACs are computed; default Web Crypto. */
  mac?: MacFactory;
}): TokenSigner<P> {
  const { ring, purpose, parse, serialize, accept } = options;
  const macOf = cachedMacs(options.mac ?? webCryptoMac);
  const cacheSize = options.cacheSize ?? 20_000;
  /** Authentic tokens by signature text: a short key hashes faster than the whole token. */
  const verified = new Map<string, { token: string; payload: P }>();

  function signatureOf(token: string): string {
    return token.slice(token.lastIndexOf('.') + 1);
  }

  function known(token: string): P | undefined {
    const entry = verified.get(signatureOf(token));
    return entry?.token === token ? entry.payload : undefined;
  }

  function remember(token: string, payload: P): void {
    if (verified.size >= cacheSize) {
      const oldest = verified.keys().next();
      if (!oldest.done) verified.delete(oldest.value);
    }
    verified.set(signatureOf(token), { token, payload });
  }

  return {
    async sign(payload) {
      const body = encodeBase64Url(encoder.encode(JSON.stringify(serialize(payload))));
      const signed = `${ring.current.id}.${body}`;
      const mac = await macOf(ring.current, purpose);
      return `${signed}.${encodeBase64Url(await mac.sign(signed))}`;
    },

    verifyKnown(token) {
      const payload = token === undefined ? undefined : known(token);
      return payload !== undefined && accept(payload) ? payload : undefined;
    },

    async verify(token) {
      if (!token || token.length > 2048) return undefined;
      const cached = known(token);
      if (cached !== undefined) return accept(cached) ? cached : undefined;
      const [keyId, body, signatureText, extra] = token.split('.');
      if (extra !== undefined || !keyId || !body || !signatureText) return undefined;
      const ringKey = ring.keys.get(keyId);
      const signature = decodeBase64Url(signatureText);
      const bodyBytes = decodeBase64Url(body);
      if (!ringKey || !signature || !bodyBytes) return undefined;
      const mac = await macOf(ringKey, purpose);
      const authentic = await mac.verify(`${keyId}.${body}`, signature);
      if (!authentic) return undefined;
      let payload: P | undefined;
      try {
        payload = parse(JSON.parse(decoder.decode(bodyBytes)));
      } catch {
        return undefined;
      }
      if (payload === undefined) return undefined;
      remember(token, payload);
      return accept(payload) ? payload : undefined;
    },
  };
}
