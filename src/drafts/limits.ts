import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import RateLimiterMemory from 'rate-limiter-flexible/lib/RateLimiterMemory.js';
import RateLimiterRes from 'rate-limiter-flexible/lib/RateLimiterRes.js';
import type { DraftsConfig } from '../config/drafts.js';
import { SanhError } from '../platform/errors.js';
import { silentLogger, type Logger } from '../platform/logger.js';

/** What a drafts limit counts. */
export type DraftLimitKind = 'create' | 'write' | 'resume' | 'resume-burst' | 'upload-create' | 'upload-bytes';

/** The limits shared by every instance (through Redis when there is one). */
export type SharedDraftLimitKind = Exclude<DraftLimitKind, 'write'>;

/** Per-client limits of the drafts routes. */
export interface DraftLimiter {
  /** Takes `points` units (default 1) for `key`; throws SanhError `rate_limited` (429, Retry-After) past the limit. */
  take(kind: DraftLimitKind, key: string, points?: number): Promise<void>;
}

/** Builds a limiter shared by every instance (Redis) around this instance's insurance limiter. */
export type SharedDraftLimiterFactory = (
  kind: SharedDraftLimitKind,
  points: number,
  durationSeconds: number,
  insurance: RateLimiterAbstract,
) => RateLimiterAbstract;

const MESSAGES: Record<DraftLimitKind, string> = {
  create: 'Too many drafts were started from your connection. Please wait a moment.',
  write: 'This draft is being saved too often. Please wait a moment.',
  resume: 'Too many wrong resume codes were tried from your connection. Please wait before trying again; a right code still works.',
  'resume-burst': 'Too many wrong resume codes were tried from your connection just now. Please wait a moment; a right code still works.',
  'upload-create': 'Too many attachments were started from your connection. Please wait a moment.',
  'upload-bytes': 'Too many attachment bytes were sent from your connection this hour. Please wait before sending more.',
};

/**
 * The drafts' limits on `rate-limiter-flexible`:
 * - `create`: drafts started per client address per minute; `resume` and `resume-burst`: wrong
 *   resume attempts per client address per hour and per minute (counted only after an attempt
 *   failed, so a right code is never refused by them); `upload-create` and `upload-bytes`:
 *   attachments started per client address per minute and their bytes (Upload-Length) per hour.
 *   All shared by every instance through Redis when `shared` is given (with an in-memory
 *   insurance limiter while Redis is unreachable): these guard the store and the resume codes,
 *   so they count across instances.
 * - `write`: saves per draft per minute, in this instance's memory only: a save must cost no
 *   more than its one store round trip, and a runaway page is stopped on the instance it hits.
 *
 * A fault in the limiter itself is logged and the request allowed (fail open).
 */
export function createDraftLimiter(
  config: DraftsConfig,
  options: { shared?: SharedDraftLimiterFactory; keyPrefix?: string; logger?: Logger } = {},
): DraftLimiter {
  const logger = options.logger ?? silentLogger;
  const prefix = options.keyPrefix ?? 'sanh';
  const memory = (kind: DraftLimitKind, points: number, duration: number) =>
    new RateLimiterMemory({ points, duration, keyPrefix: `${prefix}:draft-limit:${kind}` });
  const shared = (kind: SharedDraftLimitKind, points: number, duration: number) => {
    const insurance = memory(kind, points, duration);
    return options.shared ? options.shared(kind, points, duration, insurance) : insurance;
  };
  const limiters: Record<DraftLimitKind, RateLimiterAbstract> = {
    create: shared('create', config.limits.createPerMinute, 60),
    resume: shared('resume', config.resume.attemptsPerHour, 3_600),
    'resume-burst': shared('resume-burst', config.resume.failuresPerMinute, 60),
    'upload-create': shared('upload-create', config.uploads.perAddress.createPerMinute, 60),
    'upload-bytes': shared('upload-bytes', config.uploads.perAddress.bytesPerHour, 3_600),
    write: memory('write', config.limits.writesPerMinute, 60),
  };
  return {
    async take(kind, key, points = 1) {
      try {
        await limiters[kind].consume(key, points);
      } catch (outcome) {
        if (outcome instanceof RateLimiterRes) {
          // A refused take of many points (bytes) gives them back: only what was let in counts.
          if (points > 1) await limiters[kind].reward(key, points).catch(() => undefined);
          throw new SanhError('rate_limited', MESSAGES[kind], { retryAfterSeconds: Math.max(1, Math.ceil(outcome.msBeforeNext / 1000)) });
        }
        logger.warn('drafts limit could not be checked; allowing the request', { kind, error: String(outcome) });
      }
    },
  };
}
