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
  /** Ends a visitor's session: frees the slot in the store and revokes the pass here at once. */
  end(roomId: string, visitorId: string): Promise<void>;
  isRevoked(roomId: string, visitorId: string): boolean;
  /** Sends pending renewals now. */
  flush(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

/** Visitors renewed per store call, so one script never holds Redis for long. */
const TOUCH_BATCH = 500;

/** Creates the tracker. `flushIntervalMs` bounds how stale a session's activity can get in the store. */
export function createActivityTracker(options: {
  rooms: RoomMatcher;
  store: WaitingRoomStore;
  clock: () => number;
  logger: Logger;
  flushIntervalMs?: number;
}): ActivityTracker {
  const { rooms, store, clock, logger } = options;
  const shortestIdle = Math.min(...rooms.all().map((room) => Math.min(room.sessionIdleSeconds, room.abandonAfterSeconds)), 3600);
  const flushIntervalMs = options.flushIntervalMs ?? Math.min(15_000, Math.max(1_000, (shortestIdle * 1000) / 4));
  let pending = new Map<string, Set<string>>();
  let waiting = new Map<string, Set<number>>();
  let adopted = new Map<string, Set<string>>();
  const revoked = new Map<string, number>();
  let timer: ReturnType<typeof setInterval> | undefined;

  const key = (roomId: string, visitorId: string) => `${roomId}\u0000${visitorId}`;

  function revoke(roomId: string, visitorId: string): void {
    const room = rooms.byId(roomId);
    revoked.set(key(roomId, visitorId), clock() + (room?.sessionIdleSeconds ?? 3600) * 1000);
  }

  async function flushWaiting(): Promise<void> {
    const batch = waiting;
    waiting = new Map();
    await Promise.all(
      [...batch].map(async ([roomId, tickets]) => {
        const room = rooms.byId(roomId);
        if (!room) return;
        const numbers = [...tickets];
        try {
          for (let start = 0; start < numbers.length; start += TOUCH_BATCH) {
            await store.markSeen(roomId, limitsOf(room, clock()), numbers.slice(start, start + TOUCH_BATCH));
          }
        } catch (error) {
          logger.warn('could not record that queued visitors are still there; will retry', { room: roomId, error: String(error) });
          const again = waiting.get(roomId) ?? new Set<number>();
          for (const ticket of numbers) again.add(ticket);
          waiting.set(roomId, again);
        }
      }),
    );
  }

  async function flushAdopted(): Promise<void> {
    const batch = adopted;
    adopted = new Map();
    await Promise.all(
      [...batch].map(async ([roomId, visitors]) => {
        const room = rooms.byId(roomId);
        if (!room) return;
        try {
          await store.adopt(roomId, limitsOf(room, clock()), [...visitors]);
        } catch {
          const again = adopted.get(roomId) ?? new Set<string>();
          for (const visitorId of visitors) again.add(visitorId);
          adopted.set(roomId, again);
        }
      }),
    );
  }

  async function flush(): Promise<void> {
    await flushAdopted();
    await flushWaiting();
    const batch = pending;
    pending = new Map();
    const now = clock();
    for (const [entry, until] of revoked) if (until <= now) revoked.delete(entry);
    await Promise.all(
      [...batch].map(async ([roomId, visitors]) => {
        const room = rooms.byId(roomId);
        if (!room) return;
        try {
          const waitingAdoption = adopted.get(roomId);
          const ids = waitingAdoption ? [...visitors].filter((id) => !waitingAdoption.has(id)) : [...visitors];
          for (let start = 0; start < ids.length; start += TOUCH_BATCH) {
            const gone = await store.touch(roomId, limitsOf(room, clock()), ids.slice(start, start + TOUCH_BATCH));
            for (const visitorId of gone) revoke(roomId, visitorId);
          }
        } catch (error) {
          logger.warn('could not renew active sessions; will retry', { room: roomId, error: String(error) });
          const again = pending.get(roomId) ?? new Set<string>();
          for (const visitorId of visitors) again.add(visitorId);
          pending.set(roomId, again);
        }
      }),
    );
  }

  return {
    note(roomId, visitorId) {
      let visitors = pending.get(roomId);
      if (!visitors) {
        visitors = new Set();
        pending.set(roomId, visitors);
      }
      visitors.add(visitorId);
    },
    adopt(roomId, visitorId) {
      let visitors = adopted.get(roomId);
      if (!visitors) {
        visitors = new Set();
        adopted.set(roomId, visitors);
      }
      visitors.add(visitorId);
    },
    noteWaiting(roomId, ticket) {
      let tickets = waiting.get(roomId);
      if (!tickets) {
        tickets = new Set();
        waiting.set(roomId, tickets);
      }
      tickets.add(ticket);
    },
    async end(roomId, visitorId) {
      revoke(roomId, visitorId);
      pending.get(roomId)?.delete(visitorId);
      const room = rooms.byId(roomId);
      if (room) await store.release(roomId, limitsOf(room, clock()), visitorId);
    },
    isRevoked: (roomId, visitorId) => revoked.size > 0 && revoked.has(key(roomId, visitorId)),
    flush,
    start() {
      if (timer) return;
      timer = setInterval(() => void flush(), flushIntervalMs);
      timer.unref?.();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await flush();
    },
  };
}
