/**
 * The one place Redis keys are built. Every key of a room carries the room id as a hash tag
 * (`{room}`), so all of a room's keys live on one Redis Cluster slot and one script can touch them.
 */
export interface RoomKeys {
  /** Hash: line counters and token bucket. */
  state: string;
  /** Sorted set: sessions and reserved slots by expiry. */
  active: string;
  /** Sorted set: lapsed reservations by lapse time. */
  lapsed: string;
  /** String used as a BITFIELD: a u32 last-seen time (s) per ticket number. */
  seen: string;
  /** Sorted set: skipped or lapsed tickets whose holders came back, by return time. */
  returned: string;
}

/** Builds the keys of one waiting room. */
export function roomKeys(prefix: string, roomId: string): RoomKeys {
  const base = `${prefix}:{${roomId}}`;
  return { state: `${base}:state`, active: `${base}:active`, lapsed: `${base}:lapsed`, seen: `${base}:seen`, returned: `${base}:returned` };
}

/** Keys of one event's pre-queue lottery (same hash tag as the room, so its scripts see both). */
export interface LotteryKeys {
  /** Hash: seed, drawn. */
  meta: string;
  /** List: entries in arrival order. */
  entries: string;
  /** Hash: entry -> ticket number, once drawn. */
  tickets: string;
}

/** Builds the keys of one event's lottery. */
export function lotteryKeys(prefix: string, roomId: string, eventId: string): LotteryKeys {
  const base = `${prefix}:{${roomId}}:lottery:${eventId}`;
  return { meta: `${base}:meta`, entries: `${base}:entries`, tickets: `${base}:tickets` };
}

/**
 * Key of a single-use marker (a spent challenge puzzle or proof), kept until the token it stands
 * for would have expired anyway. No hash tag: each marker is read and written alone.
 */
export function onceKey(prefix: string, key: string): string {
  return `${prefix}:once:${key}`;
}
