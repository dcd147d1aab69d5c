import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testRedisClient, uniquePrefix } from '../../tests/helpers/redis.js';
import { createLiveSettings, type LiveSettings } from '../admin/live.js';
import { createRedisSettingsStore } from '../admin/settings-redis.js';
import { createMemorySettingsStore, type SettingsStore } from '../admin/settings-store.js';
import { parseConfig } from '../config/load.js';
import type { RoomConfig } from '../config/schema.js';
import { silentLogger } from '../platform/logger.js';
import { roomAt } from '../waiting-room/schedule.js';
import { createAdaptiveController, type AdaptiveController } from './controller.js';
import { createOriginStats, type OriginStats } from './origin-stats.js';

const T0 = Date.parse('2026-12-02T08:00:00Z');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Twenty origin answers of `latencyMs` each. */
function answers(stats: OriginStats, room: string, latencyMs: number): void {
  for (let i = 0; i < 20; i++) stats.record(room, latencyMs, 'ok');
}

describe('adaptive admission against the limits in force', () => {
  it("takes the origin's window of a room that neither adapts nor auto-activates, for the admin figures", () => {
    const rooms = parseConfig({ rooms: [{ id: 'plain', match: ['/'], maxActive: 10, admitPerMinute: 60 }] }).rooms;
    const stats = createOriginStats();
    const controller = createAdaptiveController({ rooms, stats, logger: silentLogger });
    answers(stats, 'plain', 120);
    expect(controller.tick('plain')).toBeUndefined();
    expect(stats.last('plain')).toMatchObject({ requests: 20, errors: 0, p50Ms: 120, p95Ms: 120 });
    expect(rooms[0]!.adaptivePerMinute).toBeUndefined();
  });

  it("adapts an open event's own rate, not the room's base rate, and follows the room's again when it closes", () => {
    const [room] = parseConfig({
      rooms: [
        {
          id: 'main',
          match: ['/'],
          maxActive: 100,
          admitPerMinute: 600,
          events: [{ id: 'opening', opensAt: '2026-12-02T07:00:00Z', closesAt: '2026-12-02T09:00:00Z', admitPerMinute: 3_000 }],
          adaptive: { enabled: true, targetP95Ms: 500, minSamples: 10, decreaseFactor: 0.5 },
        },
      ],
    }).rooms as [RoomConfig];
    let now = T0;
    const stats = createOriginStats();
    const controller = createAdaptiveController({ rooms: [room], stats, logger: silentLogger, clock: () => now });

    answers(stats, 'main', 900);
    expect(controller.tick('main')).toMatchObject({ rate: 1_500, verdict: 'decrease' });
    expect(controller.state('main')).toMatchObject({ operatorPerMinute: 3_000 });
    expect(room.adaptivePerMinute).toBe(1_500);
    expect(roomAt(room, now).limits.admitPerMinute).toBe(1_500);

    // Healthy: it climbs by a twentieth of the rate in force (150), not of the room's (30).
    answers(stats, 'main', 50);
    expect(controller.tick('main')).toMatchObject({ rate: 1_650, verdict: 'increase' });

    now = Date.parse('2026-12-02T09:00:01Z');
    answers(stats, 'main', 50);
    expect(controller.tick('main')?.rate).toBe(600);
    expect(room.adaptivePerMinute).toBeUndefined();
    expect(roomAt(room, now).limits.admitPerMinute).toBe(600);
  });
});

/** One Sảnh instance as far as auto-activation goes: its own room objects, live settings, origin stats and controller. */
interface Instance {
  room: RoomConfig;
  live: LiveSettings;
  stats: OriginStats;
  controller: AdaptiveController;
}

