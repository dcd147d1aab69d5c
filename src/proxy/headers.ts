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
]);

/** Names listed in a `Connection` header are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionTokens(connection: string | undefined): Set<string> {
  return new Set((connection ?? '').split(',').map((t) => t.trim().toLowerCase()).filter(Boolean));
}

/** True for headers that must not cross the proxy. */
export function isHopByHop(name: string, connection: string | undefined): boolean {
  const lower = name.toLowerCase();
  return HOP_BY_HOP.has(lower) || connectionTokens(connection).has(lower);
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
 * `X-Forwarded-For` appended to, `X-Forwarded-Proto` and `X-Forwarded-Host` set.
 */
export function originRequestHeaders(incoming: Headers, ctx: ForwardingContext): Record<string, string> {
  const connection = incoming.get('connection') ?? undefined;
  const out: Record<string, string> = {};
  incoming.forEach((value, name) => {
    if (name === 'host' || isHopByHop(name, connection)) return;
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
  return out;
}

/** Response headers for the visitor: hop-by-hop removed, repeated headers (Set-Cookie) kept. */
export function visitorResponseHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const connection = raw.connection;
  const connectionValue = Array.isArray(connection) ? connection.join(',') : connection;
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined || isHopByHop(name, connectionValue)) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  return headers;
}
