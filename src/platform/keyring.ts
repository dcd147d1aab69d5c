/**
 * The signing/encryption key ring from `SANH_SECRETS`. Keys have ids so they can rotate: the first
 * key listed signs, every listed key verifies. Purpose-specific keys are derived with HKDF so one
 * secret never serves two purposes directly.
 */

/** One secret of the ring. */
export interface RingKey {
  id: string;
  secret: Uint8Array<ArrayBuffer>;
}

/** A parsed key ring. `current` signs; all keys verify. */
export interface KeyRing {
  current: RingKey;
  keys: ReadonlyMap<string, RingKey>;
  /** True when the ring was generated at start because none was configured. */
  generated: boolean;
}

/** What a derived key is for; one HKDF `info` each. */
export type KeyPurpose =
  | 'waiting-room-token'
  | 'staff-pass'
  | 'join-challenge'
  | 'draft-encryption'
  | 'draft-resume'
  | 'draft-attachment'
  | 'submission-encryption'
  | 'submission-key';

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const MIN_SECRET_LENGTH = 32;

/** A malformed `SANH_SECRETS` value, naming each problem. */
export class KeyRingError extends Error {
  constructor(problems: string[]) {
    super(`Invalid SANH_SECRETS:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'KeyRingError';
  }
}

/**
 * Parses `SANH_SECRETS`: entries `id:secret` separated by commas or new lines, newest first.
 * Each secret must be at least 32 characters (e.g. `openssl rand -base64 32`).
 */
export function parseKeyRing(value: string): KeyRing {
  const problems: string[] = [];
  const keys = new Map<string, RingKey>();
  const entries = value
    .split(/[,\n]/)
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) problems.push('no keys given; expected "id:secret" entries separated by commas');
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    const secret = colon > 0 ? entry.slice(colon + 1) : '';
    if (!KEY_ID.test(id)) problems.push(`entry ${index + 1}: key id must be 1-32 letters, digits, "-" or "_" before a ":"`);
    else if (keys.has(id)) problems.push(`entry ${index + 1}: key id "${id}" is listed twice`);
    if (secret.length < MIN_SECRET_LENGTH) problems.push(`entry ${index + 1}: secret must be at least ${MIN_SECRET_LENGTH} characters`);
    if (KEY_ID.test(id) && secret.length >= MIN_SECRET_LENGTH) keys.set(id, { id, secret: new TextEncoder().encode(secret) });
  });
  if (problems.length > 0) throw new KeyRingError(problems);
  const current = [...keys.values()][0] as RingKey;
  return { current, keys, generated: false };
}

/** A fresh random single-key ring, for development only: passes die with the process. */
export function generateKeyRing(): KeyRing {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const key = { id: `dev-${Date.now().toString(36)}`, secret };
  return { current: key, keys: new Map([[key.id, key]]), generated: true };
}

/** The HKDF `info` that derives a ring key's key for one purpose (the same on every runtime). */
export function hkdfInfo(purpose: KeyPurpose): string {
  return `sanh/${purpose}`;
}

/**
 * The Web Crypto key derived from `key` for `purpose` (HKDF-SHA256, empty salt) as `algorithm`:
 * the one derivation every Web Crypto adapter uses (`node-hkdf.ts` gives the same bytes on Node).
 * Not cached here: callers keep one per key and purpose.
 */
export async function derivedCryptoKey(
  key: RingKey,
  purpose: KeyPurpose,
  algorithm: HmacImportParams | AesKeyAlgorithm,
  usages: KeyUsage[],
): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey('raw', key.secret, 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: new TextEncoder().encode(hkdfInfo(purpose)) },
    base,
    algorithm,
    false,
    usages,
  );
}

/** The HMAC-SHA256 key derived from `key` for `purpose` (see `derivedCryptoKey`). */
export function hmacKey(key: RingKey, purpose: KeyPurpose): Promise<CryptoKey> {
  return derivedCryptoKey(key, purpose, { name: 'HMAC', hash: 'SHA-256', length: 256 }, ['sign', 'verify']);
}
