import type { Cluster, Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { SharedLimiterFactory } from './client-limits.js';

/**
 * Join limits shared through Redis: one count per client address per room across every
 * instance (keys carry the room's hash tag). It fails fast while Redis is not ready, and the
 * in-memory insurance limiter then counts on this instance until Redis is back.
 */
export function redisJoinLimiters(client: Redis | Cluster, keyPrefix: string): SharedLimiterFactory {
  return (roomId, points, insurance) =>
    new RateLimiterRedis({
      storeClient: client,
      points,
      duration: 60,
      keyPrefix: `${keyPrefix}:{${roomId}}:limit:join`,
      rejectIfRedisNotReady: true,
      insuranceLimiter: insurance,
    });
}
