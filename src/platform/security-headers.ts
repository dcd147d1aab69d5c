import type { Handler, MiddlewareHandler } from 'hono';
import { mutableHeaders, type SanhEnv } from './http.js';

/**
 * The SHA-256 hashes (CSP `'sha256-…'` sources) of every inline `<script>` of Sảnh's own pages:
 * the waiting page's poller, the closed page's reloader, the countdown, the challenge solver,
 * the receipt page's poller and the kept-submission page's countdown. Pinned here, not computed
 * from the answer, so a script that an injection bug put into a page would not run. `src/platform/security-headers.test.ts` renders
 * every page kind and names any block missing from these lists (changing a page's script means
 * updating its hash here; its no-JavaScript fallback keeps working meanwhile).
 */
export const PAGE_SCRIPT_HASHES: readonly string[] = [
  'sha256-Z1b/xUvFkvGOnvRIg70HgnkmNFpiNi9YXu5Xv7kD6e0=', // waiting-room/client/poller.js (waiting and paused pages)
  'sha256-ux/7ol2JCeBK+TQ8/mrZMnYBM+GwZ67IpimLDLa4QR8=', // waiting-room/client/countdown.js
  'sha256-IEVFyKvacnm3s3KYjpwUKCbE1V6XfUS38MubVVqnDoM=', // waiting-room/client/reloader.js (closed page)
  'sha256-qQlGH6Sz1Thu/kaFQyR9QNuQwZyPb7WADgfdAmvCBWQ=', // waiting-room/challenge/client/sha256.js + solver.js (one block)
  'sha256-vQ06NK7hmQL4Y6DTfX/NQwftGsmppvOhsgxkRFTLDSI=', // submissions/client/receipt.js
  'sha256-qwnjbeHsWNngrB8tJ5v5+unk6ao9VsUqwl6DnN9tYVk=', // submissions/client/kept.js
];

/** The SHA-256 hashes of every inline `<style>` of Sảnh's own pages (see `PAGE_SCRIPT_HASHES`). */
export const PAGE_STYLE_HASHES: readonly string[] = [
  'sha256-vmM2XNKioUWPtFSqtPdZU0hiegHJD2KhV9EoXtHD7BA=', // platform/client/layout.css (every citizen page)
  'sha256-fNCOhNcMHKALDj+T7zmao0q5xM4VodqCO3306vvusek=', // waiting-room/challenge/client/challenge.css (challenge and kept pages)
  'sha256-orqH5AD2/bYO7CYF5cBLa8+qU4+D8DotRm6g1MQrmf0=', // admin/dashboard/client/dashboard.css
  'sha256-sJ8Pds7Qz/F23PrwNYBv3rV1k/1DZU2pYbG9XrtQyBc=', // submissions/client/receipt.css
];

/** The SHA-256 hashes of the `style="…"` attributes of Sảnh's own pages (the resume page's), allowed with `'unsafe-hashes'`. */
export const PAGE_STYLE_ATTRIBUTE_HASHES: readonly string[] = [
  'sha256-fzBSQmiLRL0AZzXWu23TbwQwUfXHn2XyejNjTQQJk5A=', // drafts/pages/resume.tsx
  'sha256-zz46YSaUkpnlCP8f7hXfB+Iq9rVai3a0vpgho0gX1xg=',
  'sha256-+VmlatkkOWfZUz5qPLGFs145DtIjdyLdRGJ2I8dxbng=',
];

/** What `securityHeaders` sends; every field has a default. */
export interface SecurityHeaderOptions {
  /** `Referrer-Policy` (default `strict-origin-when-cross-origin`: same-site forms keep their `Origin` and `Referer`). */
  referrerPolicy?: 'no-referrer' | 'strict-origin-when-cross-origin';
  scriptHashes?: readonly string[];
  styleHashes?: readonly string[];
  styleAttributeHashes?: readonly string[];
  /**
   * Operators' waiting-page templates (`rooms[].templateHtml`, trusted configuration): their
   * inline `<script>` and `<style>` blocks and `style` attributes are allowed too, by hash, as
   * written in the file; a block holding a `{{placeholder}}` changes per visitor and stays blocked.
   */
  templates?: readonly string[];
}

