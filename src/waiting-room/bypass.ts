import { SANH_COOKIES } from '../platform/cookie-names.js';
import type { RoomConfig } from '../config/schema.js';
import { cidrMatcher } from '../platform/cidr.js';
import { readCookie } from '../platform/http.js';
import { prefixMatches } from './rooms.js';

/** The request facts a bypass rule looks at. */
export interface BypassRequest {
  method: string;
  path: string;
  clientAddress: string | undefined;
  header(name: string): string | undefined;
}

/** Why a request skips the line, or `undefined` when it queues like everyone else. */
export type BypassReason = 'path' | 'extension' | 'address' | 'secret';

/** The header and cookie that carry a bypass secret. */
export const BYPASS_HEADER = 'sanh-bypass';
export const BYPASS_COOKIE = SANH_COOKIES.bypass;

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

function extensionOf(path: string): string | undefined {
  const segment = path.slice(path.lastIndexOf('/') + 1);
  const dot = segment.lastIndexOf('.');
  return dot > 0 ? segment.slice(dot + 1).toLowerCase() : undefined;
}

type Rule = (request: BypassRequest) => BypassReason | undefined;

/**
 * Paths some origins read differently from how they look (`/apply;.css` is `/apply` to Tomcat,
 * `/static/..;/apply` escapes `/static`, encoded slashes and dots): never bypassed by path or
 * extension.
 */
const AMBIGUOUS_PATH = /;|%2f|%5c|%2e|\\|\/\.\.?(\/|$)/i;

/** Compiled rules by the `bypass` object itself: a live change replaces it, so it is compiled again. */
const compiled = new WeakMap<NonNullable<RoomConfig['bypass']>, Rule>();

/** The bypass secret or staff pass a request presents: the `Sanh-Bypass` header, else the `sanh_bypass` cookie. */
export function presentedBypass(request: Pick<BypassRequest, 'header'>): string | undefined {
  return request.header(BYPASS_HEADER) ?? readCookie(request.header('cookie'), BYPASS_COOKIE);
}

function compile(bypass: NonNullable<RoomConfig['bypass']>): Rule {
  const extensions = new Set(bypass.extensions);
  const inAddresses = cidrMatcher(bypass.cidrs);
  const secrets = bypass.secrets;
  return (request) => {
    if (!AMBIGUOUS_PATH.test(request.path)) {
      if (bypass.paths.some((prefix) => prefixMatches(prefix, request.path))) return 'path';
      const extension = extensions.size > 0 && (request.method === 'GET' || request.method === 'HEAD') ? extensionOf(request.path) : undefined;
      if (extension !== undefined && extensions.has(extension)) return 'extension';
    }
    if (inAddresses(request.clientAddress)) return 'address';
    if (secrets.length > 0) {
      const presented = presentedBypass(request);
      if (presented !== undefined && secrets.some((secret) => constantTimeEqual(secret, presented))) return 'secret';
    }
    return undefined;
  };
}

/**
 * Decides whether a request skips the room's line: a bypass path prefix or file extension
 * (static assets; extensions for GET and HEAD only, and never for ambiguous paths), a client address in a bypass CIDR block (offices, support desks), or a
 * bypass secret in the `Sanh-Bypass` header or `sanh_bypass` cookie (staff, health checks;
 * compared in constant time). Rules are compiled once per `bypass` object, so a live change of
 * the rules (which replaces the object) takes effect at once.
 */
export function bypassReason(room: RoomConfig, request: BypassRequest): BypassReason | undefined {
  const bypass = room.bypass;
  if (!bypass) return undefined;
  let rule = compiled.get(bypass);
  if (!rule) {
    rule = compile(bypass);
    compiled.set(bypass, rule);
  }
  return rule(request);
}

/**
 * The client's address: the socket's, or with `trustProxyHops` proxies in front of Sảnh, the
 * entry that many hops from the right of `X-Forwarded-For` (entries further left were written
 * by the client and cannot be trusted).
 */
export function clientAddress(socketAddress: string | undefined, forwardedFor: string | undefined, trustProxyHops: number): string | undefined {
  if (trustProxyHops <= 0 || !forwardedFor) return socketAddress;
  const entries = forwardedFor
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  return entries[entries.length - trustProxyHops] ?? socketAddress;
}

/**
 * The key a client's joins are counted under: its address, with IPv6 addresses cut to their /64
 * (one household or phone gets a whole /64, so a full address would be a fresh key per request).
 */
export function clientKey(address: string | undefined): string {
  if (!address) return 'unknown';
  if (!address.includes(':') || address.startsWith('::ffff:')) return address;
  const groups = address.split('::')[0]?.split(':') ?? [];
  const full = address.includes('::') ? [...groups, '0', '0', '0', '0'].slice(0, 4) : address.split(':').slice(0, 4);
  return `${full.join(':')}::/64`;
}
