import type { RedisClient } from '../redis/connection.js';
import { sharedRedisLimiter } from '../redis/rate-limiter.js';
import type { SharedDraftLimiterFactory } from './limits.js';

/**
 * Draft creation and resume limits shared through Redis by every instance, with the in-memory
 * insurance limiter while Redis is unreachable (see `sharedRedisLimiter`).
 */
export function redisDraftLimiters(client: RedisClient, keyPrefix: string): SharedDraftLimiterFactory {
  return (kind, points, durationSeconds, insurance) =>
    sharedRedisLimiter(client, { keyPrefix: `${keyPrefix}:draft-limit:${kind}`, points, durationSeconds, insurance });
}