describe.each(['memory', 'redis'] as const)('auto-activation on two instances sharing one settings store (%s)', (kind) => {
  let now = T0;
  let instances: Instance[] = [];
  let store: SettingsStore;
  let redis: Redis | undefined;
  const freshStore = (): SettingsStore => (redis ? createRedisSettingsStore(redis, uniquePrefix('auto-activation')) : createMemorySettingsStore());

  beforeAll(async () => {
    if (kind === 'redis') redis = await testRedisClient();
  });
  afterAll(async () => {
    await redis?.quit();
  });

  async function instance(): Promise<Instance> {
    const [room] = parseConfig({
      rooms: [
        {
          id: 'main',
          match: ['/'],
          maxActive: 100,
          admitPerMinute: 600,
          mode: 'passthrough',
          adaptive: { targetP95Ms: 500, minSamples: 10, autoActivate: { enabled: true, calmSeconds: 60 } },
        },
      ],
    }).rooms as [RoomConfig];
    const live = createLiveSettings({ rooms: [room], store, logger: silentLogger, pollMs: 10, clock: () => now });
    await live.start();
    const stats = createOriginStats();
    const made = { room, live, stats, controller: createAdaptiveController({ rooms: [room], stats, logger: silentLogger, settings: live, clock: () => now }) };
    instances.push(made);
    return made;
  }
  /** Both instances see the same kind of interval at the same instant, then their writes and polls settle. */
  async function interval(latencyMs: number | undefined, seconds: number, ...on: Instance[]): Promise<void> {
    now += seconds * 1000;
    for (const one of on) {
      if (latencyMs !== undefined) answers(one.stats, 'main', latencyMs);
      one.controller.tick('main');
    }
    await settle();
  }
  /** Waits until every change started is stored and every instance has followed the store. */
  async function settle(): Promise<void> {
    for (const one of instances) await one.controller.settled();
    const deadline = Date.now() + 5_000;
    for (;;) {
      const version = await store.version();
      if (instances.every((one) => one.live.view('main').version === version)) return;
      if (Date.now() > deadline) throw new Error('the instances did not follow the settings store within 5 s');
      await sleep(10);
    }
  }
  const actions = async () => (await store.audit(100)).map((entry) => `${entry.by}:${entry.action}`).reverse();

  afterEach(() => {
    for (const one of instances) one.live.stop();
    instances = [];
    now = T0;
  });

  it('switches to open once when both see trouble, and back to passthrough once after the calm period', async () => {
    store = freshStore();
    const a = await instance();
    const b = await instance();
    await interval(900, 5, a, b);
    expect(await actions()).toEqual(['auto-activation:auto-activate']);
    for (const one of [a, b]) expect(one.room).toMatchObject({ mode: 'open', autoActivation: { reason: 'p95 900 ms over 500 ms', passthroughFrom: 'file' } });
    expect(a.live.view('main').overrides).toMatchObject({ mode: 'open' });

    // Calm (healthy on one, quiet on the other) but not for 60 s yet.
    for (let s = 5; s < 60; s += 5) await interval(50, 5, a);
    await interval(undefined, 0, b);
    expect(a.room.mode).toBe('open');
    await interval(50, 10, a, b);
    expect(await actions()).toEqual(['auto-activation:auto-activate', 'auto-activation:auto-deactivate']);
    for (const one of [a, b]) {
      expect(one.room.mode).toBe('passthrough');
      expect(one.room.autoActivation).toBeUndefined();
    }
    expect(a.live.view('main').overrides).toEqual({});
  });

  it('does not flap when one instance sees the trouble and the other proxies too little to judge', async () => {
    store = freshStore();
    const busy = await instance();
    const idle = await instance();
    for (let s = 0; s < 300; s += 5) {
      await interval(900, 5, busy);
      await interval(undefined, 0, idle);
    }
    expect(await actions()).toEqual(['auto-activation:auto-activate']);
    expect(idle.room.mode).toBe('open');
  });

  it("never reverts an operator's mode set during an activation, and acts again only after calm", async () => {
    store = freshStore();
    const a = await instance();
    const b = await instance();
    await interval(900, 5, a);
    expect(b.room.mode).toBe('open');
    await b.live.change('main', { mode: 'queue-all' }, 'ops', 'queue-all');
    await settle();
    expect(a.room.autoActivation).toMatchObject({ endedBy: 'ops' });

    for (let s = 0; s < 120; s += 10) await interval(50, 10, a, b);
    expect(await actions()).toEqual(['auto-activation:auto-activate', 'ops:queue-all', 'auto-activation:auto-activation-rearm']);
    for (const one of [a, b]) {
      expect(one.room.mode).toBe('queue-all');
      expect(one.room.autoActivation).toBeUndefined();
    }

    // An operator's passthrough set while the origin struggles stays until calm has been seen.
    await a.live.change('main', { mode: 'passthrough' }, 'ops', 'passthrough');
    await interval(900, 5, a, b);
    expect(a.room.mode).toBe('open');
    await a.live.change('main', { mode: 'passthrough' }, 'ops', 'passthrough');
    await interval(900, 5, a, b);
    await interval(900, 5, a, b);
    expect(a.room.mode).toBe('passthrough');
    expect((await actions()).slice(-3)).toEqual(['ops:passthrough', 'auto-activation:auto-activate', 'ops:passthrough']);
  });
});