const quoted = (hashes: readonly string[]) => [...new Set(hashes)].map((hash) => ` '${hash}'`).join('');

const encoder = new TextEncoder();
const K = Uint32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74,
  0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d,
  0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e,
  0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
  0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/**
 * SHA-256 (FIPS 180-4), synchronous and dependency-free so the policy can be built at start-up on
 * any runtime (Workers have no `node:crypto`, and Web Crypto is asynchronous). Used only on the
 * few inline blocks of templates, once.
 */
function sha256(bytes: Uint8Array): Uint8Array {
  const length = bytes.length;
  const padded = new Uint8Array(Math.ceil((length + 9) / 64) * 64);
  padded.set(bytes);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(length / 0x20000000));
  view.setUint32(padded.length - 4, (length * 8) >>> 0);
  const h = Uint32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Uint32Array(64);
  const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));
  for (let block = 0; block < padded.length; block += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(block + i * 4);
    for (let i = 16; i < 64; i++) {
      const w15 = w[i - 15] as number;
      const w2 = w[i - 2] as number;
      w[i] = ((w[i - 16] as number) + (rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3)) + (w[i - 7] as number) + (rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10))) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h as unknown as [number, number, number, number, number, number, number, number];
    for (let i = 0; i < 64; i++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + (K[i] as number) + (w[i] as number)) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    const next = [a, b, c, d, e, f, g, hh];
    for (let i = 0; i < 8; i++) h[i] = ((h[i] as number) + (next[i] as number)) >>> 0;
  }
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) outView.setUint32(i * 4, h[i] as number);
  return out;
}

/** A CSP hash source (`sha256-…`) of a text, as browsers compute it over its UTF-8 bytes. */
export function cspHash(text: string): string {
  let binary = '';
  for (const byte of sha256(encoder.encode(text))) binary += String.fromCharCode(byte);
  return `sha256-${btoa(binary)}`;
}

