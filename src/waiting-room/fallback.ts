import type { RoomConfig } from '../config/schema.js';
import type { RoomLimits } from './core.js';
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
}

interface Bucket {
  tokens: number;
  at: number;
  admitted: number[];
}

/** What the fallback knew of a room just before the store went away: its last snapshot's counts. */
export interface LastKnownRoom {
  active: number;
  waiting: number;
}

/**
 * Creates the per-instance fallback. With `lastKnown` (the snapshot loop's latest view), it never
 * lets a newcomer pass people who were already in line (the last snapshot showed anyone
 * waiting), and admits at most its share of the room's headroom then (`maxActive` minus the
 * sessions active), so when the store comes back and adopts these sessions the room is still
 * within `maxActive`. Without a view of the room it falls back to its share of `maxActive`.
 */
export function createStoreFallback(lastKnown: (roomId: string) => LastKnownRoom | undefined = () => undefined): StoreFallback {
  const buckets = new Map<string, Bucket>();

  function bucketOf(room: RoomConfig, limits: RoomLimits, now: number): Bucket {
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
      const limits = limitsOf(room, now);
      if (room.onStoreFailure !== 'open' || !limits.admitting) return false;
      const known = lastKnown(room.id);
      if (known && known.waiting > 0) return false;
      const bucket = bucketOf(room, limits, now);
      const cap = known
        ? Math.floor(Math.max(0, limits.maxActive - known.active) * room.fallbackShare)
        : Math.max(1, Math.floor(limits.maxActive * room.fallbackShare));
      if (bucket.tokens < 1 || bucket.admitted.length >= cap) return false;
      bucket.tokens -= 1;
      bucket.admitted.push(now);
      return true;
    },
  };
}
