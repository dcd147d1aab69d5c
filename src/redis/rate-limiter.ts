import type { RedisClient } from './connection.js';
import { RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';

/**
 * A limit counted in Redis and shared by every instance. It fails fast while Redis is not ready,
 * and `insurance` (an in-memory limiter of the same size) counts on this instance until it is back.
 */
export function sharedRedisLimiter(
  client: RedisClient,
  options: { keyPrefix: string; points: number; durationSeconds: number; insurance: RateLimiterAbstract },
): RateLimiterAbstract {
  return new RateLimiterRedis({
    storeClient: client,
    points: options.points,
    duration: options.durationSeconds,
    keyPrefix: options.keyPrefix,
    rejectIfRedisNotReady: true,
    insuranceLimiter: options.insurance,
  });
}
