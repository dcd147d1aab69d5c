import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../config/load.js';
import { silentLogger } from '../platform/logger.js';
import { createActivityTracker, flushIntervalFor } from './activity.js';
import { createRoomMatcher } from './rooms.js';
import type { WaitingRoomStore } from './store.js';

const rooms = () =>
  parseConfig({ rooms: [{ id: 'main', match: ['/'], maxActive: 10, admitPerMinute: 600, sessionIdleSeconds: 600, abandonAfterSeconds: 600 }] }).rooms;

describe('activity flush interval', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is a quarter of the shortest idle or abandon time, between 1 s and 15 s', () => {
    const [room] = rooms();
    if (!room) throw new Error('no room');
    expect(flushIntervalFor([room])).toBe(15_000);
    expect(flushIntervalFor([{ ...room, sessionIdleSeconds: 20 }])).toBe(5_000);
    expect(flushIntervalFor([{ ...room, sessionIdleSeconds: 10 }, room])).toBe(2_500);
    expect(flushIntervalFor([])).toBe(15_000);
  });

  it('follows a live change of sessionIdleSeconds at the next check, not at the next restart', async () => {
    vi.useFakeTimers();
    const config = rooms();
    const touched: number[] = [];
    const store = {
      touch: async () => {
        touched.push(Date.now());
        return [];
      },
    } as unknown as WaitingRoomStore;
    const tracker = createActivityTracker({ rooms: createRoomMatcher(config), store, clock: () => Date.now(), logger: silentLogger });
    tracker.start();
    tracker.note('main', 'v1');
    await vi.advanceTimersByTimeAsync(14_000);
    expect(touched).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(touched).toHaveLength(1);

    (config[0] as { sessionIdleSeconds: number }).sessionIdleSeconds = 10;
    tracker.note('main', 'v1');
    await vi.advanceTimersByTimeAsync(3_000);
    expect(touched).toHaveLength(2);
    tracker.note('main', 'v1');
    await vi.advanceTimersByTimeAsync(3_000);
    expect(touched).toHaveLength(3);
    await tracker.stop();
  });
});
