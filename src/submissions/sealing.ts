import type { SubmissionRouteConfig } from '../config/submissions.js';
import type { AeadFactory } from '../platform/aead.js';
import { decodeBase64, encodeBase64 } from '../platform/base64url.js';
import { webCryptoSha256, type Sha256 } from '../platform/hash.js';
import type { KeyRing } from '../platform/keyring.js';
import { cookiePairs } from '../platform/http.js';
import { clientKey } from '../waiting-room/bypass.js';
import { cachedMacs, webCryptoMac, type MacFactory } from '../platform/mac.js';
import { createValueCipher } from '../platform/value-cipher.js';
import { portalSession } from './visitor.js';

/** A submission as it is kept, to be sent to the origin later exactly as it came. */
export interface CapturedRequest {
  method: string;
  /** Path and query. */
  path: string;
  /** The carried headers (and the carried cookies as one `cookie` header). */
  headers: [string, string][];
  body: Uint8Array;
  forwarding: { clientIp: string | undefined; proto: string; host: string | undefined };
  /** The `Idempotency-Key` the origin is sent (the same on every attempt). */
  originKey: string;
}

/** The portal's answer kept for the citizen to view. */
export interface CapturedAnswer {
  status: number;
  contentType: string | undefined;
  /** Where a redirect pointed (the portal's confirmation page, often). */
  location?: string;
  body: Uint8Array;
}

/** A stored value that cannot be opened. */
export class SubmissionCipherError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SubmissionCipherError';
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

function associatedData(receiptId: string, part: 'request' | 'answer' | 'page'): Uint8Array<ArrayBuffer> {
  return encoder.encode(`sanh/submission/v1\u0000${receiptId}\u0000${part}`);
}

/** Sealing and keying of submissions: what is stored is encrypted, keys are scoped to the visitor and hashed. */
export interface SubmissionSealer {
  sealRequest(receiptId: string, request: CapturedRequest): Promise<string>;
  openRequest(receiptId: string, sealed: string): Promise<CapturedRequest>;
  sealAnswer(receiptId: string, answer: CapturedAnswer): Promise<string>;
  openAnswer(receiptId: string, sealed: string): Promise<CapturedAnswer>;
  /** The visitor-scoped, hashed form of a submission key (64 hex characters). */
  scopedKey(room: string, scope: string, key: string): Promise<string>;
  /** What was submitted (method, path and query, body), as an HMAC of its SHA-256 (hex): nobody can test guesses of a form against a stored fingerprint without the key. */
  fingerprint(method: string, path: string, body: Uint8Array): Promise<string>;
  /** What a refusal page needs to be drawn again (its language switch), sealed for its address (URL-safe). */
  sealPage(state: Record<string, unknown>): Promise<string>;
  /** The state `sealPage` sealed; throws `SubmissionCipherError` when it was altered or its key left the ring. */
  openPage(sealed: string): Promise<Record<string, unknown>>;
}

