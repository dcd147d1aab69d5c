import type { RedisClient } from '../../redis/connection.js';
import type { Clock } from '../../platform/clock.js';
import { onceKey } from '../../redis/keys.js';

/**
 * Remembers single-use ids (solved puzzles, redeemed proofs) until the token they stand for
 * expires anyway, so no token is accepted twice. Adapters: this process's memory (one instance)
 * and Redis (shared by every instance). `once-store.contract.ts` is what both must do.
 */
export interface OnceStore {
  /**
   * Marks `key` used for `ttlMs` (rounded up to a whole millisecond, at least 1). True the first
   * time, false while the mark lasts; atomic, so of many concurrent calls exactly one is true.
   */
  useOnce(key: string, ttlMs: number): Promise<boolean>;
}

function wholeMs(ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs));
}

/**
 * In this process. Marks are dropped once expired, and past `maxEntries` (default 200,000) the
 * oldest go first: under a flood bigger than that, an old mark can be forgotten before it
 * expires, so several instances, or a flood of that size, call for the Redis adapter.
 */
export function createMemoryOnceStore(options: { clock?: Clock; maxEntries?: number } = {}): OnceStore {
  const clock = options.clock ?? Date.now;
  const maxEntries = options.maxEntries ?? 200_000;
  /** Expiry (ms) by key, in the order the marks were made. */
  const marks = new Map<string, number>();

  /** Drops marks from the oldest while they are expired or the map is full: amortized O(1). */
  function sweep(now: number): void {
    for (const [key, until] of marks) {
      if (until > now && marks.size < maxEntries) return;
      marks.delete(key);
    }
  }

  return {
    async useOnce(key, ttlMs) {
      const now = clock();
      const until = marks.get(key);
      if (until !== undefined && until > now) return false;
      marks.delete(key);
      sweep(now);
      marks.set(key, now + wholeMs(ttlMs));
      return true;
    },
  };
}

/**
 * In Redis (`SET <prefix>:once:<key> 1 NX PX <ttl>`), shared by every instance. While Redis
 * cannot answer, marks go to `fallback` (default: this process's memory), so a token is still
 * spent once per instance; a mark made there is not seen by Redis when it is back.
 */
export function createRedisOnceStore(client: RedisClient, keyPrefix: string, options: { fallback?: OnceStore } = {}): OnceStore {
  const fallback = options.fallback ?? createMemoryOnceStore();
  return {
    async useOnce(key, ttlMs) {
      let answer: string | null;
      try {
        answer = await client.set(onceKey(keyPrefix, key), '1', 'PX', wholeMs(ttlMs), 'NX');
      } catch {
        return fallback.useOnce(key, ttlMs);
      }
      return answer === 'OK';
    },
  };
}
