/** Header rules for forwarding a request to the origin and its answer back. */
import { isSanhCookie } from '../platform/cookie-names.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // Sảnh's own bypass secret (rooms[].bypass.secrets) never travels on to the origin.
  'sanh-bypass',
]);

/**
 * Names listed in a `Connection` header are hop-by-hop too (RFC 9110 §7.6.1). `undefined` when it
 * lists nothing new: no header, or the usual single `keep-alive`.
 */
function connectionTokens(connection: string | undefined): ReadonlySet<string> | undefined {
  if (!connection || HOP_BY_HOP.has(connection.toLowerCase())) return undefined;
  return new Set(
    connection
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
}

/** `isHopByHop` for a lower-case name and the `Connection` header's tokens, read once per message. */
function hopByHop(lowerName: string, listed: ReadonlySet<string> | undefined): boolean {
  return HOP_BY_HOP.has(lowerName) || listed?.has(lowerName) === true;
}

/** True for headers that must not cross the proxy. */
export function isHopByHop(name: string, connection: string | undefined): boolean {
  return hopByHop(name.toLowerCase(), connectionTokens(connection));
}

/** Removes Sảnh's own cookies (every one in `platform/cookie-names.ts`) so the origin never sees them. */
export function stripSanhCookies(cookie: string): string {
  return cookie
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part && !isSanhCookie(part))
    .join('; ');
}

/**
 * Headers that make an origin (or a framework in front of it) read another URL, path prefix or
 * method than the one Sảnh's gate decided on (`X-Original-URL` on a bypass path naming a gated
 * page): never forwarded, whoever sent them.
 */
const REWRITE = new Set([
  'x-original-url',
  'x-rewrite-url',
  'x-original-uri',
  'x-forwarded-uri',
  'x-forwarded-path',
  'x-forwarded-prefix',
  'x-override-url',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  // Sảnh's Node server answers `Expect: 100-continue` itself; undici refuses to send it on.
  'expect',
]);

/**
 * Headers that claim where the visitor came from or how they reached the site. Written by the
 * client unless proxies Sảnh trusts (`trustProxyHops`) stand in front: with no trusted hop, all
 * are dropped and Sảnh writes `X-Forwarded-For`, `-Proto` and `-Host` itself.
 */
const FORWARDING = new Set([
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-server',
  'x-forwarded-scheme',
  'x-forwarded-ssl',
  'x-forwarded',
  'forwarded-for',
  'front-end-https',
  'x-url-scheme',
  'x-real-ip',
  'x-client-ip',
  'client-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'x-cluster-client-ip',
  'x-originating-ip',
  'x-remote-ip',
  'x-remote-addr',
  'x-proxyuser-ip',
  'x-original-host',
  'x-host',
]);

/** True for request headers Sảnh never forwards as the client sent them (rewrites, `Expect`, forwarding claims). */
export function isRewriteHeader(lowerName: string): boolean {
  return REWRITE.has(lowerName);
}

/** True for the forwarding headers `originRequestHeaders` drops or rewrites unless hops are trusted. */
export function isForwardingHeader(lowerName: string): boolean {
  return FORWARDING.has(lowerName);
}

/** What the proxy knows of the visitor's connection. */
export interface ForwardingContext {
  /** The address of the peer Sảnh's socket sees (the client, or the nearest proxy in front). */
  clientIp: string | undefined;
  /** `http` or `https`, as the visitor reached us. */
  proto: string;
  /** The Host the visitor asked for. */
  host: string | undefined;
  /** Proxies in front of Sảnh whose forwarding headers are trusted (`trustProxyHops`); default 0. */
  trustProxyHops?: number;
}

/**
 * The comma-separated elements of `Forwarded`, commas inside quoted strings kept; none when a
 * quote is left open (a client's open quote must not swallow the trusted proxies' elements).
 */
function forwardedElements(value: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (ch === '"') quoted = !quoted;
    else if (ch === '\\' && quoted) {
      current += ch + (value[i + 1] ?? '');
      i++;
      continue;
    } else if (ch === ',' && !quoted) {
      if (current.trim()) out.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  if (quoted) return [];
  if (current.trim()) out.push(current.trim());
  return out;
}

/** The last `hops` elements of a list header (`X-Forwarded-For`: plain commas; `Forwarded`: quote-aware): those the trusted proxies wrote. */
function trustedTail(value: string | null, hops: number, split: (value: string) => string[]): string[] {
  if (!value || hops <= 0) return [];
  return split(value).slice(-hops);
}

function plainElements(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/** A `Forwarded` node for an address (IPv6 quoted and bracketed, RFC 7239 §6). */
function forwardedNode(ip: string): string {
  return ip.includes(':') ? `"[${ip}]"` : ip;
}

/**
 * Request headers for the origin: hop-by-hop and Host removed, Sảnh cookies and the bypass secret
 * removed, rewrite headers (`X-Original-URL`, `X-Rewrite-URL`, `X-Forwarded-Prefix`, method
 * overrides) and `Expect` removed. Forwarding headers are vouched for only by trusted hops
 * (`ctx.trustProxyHops`): with none, every client-supplied one is dropped and `X-Forwarded-For`
 * (the socket's peer), `X-Forwarded-Proto` and `X-Forwarded-Host` are Sảnh's own; with N, the last
 * N entries of `X-Forwarded-For` (and of `Forwarded`) are kept and the peer appended, and the
 * proxies' `X-Forwarded-Proto` / `-Host` are kept. With `traceHeaders` (a traced call), the trace
 * context those give instead of the visitor's.
 */
export function originRequestHeaders(incoming: Headers, ctx: ForwardingContext, traceHeaders?: Record<string, string>): Record<string, string> {
  const listed = connectionTokens(incoming.get('connection') ?? undefined);
  const hops = ctx.trustProxyHops ?? 0;
  const out: Record<string, string> = {};
  incoming.forEach((value, name) => {
    if (name === 'host' || hopByHop(name, listed) || REWRITE.has(name)) return;
    if (FORWARDING.has(name) && (hops === 0 || name === 'x-forwarded-for' || name === 'forwarded')) return;
    if (traceHeaders && (name === 'traceparent' || name === 'tracestate')) return;
    if (name === 'cookie') {
      const kept = stripSanhCookies(value);
      if (kept) out.cookie = kept;
      return;
    }
    out[name] = value;
  });
  const chain = trustedTail(incoming.get('x-forwarded-for'), hops, plainElements);
  if (ctx.clientIp) chain.push(ctx.clientIp);
  if (chain.length > 0) out['x-forwarded-for'] = chain.join(', ');
  const forwarded = trustedTail(incoming.get('forwarded'), hops, forwardedElements);
  if (forwarded.length > 0) {
    if (ctx.clientIp) forwarded.push(`for=${forwardedNode(ctx.clientIp)}`);
    out.forwarded = forwarded.join(', ');
  }
  out['x-forwarded-proto'] = (hops > 0 ? incoming.get('x-forwarded-proto') : null) ?? ctx.proto;
  const host = (hops > 0 ? incoming.get('x-forwarded-host') : null) ?? ctx.host;
  if (host) out['x-forwarded-host'] = host;
  return traceHeaders ? Object.assign(out, traceHeaders) : out;
}

/** Response headers for the visitor: hop-by-hop removed, repeated headers (Set-Cookie) kept. */
export function visitorResponseHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const connection = raw.connection;
  const listed = connectionTokens(Array.isArray(connection) ? connection.join(',') : connection);
  const headers = new Headers();
  for (const name in raw) {
    const value = raw[name];
    if (value === undefined || hopByHop(name.toLowerCase(), listed)) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  return headers;
}
