import type { SanhState } from './sanh-state.js';
import type { Context, ErrorHandler, Env, MiddlewareHandler } from 'hono';
import { concatBytes } from './bytes.js';
import { errorBody, SanhError, toSanhError } from './errors.js';
import { renderErrorPage } from './error-page.js';
import { pickLang } from './i18n.js';
import type { Logger } from './logger.js';
import { recordActiveError, scrubbedPath } from '../telemetry/tracing.js';

/** Variables Sảnh keeps on the Hono context. */
export interface SanhVariables {
  requestId: string;
  /** The room whose gate handled this request, for the error mapper. */
  sanhRoom?: string;
  /** The path the gate's room decision read (normalised, `waiting-room/path-normal.ts`): the proxy forwards this one. */
  sanhPath?: string;
  /** Set by the gate when it let a request through unadmitted (bypass, a passthrough room): the proxy's origin lanes. */
  sanhLetThrough?: Extract<SanhState, 'bypass' | 'passthrough'>;
  /** Errors of this request are answered as JSON whatever it accepts (API routes such as drafts). */
  errorsAsJson?: boolean;
  /** The request body, already read (a deferrable submission): the proxy sends these bytes. */
  sanhBody?: Uint8Array;
  /** Headers the proxy adds for the origin (a submission's `Idempotency-Key`). */
  sanhOriginHeaders?: Record<string, string>;
  /** The id of the admin token a request to the admin listener came with. */
  adminTokenId?: string;
}

/** The Hono environment of Sảnh's apps. */
export interface SanhEnv extends Env {
  Variables: SanhVariables;
}

/** The header that carries a request's id, both ways. */
export const REQUEST_ID_HEADER = 'sanh-request-id';

/**
 * A request's id: the caller's own (from `Sanh-Request-Id`) when it is at most 255 word
 * characters, `-` or `=`, else a fresh UUID. The same rule as Hono's `requestId` middleware.
 */
export function requestIdFor(callerId: string | null | undefined): string {
  return callerId && callerId.length <= 255 && !/[^\w\-=]/.test(callerId) ? callerId : crypto.randomUUID();
}

/** Gives the request its id (`c.get('requestId')`) and its answer the header, unless it has one already. */
export function ensureRequestId(c: Context<SanhEnv>): void {
  if (c.get('requestId') !== undefined) return;
  const id = requestIdFor(c.req.header(REQUEST_ID_HEADER));
  c.set('requestId', id);
  c.header(REQUEST_ID_HEADER, id);
}

/**
 * Middleware giving each request its id and the answer a `Sanh-Request-Id` header (see
 * `ensureRequestId`). Not Hono's `requestId`, whose id rule it keeps: that one runs on every
 * request, while Sảnh mounts this on its own routes only and the error mapper gives a failing
 * request its id late, so an admitted visitor's request to the portal makes no UUID and the
 * portal's answers get no header of ours (the hot path, measured by `bench/hot-path-instructions.ts`).
 */
export function requestIds(): MiddlewareHandler<SanhEnv> {
  return async function requestId(c, next) {
    ensureRequestId(c);
    await next();
  };
}

/** True when the client prefers JSON to HTML (API clients, mobile apps, the waiting page's poller). */
export function wantsJson(c: Context): boolean {
  const accept = c.req.header('accept') ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

/** The page language of a request. */
export function requestLang(c: Context) {
  return pickLang(c.req.query('lang'), c.req.header('accept-language'));
}

/** True when the visitor reached us over HTTPS (directly or through a proxy that says so). */
export function isHttps(c: Context): boolean {
  const forwarded = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim();
  return forwarded === undefined ? c.req.url.startsWith('https:') : forwarded === 'https';
}

/**
 * Reads one cookie's value from a `Cookie` header without parsing the rest (the admitted
 * visitor's hot path reads only Sảnh's own cookies, whose values need no decoding).
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  if (header.includes('"')) return cookieValues(header, name)[0];
  let from = 0;
  while (from < header.length) {
    const at = header.indexOf(name, from);
    if (at < 0) return undefined;
    const boundary = at === 0 || header[at - 1] === ' ' || header[at - 1] === ';';
    if (boundary && header[at + name.length] === '=') {
      const start = at + name.length + 1;
      const end = header.indexOf(';', start);
      const value = (end < 0 ? header.slice(start) : header.slice(start, end)).trim();
      if (value) return value;
    }
    from = at + name.length;
  }
  return undefined;
}

/**
 * Every value of cookie `name` in a `Cookie` header, in order, reading a double-quoted value as
 * one value even when it holds `;` (as quote-aware servers behind Sảnh do), so a name written
 * inside another cookie's quoted value is never taken for a cookie. Quotes around a value are kept.
 */
export function cookieValues(header: string | undefined, name: string): string[] {
  const values: string[] = [];
  if (!header) return values;
  let at = 0;
  while (at < header.length) {
    while (header[at] === ' ' || header[at] === ';') at++;
    const eq = header.indexOf('=', at);
    const semi = header.indexOf(';', at);
    if (eq < 0 || (semi >= 0 && semi < eq)) {
      at = semi < 0 ? header.length : semi + 1;
      continue;
    }
    const pairName = header.slice(at, eq).trim();
    let end = eq + 1;
    while (header[end] === ' ') end++;
    if (header[end] === '"') {
      const close = header.indexOf('"', end + 1);
      if (close >= 0) end = close + 1;
    }
    const stop = header.indexOf(';', end);
    const valueEnd = stop < 0 ? header.length : stop;
    const value = header.slice(eq + 1, valueEnd).trim();
    if (pairName === name && value) values.push(value);
    at = valueEnd + 1;
  }
  return values;
}

/** Every `name=value` pair of a `Cookie` header, in order (values as sent). */
export function cookiePairs(header: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    const name = (eq < 0 ? '' : part.slice(0, eq)).trim();
    if (name) pairs.push([name, part.slice(eq + 1).trim()]);
  }
  return pairs;
}

