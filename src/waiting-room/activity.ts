import type { RoomConfig } from '../config/schema.js';
import type { Logger } from '../platform/logger.js';
import { limitsOf, type RoomMatcher } from './rooms.js';
import type { WaitingRoomStore } from './store.js';

/**
 * Keeps admitted visitors' sessions alive without a store round trip on their requests: the gate
 * notes activity in memory and a background flush renews the sessions in batches. Visitors the
 * store no longer knows (idle too long, or their session was ended) are remembered as revoked, so
 * their still-signed passes stop working on this instance.
 */
export interface ActivityTracker {
  /** Records that a visitor was active now. O(1), no I/O. */
  note(roomId: string, visitorId: string): void;
  /** Records a visitor this instance admitted on its own while the store was unreachable. */
  adopt(roomId: string, visitorId: string): void;
  /** Records that the holder of a waiting ticket asked for news now (not abandoned). O(1), no I/O. */
  noteWaiting(roomId: string, ticket: number): void;
  /**
   * Ends a visitor's session: revokes the pass here at once, frees the slot in the store and lists
   * the pass there as ended, so every instance refuses it from its next sync (`syncEnded`).
   */
  end(roomId: string, visitorId: string): Promise<void>;
  /** True when the visitor's pass of this generation (default 0) was ended or superseded. O(1), no I/O. */
  isRevoked(roomId: string, visitorId: string, generation?: number): boolean;
  /** True when every pass of the visitor was ended (not merely superseded by a rebinding). */
  isEnded(roomId: string, visitorId: string): boolean;
  /** Revokes here the visitor's passes of a generation below `below` for `remainingMs` (a rebinding this instance made). */
  supersede(roomId: string, visitorId: string, below: number, remainingMs: number): void;
  /** Reads the passes the store lists as ended since the last sync (all of them the first time). */
  syncEnded(): Promise<void>;
  /** Sends pending renewals now. */
  flush(): Promise<void>;
  /** Loads the ended passes (the first sync), then starts the flush and the sync every `endedSyncMs`. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Visitors renewed per store call, so one script never holds Redis for long. */
const TOUCH_BATCH = 500;

/**
 * Items noted per room between flushes. `drain` hands each room's items to the store in chunks
 * of `TOUCH_BATCH`; when a call fails, that room's items are put back for the next flush.
 */
function roomBatches<T>() {
  let byRoom = new Map<string, Set<T>>();
  function add(roomId: string, item: T): void {
    let items = byRoom.get(roomId);
    if (!items) {
      items = new Set();
      byRoom.set(roomId, items);
    }
    items.add(item);
  }
  return {
    add,
    of: (roomId: string): ReadonlySet<T> | undefined => byRoom.get(roomId),
    delete: (roomId: string, item: T): void => void byRoom.get(roomId)?.delete(item),
    async drain(rooms: RoomMatcher, send: (room: RoomConfig, chunk: T[]) => Promise<void>, failed: (roomId: string, error: unknown) => void): Promise<void> {
      const batch = byRoom;
      byRoom = new Map();
      await Promise.all(
        [...batch].map(async ([roomId, items]) => {
          const room = rooms.byId(roomId);
          if (!room) return;
          const list = [...items];
          try {
            for (let start = 0; start < list.length; start += TOUCH_BATCH) await send(room, list.slice(start, start + TOUCH_BATCH));
          } catch (error) {
            failed(roomId, error);
            for (const item of list) add(roomId, item);
          }
        }),
      );
    },
  };
}

/**
 * How often activity is sent to the store for these rooms: a quarter of the shortest idle or
 * abandon time (so a session is renewed several times before it would lapse), between 1 s and 15 s.
 */
export function flushIntervalFor(rooms: readonly RoomConfig[]): number {
  const shortestIdle = Math.min(...rooms.map((room) => Math.min(room.sessionIdleSeconds, room.abandonAfterSeconds)), 3600);
  return Math.min(15_000, Math.max(1_000, (shortestIdle * 1000) / 4));
}

/** How often the tracker checks whether a flush is due (the interval follows live changes of the rooms' idle times). */
const FLUSH_CHECK_MS = 1_000;

/** Instances' clocks may differ by this much (s): an ended pass stays listed this long past its own lifetime. */
const CLOCK_MARGIN_SECONDS = 60;

/** How long an ended or superseded pass stays listed (s): as long as it can be valid (a pass is signed for `sessionIdleSeconds` at most), and a margin. */
export function endedListingSeconds(room: RoomConfig): number {
  return room.sessionIdleSeconds + CLOCK_MARGIN_SECONDS;
}

/** How often ended passes are read from the store (ms): a pass ended on one instance is refused on every other within about this. */
export const ENDED_SYNC_MS = 1_000;

/**
 * The most revocations held in memory. Each expires with its pass (at most `sessionIdleSeconds`);
 * past this many, the oldest are dropped first (they are also the first to expire).
 */
export const MAX_REVOKED = 500_000;

/**
 * Creates the tracker. `flushIntervalMs` bounds how stale a session's activity can get in the
 * store; by default it is `flushIntervalFor` the rooms, computed again at every check, so a live
 * change to a much shorter `sessionIdleSeconds` is followed within a second.
 */
export function createActivityTracker(options: {
  rooms: RoomMatcher;
  store: WaitingRoomStore;
  clock: () => number;
  logger: Logger;
  flushIntervalMs?: number;
  /** How often ended passes are read from the store (default `ENDED_SYNC_MS`). */
  endedSyncMs?: number;
}): ActivityTracker {
  const { rooms, store, clock, logger } = options;
  const flushIntervalMs = () => options.flushIntervalMs ?? flushIntervalFor(rooms.all());
  const checkMs = Math.min(FLUSH_CHECK_MS, options.flushIntervalMs ?? FLUSH_CHECK_MS);
  let sinceFlushMs = 0;
  const active = roomBatches<string>();
  const waiting = roomBatches<number>();
  const adopted = roomBatches<string>();
  /** Revoked passes: until when (this instance's clock, ms), and below which generation (Infinity: all). */
  const revoked = new Map<string, { until: number; below: number }>();
  const cursors = new Map<string, string>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let syncTimer: ReturnType<typeof setInterval> | undefined;
  let syncing: Promise<void> | undefined;

  const key = (roomId: string, visitorId: string) => `${roomId}\u0000${visitorId}`;

  function revokeFor(roomId: string, visitorId: string, below: number, remainingMs: number): void {
    const entry = key(roomId, visitorId);
    const known = revoked.get(entry);
    const until = clock() + remainingMs;
    revoked.delete(entry);
    revoked.set(entry, { until: Math.max(until, known?.until ?? 0), below: Math.max(below, known?.below ?? 0) });
    for (const oldest of revoked.keys()) {
      if (revoked.size <= MAX_REVOKED) break;
      revoked.delete(oldest);
    }
  }

  function revoke(roomId: string, visitorId: string): void {
    const room = rooms.byId(roomId);
    revokeFor(roomId, visitorId, Number.POSITIVE_INFINITY, (room ? endedListingSeconds(room) : 3600) * 1000);
  }

  function forgetExpired(): void {
    const now = clock();
    for (const [entry, { until }] of revoked) if (until <= now) revoked.delete(entry);
  }

  async function syncRoom(room: RoomConfig): Promise<void> {
    const listed = await store.endedSince(room.id, cursors.get(room.id));
    for (const pass of listed.ended) revokeFor(room.id, pass.visitor, pass.generation ?? Number.POSITIVE_INFINITY, pass.remainingMs);
    cursors.set(room.id, listed.cursor);
  }

  function syncEnded(): Promise<void> {
    syncing ??= (async () => {
      forgetExpired();
      await Promise.all(
        rooms
          .all()
          .map((room) =>
            syncRoom(room).catch((error: unknown) => logger.debug?.('could not read ended passes; will retry', { room: room.id, error: String(error) })),
          ),
      );
    })().finally(() => (syncing = undefined));
    return syncing;
  }

  const warn = (message: string) => (roomId: string, error: unknown) => logger.warn(message, { room: roomId, error: String(error) });

  async function flush(): Promise<void> {
    await adopted.drain(
      rooms,
      (room, ids) => store.adopt(room.id, limitsOf(room, clock()), ids),
      () => undefined,
    );
    await waiting.drain(
      rooms,
      (room, tickets) => store.markSeen(room.id, limitsOf(room, clock()), tickets),
      warn('could not record that queued visitors are still there; will retry'),
    );
    forgetExpired();
    await active.drain(
      rooms,
      async (room, visitors) => {
        const awaitingAdoption = adopted.of(room.id);
        const ids = awaitingAdoption ? visitors.filter((id) => !awaitingAdoption.has(id)) : visitors;
        for (const visitorId of await store.touch(room.id, limitsOf(room, clock()), ids)) revoke(room.id, visitorId);
      },
      warn('could not renew active sessions; will retry'),
    );
  }

  return {
    note: (roomId, visitorId) => active.add(roomId, visitorId),
    adopt: (roomId, visitorId) => adopted.add(roomId, visitorId),
    noteWaiting: (roomId, ticket) => waiting.add(roomId, ticket),
    async end(roomId, visitorId) {
      revoke(roomId, visitorId);
      active.delete(roomId, visitorId);
      const room = rooms.byId(roomId);
      if (room) await store.endSession(roomId, limitsOf(room, clock()), visitorId, endedListingSeconds(room));
    },
    isRevoked(roomId, visitorId, generation = 0) {
      if (revoked.size === 0) return false;
      const entry = revoked.get(key(roomId, visitorId));
      return entry !== undefined && generation < entry.below;
    },
    isEnded: (roomId, visitorId) => revoked.get(key(roomId, visitorId))?.below === Number.POSITIVE_INFINITY,
    supersede: (roomId, visitorId, below, remainingMs) => revokeFor(roomId, visitorId, below, remainingMs),
    syncEnded,
    flush,
    async start() {
      if (timer) return;
      syncTimer = setInterval(() => void syncEnded(), options.endedSyncMs ?? ENDED_SYNC_MS);
      syncTimer.unref?.();
      timer = setInterval(() => {
        sinceFlushMs += checkMs;
        if (sinceFlushMs < flushIntervalMs()) return;
        sinceFlushMs = 0;
        void flush();
      }, checkMs);
      timer.unref?.();
      await syncEnded();
    },
    async stop() {
      if (timer) clearInterval(timer);
      if (syncTimer) clearInterval(syncTimer);
      timer = undefined;
      syncTimer = undefined;
      await flush();
    },
  };
}
