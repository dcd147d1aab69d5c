import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import RateLimiterMemory from 'rate-limiter-flexible/lib/RateLimiterMemory.js';
import RateLimiterRes from 'rate-limiter-flexible/lib/RateLimiterRes.js';
import { clientLimitsSchema, type RoomConfig } from '../config/schema.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { systemClock, type Clock } from '../platform/clock.js';

/**
 * The outcome of taking one unit. A refusal says how many units the key has taken in the current
 * window (`taken`, this one included) and of how many allowed (`points`), so a caller can grade its
 * answer by how far past the allowance the key is (the gate's join challenge does).
 */
export type LimitOutcome = { allowed: true } | { allowed: false; retryAfterSeconds: number; taken: number; points: number };

const ALLOWED: LimitOutcome = { allowed: true };

/** What a limit is counted on. */
export type LimitKind = 'join' | 'status' | 'request';

/** Per-client limits, as the gate and the status routes use them. */
export interface ClientLimiter {
  /** Takes one unit; answers at once (no promise) when the answer needs no store or library call. */
  consume(kind: LimitKind, room: RoomConfig, clientKey: string): LimitOutcome | Promise<LimitOutcome>;
  /**
   * How many units `clientKey` has taken in the current window, of how many allowed, without
   * taking one (the join challenge grades a puzzle by it). Asks the shared count only once the
   * local count is past its allowance; a fault reads as the local count.
   */
  peek(kind: LimitKind, room: RoomConfig, clientKey: string): { taken: number; points: number } | Promise<{ taken: number; points: number }>;
  /** Keys counted locally in the current minute (at most `MAX_COUNTED_KEYS`). */
  countedKeys(): number;
}

/** The limits a room applies when it sets no `clientLimits` of its own: the schema's defaults. */
export const DEFAULT_CLIENT_LIMITS = clientLimitsSchema.parse({});

/** The points of a limit that is not counted. */
const UNLIMITED = Number.MAX_SAFE_INTEGER;

/**
 * Requests per admitted pass per minute when the room sets none: several page loads a minute
 * with their assets, far below what one pass copied into many clients would send (docs/passes.md).
 */
export const DEFAULT_REQUESTS_PER_MINUTE = 600;

function pointsOf(room: RoomConfig, kind: LimitKind): number {
  const limits = room.clientLimits ?? DEFAULT_CLIENT_LIMITS;
  if (kind === 'join') return limits.joinPerMinute;
  if (kind === 'status') return limits.statusPerMinute;
  return ('requestsPerMinute' in limits ? limits.requestsPerMinute : undefined) ?? DEFAULT_REQUESTS_PER_MINUTE;
}

/**
 * An address's first joins per minute on one instance are counted in memory only; from the next
 * one the shared count decides. One person opening a tab or two never costs a Redis round trip
 * for the limit; an address that keeps joining is counted across instances.
 */
export const LOCAL_JOIN_ALLOWANCE = 4;

/**
 * The most keys counted locally in one minute, in two generations of half as many: when the newer
 * one is full, the older one is dropped whole (a flood of distinct keys, such as many addresses,
 * costs bounded memory and constant time). A key only reaches
 * the library's own limiter, which keeps its keys a minute, once it is past half its limit, so a
 * key that asks once never grows the process beyond this map.
 */
export const MAX_COUNTED_KEYS = 200_000;

/** Builds the shared (cross-instance) join limiter of a room around its in-memory insurance limiter. */
export type SharedLimiterFactory = (roomId: string, points: number, insurance: RateLimiterAbstract) => RateLimiterAbstract;

/**
 * Per-client limits on the `rate-limiter-flexible` library, each over one minute:
 *
 * - `join` (new places in line, per client address) is shared by every instance: counted in
 *   Redis when there is one (`RateLimiterRedis`, which fails fast while Redis is not ready),
 *   with an in-memory insurance limiter of the same size that takes over on this instance while
 *   Redis is unreachable. The first `LOCAL_JOIN_ALLOWANCE` joins of an address per minute on an
 *   instance are only counted locally (then charged to the shared count all at once), so across
 *   N instances an address gets at most `joinPerMinute + N × LOCAL_JOIN_ALLOWANCE`.
 * - `status` (polls, per visitor, or per address without a ticket) and `request` (an admitted
 *   pass's requests) are counted in this instance's memory on purpose: they cost no shared
 *   resource, and the hot paths they guard must not wait on a store. Behind a load balancer
 *   the effective limit is a little looser; a well-behaved page polls far below it anyway. Up to
 *   half the limit the count is a plain map update; past it the library decides. A `request`
 *   limit the room does not set is not counted at all.
 *
 * Redis comes in through `shared` (see `client-limits-redis.ts`), so this module also runs on
 * Workers. Limiters are made on first use, one per room and kind, and replaced when the room's
 * points change, so a live config reload takes effect at once (in-memory counts start again;
 * the shared Redis count carries on). Memory stays bounded by the clients seen in the last
 * minute: the local counts are dropped each minute, and `RateLimiterMemory` deletes each key
 * when its window ends (an unref'd timer per key, so it never holds the process open).
 *
 * Outcomes are values, never exceptions. A fault in the limiter itself (a real error, not a
 * refusal) is logged and the request allowed (fail open): limits protect the service, they must
 * not take it down. Redis being down is not such a fault; the insurance limiter answers (at
 * once when the connection is down; after the client's command timeout when Redis hangs).
 */