const decodeAttribute = (text: string) =>
  text
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/gi, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** The inline blocks of an HTML document a browser would run or apply: scripts without `src` that are not JSON data, `<style>` elements, `style` attributes. */
export function inlineBlocks(html: string): { scripts: string[]; styles: string[]; attributes: string[] } {
  const scripts = [...html.matchAll(/<script(\s[^>]*)?>([\s\S]*?)<\/script\s*>/gi)]
    .filter(([, attrs = '']) => !/\ssrc\s*=/i.test(attrs) && !/\stype\s*=\s*["']?application\/(ld\+)?json/i.test(attrs))
    .map((m) => m[2] ?? '');
  const styles = [...html.matchAll(/<style(?:\s[^>]*)?>([\s\S]*?)<\/style\s*>/gi)].map((m) => m[1] ?? '');
  const attributes = [...html.matchAll(/\sstyle\s*=\s*"([^"]*)"/gi), ...html.matchAll(/\sstyle\s*=\s*'([^']*)'/gi)].map((m) => decodeAttribute(m[1] ?? ''));
  return { scripts, styles, attributes };
}

/** The hashes of a template's static inline blocks (see `SecurityHeaderOptions.templates`). */
export function templateHashes(templates: readonly string[]): { scripts: string[]; styles: string[]; attributes: string[] } {
  const fixed = (blocks: string[]) => blocks.filter((block) => !block.includes('{{')).map(cspHash);
  const all = templates.map(inlineBlocks);
  return { scripts: fixed(all.flatMap((b) => b.scripts)), styles: fixed(all.flatMap((b) => b.styles)), attributes: fixed(all.flatMap((b) => b.attributes)) };
}

/**
 * The Content-Security-Policy of Sảnh's pages: nothing from elsewhere, scripts and style sheets
 * from this site or inline ones whose hash is pinned, requests and forms to this site only, no
 * `<base>`, never framed.
 */
export function pageContentSecurityPolicy(options: Omit<SecurityHeaderOptions, 'referrerPolicy'> = {}): string {
  const fromTemplates = templateHashes(options.templates ?? []);
  const scripts = [...(options.scriptHashes ?? PAGE_SCRIPT_HASHES), ...fromTemplates.scripts];
  const styles = [...(options.styleHashes ?? PAGE_STYLE_HASHES), ...fromTemplates.styles];
  const attributes = [...(options.styleAttributeHashes ?? PAGE_STYLE_ATTRIBUTE_HASHES), ...fromTemplates.attributes];
  return [
    "default-src 'none'",
    `script-src 'self'${quoted(scripts)}`,
    `style-src 'self'${quoted(styles)}${attributes.length > 0 ? ` 'unsafe-hashes'${quoted(attributes)}` : ''}`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** The header that marks an answer as the origin's until `securityHeaders` takes it off (never sent to a visitor). */
export const ORIGIN_ANSWER_MARK = 'sanh-internal-origin-answer';

/**
 * Wraps the proxy's handler: its answers (the origin portal's) are marked, so `securityHeaders`
 * leaves them as the portal sent them. An answer Sảnh draws instead (an error page when the
 * origin fails, a receipt for a submission caught after a failed delivery) has no mark.
 */
export function originAnswers(handler: Handler<SanhEnv>): Handler<SanhEnv> {
  return async function originAnswer(c, next) {
    const answer = await handler(c, next);
    if (!(answer instanceof Response)) return answer;
    try {
      answer.headers.set(ORIGIN_ANSWER_MARK, '1');
      return answer;
    } catch {
      // a `fetch` answer's headers are immutable: the same answer, with headers of its own
      const copy = new Response(answer.body, answer);
      copy.headers.set(ORIGIN_ANSWER_MARK, '1');
      return copy;
    }
  };
}

/** The headers `securityHeaders` gives a page (an HTML answer). */
export function securityHeaderValues(options: SecurityHeaderOptions = {}): Record<string, string> {
  return {
    'content-security-policy': pageContentSecurityPolicy(options),
    'x-content-type-options': 'nosniff',
    'referrer-policy': options.referrerPolicy ?? 'strict-origin-when-cross-origin',
    'x-frame-options': 'DENY',
  };
}

/**
 * The headers of every answer of Sảnh's that is not a page (JSON, scripts, style sheets, files):
 * nothing may load or run if a browser is sent to it as a document, and it is never framed or
 * sniffed as something else. Short on purpose: a page's policy is some 800 bytes, and the
 * commonest answer of all, a queued visitor's status poll, is a 150-byte JSON (measured: that
 * policy on every poll cost a fifth of the `status` benchmark's rate).
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
});

const isPage = (contentType: string | null) => contentType !== null && /^\s*(text\/html|application\/xhtml\+xml)/i.test(contentType);

/**
 * Security headers on every answer Sảnh itself draws, never on the origin's (see
 * `originAnswers`): a page (HTML) gets `Content-Security-Policy` (`pageContentSecurityPolicy`),
 * `X-Content-Type-Options: nosniff`, `Referrer-Policy` and `X-Frame-Options: DENY`; anything else
 * (its API, scripts, files) gets `API_SECURITY_HEADERS`. A header the route set itself is kept (a
 * stricter `sandbox` policy on an uploaded file, for one). Applied once, outermost, on the public
 * app and on the admin listener.
 */
export function securityHeaders(options: SecurityHeaderOptions = {}): MiddlewareHandler<SanhEnv> {
  const pageHeaders = Object.entries(securityHeaderValues(options));
  const otherHeaders = Object.entries(API_SECURITY_HEADERS);
  return async function sanhSecurityHeaders(c, next) {
    await next();
    const target = mutableHeaders(c);
    if (target.has(ORIGIN_ANSWER_MARK)) {
      target.delete(ORIGIN_ANSWER_MARK);
      return;
    }
    for (const [name, value] of isPage(target.get('content-type')) ? pageHeaders : otherHeaders) if (!target.has(name)) target.set(name, value);
  };
}
