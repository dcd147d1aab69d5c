/** Header rules for forwarding a request to the origin and its answer back. */

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
  return new Set(connection.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean));
}

/** `isHopByHop` for a lower-case name and the `Connection` header's tokens, read once per message. */
function hopByHop(lowerName: string, listed: ReadonlySet<string> | undefined): boolean {
  return HOP_BY_HOP.has(lowerName) || (listed !== undefined && listed.has(lowerName));
}

/** True for headers that must not cross the proxy. */
export function isHopByHop(name: string, connection: string | undefined): boolean {
  return hopByHop(name.toLowerCase(), connectionTokens(connection));
}

/** Removes Sảnh's own cookies (passes, tickets) so the origin never sees them. */
export function stripSanhCookies(cookie: string): string {
  return cookie
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part && !part.startsWith('sanh_'))
    .join('; ');
}

/** What the proxy knows of the visitor's connection. */
export interface ForwardingContext {
  clientIp: string | undefined;
  /** `http` or `https`, as the visitor reached us. */
  proto: string;
  /** The Host the visitor asked for. */
  host: string | undefined;
}

/**
 * Request headers for the origin: hop-by-hop and Host removed, Sảnh cookies removed,
 * `X-Forwarded-For` appended to, `X-Forwarded-Proto` and `X-Forwarded-Host` set; with
 * `traceHeaders` (a traced call), the trace context those give instead of the visitor's.
 */
export function originRequestHeaders(incoming: Headers, ctx: ForwardingContext, traceHeaders?: Record<string, string>): Record<string, string> {
  const listed = connectionTokens(incoming.get('connection') ?? undefined);
  const out: Record<string, string> = {};
  incoming.forEach((value, name) => {
    if (name === 'host' || hopByHop(name, listed)) return;
    if (traceHeaders && (name === 'traceparent' || name === 'tracestate')) return;
    if (name === 'cookie') {
      const kept = stripSanhCookies(value);
      if (kept) out.cookie = kept;
      return;
    }
    out[name] = value;
  });
  const priorFor = incoming.get('x-forwarded-for');
  if (ctx.clientIp) out['x-forwarded-for'] = priorFor ? `${priorFor}, ${ctx.clientIp}` : ctx.clientIp;
  out['x-forwarded-proto'] = incoming.get('x-forwarded-proto') ?? ctx.proto;
  const host = incoming.get('x-forwarded-host') ?? ctx.host;
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