export function createClientLimiter(options: { shared?: SharedLimiterFactory; keyPrefix?: string; logger?: Logger; clock?: Clock } = {}): ClientLimiter {
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const prefix = options.keyPrefix ?? 'sanh';
  const limiters = new Map<string, { points: number; limiter: RateLimiterAbstract }>();
  let window = -1;
  let counts = new Map<string, number>();
  /** The minute's earlier keys, once `counts` filled half the cap (dropped whole when it fills again). */
  let earlier = new Map<string, number>();

  /**
   * The fast path: a plain count per key for the current minute. Within its allowance (half the
   * limit; for joins at most `LOCAL_JOIN_ALLOWANCE`) the answer costs one map update and no
   * promise; past it, the library decides, charged with everything counted so far.
   */
  function startWindow(): void {
    const now = Math.floor(clock() / 60_000);
    if (now !== window) {
      window = now;
      counts = new Map();
      earlier = new Map();
    }
  }

  function localAllowance(kind: LimitKind, points: number): number {
    return kind === 'join' ? Math.min(LOCAL_JOIN_ALLOWANCE, Math.floor(points / 2)) : Math.floor(points / 2);
  }

  function countLocally(kind: LimitKind, room: RoomConfig, clientKey: string, points: number): number | undefined {
    startWindow();
    const key = `${kind} ${room.id} ${clientKey}`;
    const count = (counts.get(key) ?? earlier.get(key) ?? 0) + 1;
    if (counts.size >= MAX_COUNTED_KEYS / 2) {
      earlier = counts;
      counts = new Map();
    }
    counts.set(key, count);
    const allowance = localAllowance(kind, points);
    if (count <= allowance) return undefined;
    return count === allowance + 1 ? count : 1;
  }

  function limiterFor(kind: LimitKind, room: RoomConfig, points: number): RateLimiterAbstract {
    const key = `${kind} ${room.id}`;
    const known = limiters.get(key);
    if (known?.points === points) return known.limiter;
    const memory = new RateLimiterMemory({ points, duration: 60, keyPrefix: `${prefix}:${kind}:${room.id}` });
    const limiter = kind === 'join' && options.shared ? options.shared(room.id, points, memory) : memory;
    limiters.set(key, { points, limiter });
    return limiter;
  }

  async function consumeWithLibrary(kind: LimitKind, room: RoomConfig, points: number, clientKey: string, units: number): Promise<LimitOutcome> {
    try {
      await limiterFor(kind, room, points).consume(clientKey, units);
      return ALLOWED;
    } catch (outcome) {
      if (outcome instanceof RateLimiterRes) {
        return {
          allowed: false,
          retryAfterSeconds: Math.max(1, Math.ceil(outcome.msBeforeNext / 1000)),
          taken: Math.max(points + 1, outcome.consumedPoints),
          points,
        };
      }
      logger.warn('client limit could not be checked; allowing the request', { kind, room: room.id, error: String(outcome) });
      return ALLOWED;
    }
  }

  return {
    consume(kind, room, clientKey) {
      const points = pointsOf(room, kind);
      if (points === UNLIMITED) return ALLOWED;
      const units = countLocally(kind, room, clientKey, points);
      return units === undefined ? ALLOWED : consumeWithLibrary(kind, room, points, clientKey, units);
    },
    peek(kind, room, clientKey) {
      const points = pointsOf(room, kind);
      startWindow();
      const key = `${kind} ${room.id} ${clientKey}`;
      const local = counts.get(key) ?? earlier.get(key) ?? 0;
      if (points === UNLIMITED || local < localAllowance(kind, points)) return { taken: local, points };
      return limiterFor(kind, room, points)
        .get(clientKey)
        .then(
          (res) => ({ taken: Math.max(local, res?.consumedPoints ?? 0), points }),
          () => ({ taken: local, points }),
        );
    },
    countedKeys: () => counts.size + earlier.size,
  };
}
