/**
 * The tus 1.0.0 header grammar, as pure functions: parsing what clients send and formatting what
 * the routes answer. https://tus.io/protocols/resumable-upload
 */
import { decodeBase64 } from '../../platform/base64url.js';
import type { ChecksumAlgorithm, ExpectedChecksum } from './bytes.js';

/** The only protocol version served. */
export const TUS_VERSION = '1.0.0';
/** Extensions served (no creation-defer-length: Upload-Length is required). */
export const TUS_EXTENSIONS = 'creation,creation-with-upload,expiration,termination,checksum';
/** Upload-Checksum algorithms, as Tus-Checksum-Algorithm lists them. */
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['sha1', 'sha256'];
/** The body type of PATCH (and of a creation with upload). */
export const OFFSET_OCTET_STREAM = 'application/offset+octet-stream';
/** Largest Upload-Metadata header accepted. */
export const MAX_METADATA_BYTES = 4_096;

const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = { sha1: 20, sha256: 32 };

/** A non-negative integer header (Upload-Length, Upload-Offset), or undefined when absent or malformed. */
export function parseCount(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,16}$/.test(value.trim())) return undefined;
  const count = Number(value.trim());
  return Number.isSafeInteger(count) ? count : undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Upload-Metadata: comma-separated pairs `key base64value` (the value may be left out). Keys are
 * unique and carry no spaces or commas; values must be base64 of UTF-8. Undefined when malformed.
 */
export function parseMetadata(header: string | undefined): Map<string, string> | undefined {
  const pairs = new Map<string, string>();
  if (header === undefined || header.trim() === '') return pairs;
  for (const item of header.split(',')) {
    const [key, value, ...extra] = item.trim().split(' ');
    if (!key || !/^[\x21-\x7e]+$/.test(key) || extra.length > 0 || pairs.has(key)) return undefined;
    const bytes = decodeBase64(value ?? '');
    if (!bytes) return undefined;
    try {
      pairs.set(key, utf8.decode(bytes));
    } catch {
      return undefined;
    }
  }
  return pairs;
}

/** Upload-Checksum `<algorithm> <base64 digest>`: the checksum, `unsupported` for another algorithm, undefined when malformed. */
export function parseChecksum(header: string): ExpectedChecksum | 'unsupported' | undefined {
  const match = /^([A-Za-z0-9-]+) ([A-Za-z0-9+/=]+)$/.exec(header.trim());
  if (!match) return undefined;
  const algorithm = (match[1] as string).toLowerCase();
  if (!(CHECKSUM_ALGORITHMS as readonly string[]).includes(algorithm)) return 'unsupported';
  const digest = decodeBase64(match[2] as string);
  const known = algorithm as ChecksumAlgorithm;
  return digest && digest.byteLength === DIGEST_BYTES[known] ? { algorithm: known, digest } : undefined;
}

/** A file name safe to keep and show: the last path segment, no control characters, at most 255 characters. */
export function cleanFileName(name: string | undefined): string {
  const last = (name ?? '').normalize('NFC').split(/[\\/]/).pop() ?? '';
  const clean = last.replace(/[\u0000-\u001f\u007f-\u009f"]/g, '').trim();
  return Array.from(clean).slice(0, 255).join('') || 'attachment';
}

/** A media type from `filetype` metadata: lower case, parameters dropped; undefined when it is not one. */
export function mediaTypeOf(filetype: string | undefined): string | undefined {
  const type = filetype?.split(';')[0]?.trim().toLowerCase();
  return type && /^[a-z0-9][a-z0-9.+-]*\/[a-z0-9][a-z0-9.+-]*$/.test(type) ? type : undefined;
}

/** True when `type` is one of `accepted` (exactly, or by a `major/*` entry). */
export function typeAccepted(type: string, accepted: readonly string[]): boolean {
  const major = type.split('/')[0];
  return accepted.some((entry) => entry === type || entry === `${major}/*`);
}

/** Content-Disposition for a download: `attachment`, an ASCII fallback name and the UTF-8 name (RFC 6266). */
export function contentDisposition(name: string): string {
  const ascii = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** An HTTP date (Upload-Expires). */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}
