import type { Cluster, Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { SharedDraftLimiterFactory } from './limits.js';

/**
 * Draft creation and resume limits shared through Redis by every instance. They fail fast while
 * Redis is not ready, and the in-memory insurance limiter counts on this instance until it is back.
 */
export function redisDraftLimiters(client: Redis | Cluster, keyPrefix: string): SharedDraftLimiterFactory {
  return (kind, points, duration, insurance) =>
    new RateLimiterRedis({
      storeClient: client,
      points,
      duration,
      keyPrefix: `${keyPrefix}:draft-limit:${kind}`,
      rejectIfRedisNotReady: true,
      insuranceLimiter: insurance,
    });
}
