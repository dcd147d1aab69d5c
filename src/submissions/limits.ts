import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import RateLimiterMemory from 'rate-limiter-flexible/lib/RateLimiterMemory.js';
import RateLimiterRes from 'rate-limiter-flexible/lib/RateLimiterRes.js';
import { SanhError } from '../platform/errors.js';
import { silentLogger, type Logger } from '../platform/logger.js';

/** The per-client limit on deferred submissions. */
export interface AcceptLimiter {
  /** Takes one for `key` (a client address); throws SanhError `rate_limited` (429, Retry-After) past the limit. */
  take(key: string): Promise<void>;
}

/** Builds a limiter shared by every instance (Redis) around this instance's insurance limiter. */
export type SharedAcceptLimiterFactory = (points: number, durationSeconds: number, insurance: RateLimiterAbstract) => RateLimiterAbstract;

/**
 * `submissions.acceptPerMinute` per client address on `rate-limiter-flexible`: shared through
 * Redis when `shared` is given (with an in-memory insurance limiter while Redis is unreachable),
 * else in this instance's memory. A fault in the limiter is logged and the submission allowed.
 */
export function createAcceptLimiter(perMinute: number, options: { shared?: SharedAcceptLimiterFactory; keyPrefix?: string; logger?: Logger } = {}): AcceptLimiter {
  const logger = options.logger ?? silentLogger;
  const insurance = new RateLimiterMemory({ points: perMinute, duration: 60, keyPrefix: `${options.keyPrefix ?? 'sanh'}:submit-limit` });
  const limiter = options.shared ? options.shared(perMinute, 60, insurance) : insurance;
  return {
    async take(key) {
      try {
        await limiter.consume(key);
      } catch (outcome) {
        if (outcome instanceof RateLimiterRes) {
          throw new SanhError('rate_limited', 'Too many submissions were sent from your connection. Please wait a little and try again.', {
            retryAfterSeconds: Math.max(1, Math.ceil(outcome.msBeforeNext / 1000)),
          });
        }
        logger.warn('submission limit could not be checked; allowing the submission', { error: String(outcome) });
      }
    },
  };
}
