import type { Context } from 'hono';
import { parseIp } from '../platform/cidr.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { SanhError } from '../platform/errors.js';

/** How failed admin sign-ins (bearer tokens, dashboard sign-in) are slowed and refused per client address. */
export interface AuthLimits {
  /** Failures in a window answered at once (default 3). */
  freeFailures: number;
  /** Failures in a window after which the address is refused until the window ends (default 10). */
  maxFailures: number;
  /** The window, from an address's first failure (default 60 s). */
  windowMs: number;
  /** The delay of the first slowed failure; it doubles with each further one (default 250 ms). */
  baseDelayMs: number;
  /** The longest delay of one failure (default 2 s). */
  maxDelayMs: number;
  /** The most addresses remembered; the oldest is forgotten to make room (default 10,000). */
  maxAddresses: number;
}

/** The defaults: 3 free failures a minute, then slower ones, then refusal after 10 until the minute is over. */
export const DEFAULT_AUTH_LIMITS: AuthLimits = {
  freeFailures: 3,
  maxFailures: 10,
  windowMs: 60_000,
  baseDelayMs: 250,
  maxDelayMs: 2_000,
  maxAddresses: 10_000,
};

/** Whether an address may try a token now: yes, or refused for `retryAfterSeconds`. */
export type AuthAdmission = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** What a failure costs: an answer after `delayMs` (0: at once), or, when it was the last one allowed, refusal for `retryAfterSeconds`. */
export type AuthFailure = { blocked: false; delayMs: number } | { blocked: true; retryAfterSeconds: number };

/** Failed admin authentication per client address: slowed, then refused for the rest of the window (pure; one per process). */
export interface AuthLimiter {
  /** Checked before a token is looked at: a refused address learns nothing about its guess. */
  admit(address: string): AuthAdmission;
  /** A wrong token (or none the limiter could check) came from this address. */
  failure(address: string): AuthFailure;
  /** How many addresses are remembered now (bounded by `maxAddresses`). */
  size(): number;
}

interface Entry {
  windowStart: number;
  failures: number;
}

/**
 * The bucket an address falls in: an IPv6 address by its /64 (one subscriber's network: rotating
 * addresses inside it gains nothing), IPv4 (also written IPv4-mapped, `::ffff:192.0.2.1`) as
 * the dotted address, anything unreadable as written (at most 64 characters).
 */
export function addressBucket(address: string | undefined): string {
  if (!address) return 'unknown';
  const value = parseIp(address);
  if (value === undefined) return address.slice(0, 64);
  if (value >> 32n === 0xffffn) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join('.');
  return `${(value >> 64n).toString(16)}::/64`;
}

/**
 * Counts failed admin authentication per address bucket in fixed windows that start with a
 * bucket's first failure. Within a window the first `freeFailures` are answered at once, the next
 * ones after a doubling delay, and from the `maxFailures`-th on the address is refused (429)
 * until the window ends, without its tokens being checked. A right token does not reset the count
 * (a holder of a `read` token could otherwise guess an `operate` one between right answers). Other
 * addresses are not affected. At most `maxAddresses` are remembered: expired windows are forgotten
 * first, then the oldest.
 */
export function createAuthLimiter(options: { clock?: Clock; limits?: Partial<AuthLimits> } = {}): AuthLimiter {
  const clock = options.clock ?? systemClock;
  const limits: AuthLimits = { ...DEFAULT_AUTH_LIMITS, ...options.limits };
  const entries = new Map<string, Entry>();

  const current = (bucket: string, now: number): Entry | undefined => {
    const entry = entries.get(bucket);
    if (entry && now - entry.windowStart >= limits.windowMs) {
      entries.delete(bucket);
      return undefined;
    }
    return entry;
  };
  function makeRoom(now: number): void {
    if (entries.size < limits.maxAddresses) return;
    for (const [bucket, entry] of entries) {
      if (now - entry.windowStart >= limits.windowMs) entries.delete(bucket);
      else break; // insertion order is window-start order: the rest are younger
    }
    while (entries.size >= limits.maxAddresses) {
      const oldest = entries.keys().next();
      if (oldest.done) break;
      entries.delete(oldest.value);
    }
  }
  const retryAfter = (entry: Entry, now: number) => Math.max(1, Math.ceil((entry.windowStart + limits.windowMs - now) / 1000));

  return {
    admit(address) {
      const now = clock();
      const entry = current(addressBucket(address), now);
      return entry && entry.failures >= limits.maxFailures ? { allowed: false, retryAfterSeconds: retryAfter(entry, now) } : { allowed: true };
    },
    failure(address) {
      const now = clock();
      const bucket = addressBucket(address);
      let entry = current(bucket, now);
      if (!entry) {
        makeRoom(now);
        entry = { windowStart: now, failures: 0 };
        entries.set(bucket, entry);
      }
      entry.failures += 1;
      if (entry.failures >= limits.maxFailures) return { blocked: true, retryAfterSeconds: retryAfter(entry, now) };
      const slowed = entry.failures - limits.freeFailures;
      return { blocked: false, delayMs: slowed <= 0 ? 0 : Math.min(limits.maxDelayMs, limits.baseDelayMs * 2 ** (slowed - 1)) };
    },
    size: () => entries.size,
  };
}

interface NodeIncoming {
  incoming: { socket: { remoteAddress?: string | undefined } };
}

/**
 * The address an admin request came from: the TCP peer on Node (the admin listener is bound to
 * loopback or a private network, so `X-Forwarded-For` is not trusted there), else `unknown`.
 */
export function socketAddressOf(c: Context): string | undefined {
  const env = c.env as Partial<NodeIncoming> | undefined;
  return typeof env === 'object' && env !== null && env.incoming?.socket ? env.incoming.socket.remoteAddress : undefined;
}

/** Waits `ms` (no timer at all for 0). */
export function pause(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}

/** The uniform refusal of an address that failed too often: 429 `rate_limited` with `Retry-After`. */
export function tooManyAttempts(retryAfterSeconds: number): SanhError {
  return new SanhError('rate_limited', 'Too many wrong admin tokens from this address; try again later.', { retryAfterSeconds });
}