/** Serializes a Sảnh cookie: whole site (or `path`), HttpOnly, SameSite=Lax, Secure over HTTPS. */
export function cookieHeader(name: string, value: string, maxAgeSeconds: number, secure: boolean, path = '/'): string {
  return `${name}=${value}; Path=${path}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

/** Headers of `c.res` that can be changed (responses from `fetch` have immutable headers). */
export function mutableHeaders(c: Context): Headers {
  try {
    c.res.headers.set('x-sanh-probe', '1');
    c.res.headers.delete('x-sanh-probe');
  } catch {
    c.res = new Response(c.res.body, c.res);
  }
  return c.res.headers;
}

/** The headers of a fault's answer: no caching, its own, `Retry-After`, and with a room the room and `Sanh-State: unavailable`. */
export function errorHeaders(error: SanhError, room: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'cache-control': 'no-store', ...error.headers };
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
  if (room) {
    headers['sanh-room'] = room;
    headers['sanh-state'] = 'unavailable';
  }
  return headers;
}

/** Renders a fault as JSON `{ error: { code, message, requestId } }` or a friendly page. */
export function respondWithError(c: Context<SanhEnv>, error: SanhError): Response {
  const requestId = c.get('requestId');
  const headers = errorHeaders(error, c.get('sanhRoom'));
  if (c.get('errorsAsJson') || wantsJson(c)) return c.json(errorBody(error, requestId), error.status as 500, headers);
  const selfRetry =
    (c.req.method === 'GET' || c.req.method === 'HEAD') && error.retryAfterSeconds !== undefined && error.retryAfterSeconds <= 600
      ? error.retryAfterSeconds
      : undefined;
  return c.html(renderErrorPage(requestLang(c), error.code, requestId, selfRetry), error.status as 500, headers);
}

/** The one error mapper: logs faults worth logging (with the request id) and answers uniformly. */
export function errorMapper(logger: Logger): ErrorHandler<SanhEnv> {
  return (err, c) => {
    const error = toSanhError(err);
    if (error.status >= 500) {
      recordActiveError(error);
      logger.error(error.message, {
        code: error.code,
        requestId: c.get('requestId'),
        method: c.req.method,
        path: scrubbedPath(c),
        cause: error.cause instanceof Error ? error.cause.message : error.cause === undefined ? undefined : String(error.cause),
      });
    }
    return respondWithError(c, error);
  };
}

const LOCAL_BASE = 'http://sanh.invalid';
/** The longest path (with query) a visitor is sent back to. */
const MAX_LOCAL_PATH = 2_048;

/**
 * A path (and query) that is safe to send a visitor back to: on this site only. Leading slashes
 * are collapsed, before and after dot segments are resolved (`//evil.example/` would be another
 * site), and anything with control characters or backslashes, longer than 2,048 characters, or
 * that resolves elsewhere, becomes `/`.
 */
export function safeLocalPath(value: string | undefined): string {
  if (!value || value.length > MAX_LOCAL_PATH || !value.startsWith('/') || /[\u0000-\u001f\u007f\\]/.test(value)) return '/';
  const url = new URL(value.replace(/^\/+/, '/'), LOCAL_BASE);
  if (url.origin !== LOCAL_BASE) return '/';
  const path = `${url.pathname.replace(/^\/+/, '/')}${url.search}`;
  return path.length > MAX_LOCAL_PATH ? '/' : path;
}

/** A request body as the runtime hands it over: the raw Node stream on Node, where it exists. */
export type RawBody = (c: Context) => AsyncIterable<Uint8Array> | undefined;

/** The event interface of a Node readable stream (read by events: cheaper than async iteration). */
interface EventedStream {
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  destroy?(): unknown;
}

function isEvented(stream: unknown): stream is EventedStream {
  return typeof (stream as { on?: unknown }).on === 'function';
}

const decoder = new TextDecoder();

function readEvented(stream: EventedStream, maxBytes: number, tooLarge: () => Error): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let length = 0;
    stream.on('data', (chunk) => {
      if (length > maxBytes) return;
      length += chunk.byteLength;
      if (length > maxBytes) {
        // Not destroyed: that would cut the connection before the 413 goes out. The rest is
        // read and dropped while the answer (with Connection: close) is written.
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () => resolve(concatBytes(chunks, length)));
    stream.on('error', reject);
  });
}

/**
 * A request body's bytes, at most `maxBytes` (else SanhError `payload_too_large`, checked against
 * `Content-Length` first and then while reading). On Node, `raw` gives the incoming stream, read
 * directly: going through `c.req` makes the adapter build a whole web `Request` and stream.
 */
export async function readBodyBytes(c: Context, maxBytes: number, raw?: RawBody): Promise<Uint8Array> {
  const tooLarge = () => new SanhError('payload_too_large', `The request body is larger than ${maxBytes} bytes.`, { headers: { connection: 'close' } });
  const declared = Number(c.req.header('content-length') ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge();
  const stream = raw?.(c) ?? c.req.raw.body;
  if (!stream) return new Uint8Array(0);
  if (isEvented(stream)) return readEvented(stream, maxBytes, tooLarge);
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of stream as AsyncIterable<Uint8Array>) {
    length += chunk.byteLength;
    if (length > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return concatBytes(chunks, length);
}

/** A request body as text (UTF-8), at most `maxBytes`: see `readBodyBytes`. */
export async function readBodyText(c: Context, maxBytes: number, raw?: RawBody): Promise<string> {
  return decoder.decode(await readBodyBytes(c, maxBytes, raw));
}
