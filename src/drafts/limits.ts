import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import RateLimiterMemory from 'rate-limiter-flexible/lib/RateLimiterMemory.js';
import RateLimiterRes from 'rate-limiter-flexible/lib/RateLimiterRes.js';
import type { DraftsConfig } from '../config/drafts.js';
import { SanhError } from '../platform/errors.js';
import { silentLogger, type Logger } from '../platform/logger.js';

/** What a drafts limit counts. */
export type DraftLimitKind = 'create' | 'write' | 'resume';

/** Per-client limits of the drafts routes. */
export interface DraftLimiter {
  /** Takes one unit for `key`; throws SanhError `rate_limited` (429, Retry-After) past the limit. */
  take(kind: DraftLimitKind, key: string): Promise<void>;
}

/** Builds a limiter shared by every instance (Redis) around this instance's insurance limiter. */
export type SharedDraftLimiterFactory = (kind: 'create' | 'resume', points: number, durationSeconds: number, insurance: RateLimiterAbstract) => RateLimiterAbstract;

const MESSAGES: Record<DraftLimitKind, string> = {
  create: 'Too many drafts were started from your connection. Please wait a moment.',
  write: 'This draft is being saved too often. Please wait a moment.',
  resume: 'Too many resume attempts from your connection. Please wait before trying again.',
};

/**
 * The drafts' limits on `rate-limiter-flexible`:
 * - `create`: drafts started per client address per minute, and `resume`: resume attempts per
 *   client address per hour, both shared by every instance through Redis when `shared` is given
 *   (with an in-memory insurance limiter while Redis is unreachable): these guard the store and
 *   the resume codes, so they count across instances.
 * - `write`: saves per draft per minute, in this instance's memory only: a save must cost no
 *   more than its one store round trip, and a runaway page is stopped on the instance it hits.
 *
 * A fault in the limiter itself is logged and the request allowed (fail open).
 */
export function createDraftLimiter(config: DraftsConfig, options: { shared?: SharedDraftLimiterFactory; keyPrefix?: string; logger?: Logger } = {}): DraftLimiter {
  const logger = options.logger ?? silentLogger;
  const prefix = options.keyPrefix ?? 'sanh';
  const memory = (kind: DraftLimitKind, points: number, duration: number) => new RateLimiterMemory({ points, duration, keyPrefix: `${prefix}:draft-limit:${kind}` });
  const shared = (kind: 'create' | 'resume', points: number, duration: number) => {
    const insurance = memory(kind, points, duration);
    return options.shared ? options.shared(kind, points, duration, insurance) : insurance;
  };
  const limiters: Record<DraftLimitKind, RateLimiterAbstract> = {
    create: shared('create', config.limits.createPerMinute, 60),
    resume: shared('resume', config.resume.attemptsPerHour, 3_600),
    write: memory('write', config.limits.writesPerMinute, 60),
  };
  return {
    async take(kind, key) {
      try {
        await limiters[kind].consume(key);
      } catch (outcome) {
        if (outcome instanceof RateLimiterRes) {
          throw new SanhError('rate_limited', MESSAGES[kind], { retryAfterSeconds: Math.max(1, Math.ceil(outcome.msBeforeNext / 1000)) });
        }
        logger.warn('drafts limit could not be checked; allowing the request', { kind, error: String(outcome) });
      }
    },
  };
}
