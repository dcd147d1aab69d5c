import type { RoomConfig } from '../config/schema.js';
import { limitsOf } from './rooms.js';

/**
 * This instance's own admissions while the store is unreachable (a room with
 * `onStoreFailure: "open"`): a token bucket refilled at `fallbackShare` of the room's rate,
 * holding `fallbackShare` of its burst, and at most `fallbackShare` of `maxActive` visitors
 * admitted this way at once. With N instances and a share of 1/N the room as a whole stays
 * within its limits; the share is the operator's bound on what an outage can let through.
 */
export interface StoreFallback {
  /** Takes one local admission for `room` now; false when the policy or the bounds say no. */
  take(room: RoomConfig, now: number): boolean;
  /** Visitors this instance admitted on its own and that are not yet known to the store. */
  admittedCount(roomId: string, now: number): number;
}

interface Bucket {
  tokens: number;
  at: number;
  admitted: number[];
}

/** Creates the per-instance fallback. */
export function createStoreFallback(): StoreFallback {
  const buckets = new Map<string, Bucket>();

  function bucketOf(room: RoomConfig, now: number): Bucket {
    const limits = limitsOf(room, now);
    const burst = Math.max(1, limits.admitBurst * room.fallbackShare);
    let bucket = buckets.get(room.id);
    if (!bucket) {
      bucket = { tokens: burst, at: now, admitted: [] };
      buckets.set(room.id, bucket);
    }
    bucket.tokens = Math.min(burst, bucket.tokens + (Math.max(0, now - bucket.at) * limits.admitPerMinute * room.fallbackShare) / 60_000);
    bucket.at = now;
    const idleBefore = now - room.sessionIdleSeconds * 1000;
    while ((bucket.admitted[0] ?? Number.POSITIVE_INFINITY) <= idleBefore) bucket.admitted.shift();
    return bucket;
  }

  return {
    take(room, now) {
      if (room.onStoreFailure !== 'open' || !limitsOf(room, now).admitting) return false;
      const bucket = bucketOf(room, now);
      const cap = Math.max(1, Math.floor(limitsOf(room, now).maxActive * room.fallbackShare));
      if (bucket.tokens < 1 || bucket.admitted.length >= cap) return false;
      bucket.tokens -= 1;
      bucket.admitted.push(now);
      return true;
    },
    admittedCount(roomId, now) {
      const bucket = buckets.get(roomId);
      if (!bucket) return 0;
      return bucket.admitted.filter((at) => at > now - 24 * 3600 * 1000).length;
    },
  };
}
