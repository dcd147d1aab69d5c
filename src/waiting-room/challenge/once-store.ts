import type { Cluster, Redis } from 'ioredis';

/**
 * Remembers single-use ids (solved puzzles, redeemed proofs) until they expire anyway, so a
 * token cannot be replayed: `useOnce` is true the first time and false after. Memory adapter for
 * one instance; Redis adapter (`SET NX PX`) shared by all.
 */
export interface OnceStore {
  useOnce(key: string, ttlMs: number): Promise<boolean>;
}

/** In this process; entries are dropped when they expire, and the oldest first past `maxEntries`. */
export function createMemoryOnceStore(options: { clock?: () => number; maxEntries?: number } = {}): OnceStore {
  const clock = options.clock ?? Date.now;
  const maxEntries = options.maxEntries ?? 200_000;
  const used = new Map<string, number>();
  return {
    async useOnce(key, ttlMs) {
      const now = clock();
      for (const [entry, until] of used) {
        if (until > now && used.size < maxEntries) break;
        used.delete(entry);
      }
      const until = used.get(key);
      if (until !== undefined && until > now) return false;
      used.set(key, now + ttlMs);
      return true;
    },
  };
}

/** In Redis, shared by every instance. */
export function createRedisOnceStore(client: Redis | Cluster, keyPrefix: string): OnceStore {
  return {
    async useOnce(key, ttlMs) {
      return (await client.set(`${keyPrefix}:once:${key}`, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
    },
  };
}
