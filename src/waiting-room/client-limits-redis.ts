import type { RedisClient } from '../redis/connection.js';
import { sharedRedisLimiter } from '../redis/rate-limiter.js';
import type { SharedLimiterFactory } from './client-limits.js';

/**
 * Join limits shared through Redis: one count per client address per room across every
 * instance (keys carry the room's hash tag), with the in-memory insurance limiter while Redis
 * is unreachable (see `sharedRedisLimiter`).
 */
export function redisJoinLimiters(client: RedisClient, keyPrefix: string): SharedLimiterFactory {
  return (roomId, points, insurance) =>
    sharedRedisLimiter(client, { keyPrefix: `${keyPrefix}:{${roomId}}:limit:join`, points, durationSeconds: 60, insurance });
}