/** The sealer over the key ring (AES-256-GCM per value, HMAC-SHA256 for keys); default Web Crypto, `nodeAead`/`nodeMac`/`nodeSha256` on Node. */
export function createSubmissionSealer(ring: KeyRing, options: { aead?: AeadFactory; mac?: MacFactory; sha256?: Sha256 } = {}): SubmissionSealer {
  const cipher = createValueCipher(ring, {
    purpose: 'submission-encryption',
    what: 'submission',
    ...(options.aead ? { aead: options.aead } : {}),
    error: (m) => new SubmissionCipherError(m),
  });
  const macs = cachedMacs(options.mac ?? webCryptoMac);
  const sha256 = options.sha256 ?? webCryptoSha256;
  const seal = (id: string, part: 'request' | 'answer' | 'page', value: unknown) =>
    cipher.seal(associatedData(id, part), encoder.encode(JSON.stringify(value)));
  const open = async (id: string, part: 'request' | 'answer' | 'page', sealed: string): Promise<Record<string, unknown>> =>
    JSON.parse(decoder.decode(await cipher.open(associatedData(id, part), sealed))) as Record<string, unknown>;
  return {
    sealRequest: (id, r) => seal(id, 'request', { m: r.method, p: r.path, h: r.headers, b: encodeBase64(r.body), f: r.forwarding, k: r.originKey }),
    async openRequest(id, sealed) {
      const v = await open(id, 'request', sealed);
      const forwarding = v.f as CapturedRequest['forwarding'];
      return {
        method: String(v.m),
        path: String(v.p),
        headers: v.h as [string, string][],
        body: decodeBase64(String(v.b)) ?? new Uint8Array(0),
        forwarding,
        originKey: String(v.k),
      };
    },
    sealAnswer: (id, a) => seal(id, 'answer', { s: a.status, t: a.contentType ?? null, l: a.location ?? null, b: encodeBase64(a.body) }),
    async openAnswer(id, sealed) {
      const v = await open(id, 'answer', sealed);
      return {
        status: Number(v.s),
        contentType: typeof v.t === 'string' ? v.t : undefined,
        ...(typeof v.l === 'string' ? { location: v.l } : {}),
        body: decodeBase64(String(v.b)) ?? new Uint8Array(0),
      };
    },
    async scopedKey(room, scope, key) {
      const mac = await macs(ring.current, 'submission-key');
      return hex(await mac.sign(`${room}\u0000${scope}\u0000${key}`));
    },
    sealPage: (state) => seal('kept', 'page', state),
    openPage: (sealed) => open('kept', 'page', sealed),
    async fingerprint(method, path, body) {
      const head = encoder.encode(`${method}\n${path}\n`);
      const all = new Uint8Array(head.byteLength + body.byteLength);
      all.set(head, 0);
      all.set(body, head.byteLength);
      const mac = await macs(ring.current, 'submission-key');
      return hex(await mac.sign(`fingerprint\u0000${hex(await sha256(all))}`));
    },
  };
}

/**
 * Who a submission's `Idempotency-Key` or draft key belongs to (a body sent without either is
 * scoped by `submitterOf` instead): the portal session cookies the route names
 * (`sessionCookies`) and, when it is carried, `Authorization`; without either, the client address
 * (an IPv6 client by its /64). Only stable, per-visitor values: cookies everyone shares (language,
 * consent) or that change on every answer (load balancer stickiness) would merge visitors or
 * split one visitor's retries.
 */
export function visitorScope(route: SubmissionRouteConfig, headers: Headers, clientAddress: string | undefined): string {
  const session = portalSession(route, headers);
  return session ? `s:${session}` : `a:${clientKey(clientAddress)}`;
}

/** The cookies a route carries to the origin (never Sảnh's own), as one `Cookie` header value; undefined when none. */
export function carriedCookies(route: SubmissionRouteConfig, header: string | undefined): string | undefined {
  if (!header) return undefined;
  const all = route.cookies.includes('*');
  const kept = cookiePairs(header).filter(([name]) => !name.startsWith('sanh_') && (all || route.cookies.includes(name)));
  return kept.length > 0 ? kept.map(([name, value]) => `${name}=${value}`).join('; ') : undefined;
}

/** The request as it will be kept: carried headers and cookies only. */
export function captureRequest(
  route: SubmissionRouteConfig,
  request: { method: string; path: string; headers: Headers; body: Uint8Array; forwarding: CapturedRequest['forwarding'] },
  originKey: string,
): CapturedRequest {
  const headers: [string, string][] = [];
  const names = new Set(['content-type', ...route.headers]);
  for (const name of names) {
    const value = request.headers.get(name);
    if (value !== null) headers.push([name, value]);
  }
  const cookie = carriedCookies(route, request.headers.get('cookie') ?? undefined);
  if (cookie) headers.push(['cookie', cookie]);
  return { method: request.method, path: request.path, headers, body: request.body, forwarding: request.forwarding, originKey };
}
