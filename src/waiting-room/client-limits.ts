import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import RateLimiterMemory from 'rate-limiter-flexible/lib/RateLimiterMemory.js';
import RateLimiterRes from 'rate-limiter-flexible/lib/RateLimiterRes.js';
import type { RoomConfig } from '../config/schema.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import type { ClientLimiter } from './gate.js';

/** What a limit is counted on. */
export type LimitKind = 'join' | 'status' | 'request';

/** The limits a room applies when it sets no `clientLimits` of its own. */
export const DEFAULT_CLIENT_LIMITS = { joinPerMinute: 120, statusPerMinute: 120 } as const;

function pointsOf(room: RoomConfig, kind: LimitKind): number {
  const limits = room.clientLimits ?? DEFAULT_CLIENT_LIMITS;
  if (kind === 'join') return limits.joinPerMinute;
  if (kind === 'status') return limits.statusPerMinute;
  return ('requestsPerMinute' in limits ? limits.requestsPerMinute : undefined) ?? Number.MAX_SAFE_INTEGER;
}

/**
 * Per-client limits on the `rate-limiter-flexible` library, each over one minute:
 *
 * - `join` (new places in line, per client address) is shared by every instance: counted in
 *   Redis when there is one (`RateLimiterRedis`, which fails fast while Redis is not ready),
 *   with an in-memory insurance limiter of the same size that takes over on this instance while
 *   Redis is unreachable. A join costs a store round trip anyway, so the count adds little.
 * - `status` (polls, per visitor, or per address without a ticket) and `request` (an admitted
 *   pass's requests) are counted in this instance's memory on purpose: they cost no shared
 *   resource, and the hot paths they guard must not wait on a store. Behind a load balancer
 *   the effective limit is a little looser; a well-behaved page polls far below it anyway.
 *
 * Redis comes in through `shared` (see `client-limits-redis.ts`), so this module also runs on
 * Workers. `RateLimiterMemory` drops each key when its minute ends, so memory stays bounded by the
 * clients seen in the last minute. Outcomes are values; a fault in the limiter itself (not a
 * refusal) is logged and the request allowed: limits protect the service, they must not take it
 * down.
 */
/** Builds the shared (cross-instance) join limiter of a room around its in-memory insurance limiter. */
export type SharedLimiterFactory = (roomId: string, points: number, insurance: RateLimiterAbstract) => RateLimiterAbstract;

export function createClientLimiter(options: { shared?: SharedLimiterFactory; keyPrefix?: string; logger?: Logger } = {}): ClientLimiter {
  const logger = options.logger ?? silentLogger;
  const prefix = options.keyPrefix ?? 'sanh';
  const limiters = new Map<string, RateLimiterAbstract>();

  function limiterFor(kind: LimitKind, room: RoomConfig): RateLimiterAbstract {
    const points = pointsOf(room, kind);
    const key = `${kind} ${room.id} ${points}`;
    let limiter = limiters.get(key);
    if (!limiter) {
      const memory = new RateLimiterMemory({ points, duration: 60, keyPrefix: `${prefix}:${kind}:${room.id}` });
      limiter = kind === 'join' && options.shared ? options.shared(room.id, points, memory) : memory;
      limiters.set(key, limiter);
    }
    return limiter;
  }

  return {
    async consume(kind, room, clientKey) {
      try {
        await limiterFor(kind, room).consume(clientKey);
        return { allowed: true };
      } catch (outcome) {
        if (outcome instanceof RateLimiterRes) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(outcome.msBeforeNext / 1000)) };
        logger.warn('client limit could not be checked; allowing the request', { kind, room: room.id, error: String(outcome) });
        return { allowed: true };
      }
    },
  };
}
