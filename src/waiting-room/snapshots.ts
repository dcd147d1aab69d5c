import type { Logger } from '../platform/logger.js';
import type { RoomSnapshot } from './core.js';
import { admissionRate, newRateMeter, observe, type RateMeter } from './eta.js';
import { drawDueLotteries } from './prequeue.js';
import { limitsOf, type RoomMatcher } from './rooms.js';
import type { WaitingRoomStore } from './store.js';

/** What this instance knows of a room: its latest snapshot and measured admission rate. */
export interface RoomView {
  snapshot: RoomSnapshot;
  /** Admissions per second while people wait; undefined while not yet known. */
  ratePerSecond: number | undefined;
  /** This instance's clock when the snapshot arrived (ms). */
  receivedAt: number;
}

/**
 * The per-instance snapshot loop: a few times a second it ticks every room (which also advances
 * the line) and keeps the result, so status polls are answered from memory, never by a store
 * round trip each.
 */
export interface SnapshotLoop {
  view(roomId: string): RoomView | undefined;
  /** Ticks every room once now. */
  refresh(): Promise<void>;
  start(): void;
  stop(): void;
}

/** Creates the snapshot loop over the configured rooms. */
export function createSnapshotLoop(options: {
  rooms: RoomMatcher;
  store: WaitingRoomStore;
  intervalMs: number;
  clock: () => number;
  logger: Logger;
  /** Called once per resume when the store says it resumed a room's line after losing its data. */
  onResumed?: (roomId: string) => void;
}): SnapshotLoop {
  const { rooms, store, intervalMs, clock, logger } = options;
  const resumesSeen = new Map<string, number>();
  const views = new Map<string, RoomView>();
  const meters = new Map<string, RateMeter>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let running: Promise<void> | undefined;
  let failing = false;

  async function refreshRoom(roomId: string): Promise<void> {
    const room = rooms.byId(roomId);
    if (!room) return;
    await drawDueLotteries(store, room, clock());
    const snapshot = await store.tick(roomId, limitsOf(room, clock()));
    if (snapshot.resumedAt !== undefined && resumesSeen.get(roomId) !== snapshot.resumedAt) {
      resumesSeen.set(roomId, snapshot.resumedAt);
      logger.warn("the store lost the line and resumed it from this instance's last view; sending sessions back", { room: roomId });
      options.onResumed?.(roomId);
    }
    const meter = observe(meters.get(roomId) ?? newRateMeter(), snapshot);
    meters.set(roomId, meter);
    views.set(roomId, { snapshot, ratePerSecond: admissionRate(meter), receivedAt: clock() });
  }

  async function refresh(): Promise<void> {
    const results = await Promise.allSettled(rooms.all().map((room) => refreshRoom(room.id)));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure && !failing) logger.warn('waiting room snapshot failed; serving the last known figures', { error: String(failure.reason) });
    if (!failure && failing) logger.info('waiting room snapshot recovered');
    failing = failure !== undefined;
  }

  return {
    view: (roomId) => views.get(roomId),
    refresh,
    start() {
      if (timer) return;
      timer = setInterval(() => {
        if (running) return;
        running = refresh().finally(() => {
          running = undefined;
        });
      }, intervalMs);
      timer.unref?.();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
