import { Hono } from 'hono';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { errorMapper, type SanhEnv } from '../../src/platform/http.js';
import { parseKeyRing } from '../../src/platform/keyring.js';
import { silentLogger } from '../../src/platform/logger.js';
import { connectStandalone } from '../helpers/redis.js';
import { createWaitingRoom, type WaitingRoom } from '../../src/waiting-room/index.js';
import { createRedisWaitingRoomStore } from '../../src/waiting-room/redis-store.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { Visitor, inProcess } from '../helpers/visitor.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The store-failure policy, end to end against a real redis-server killed under load and started
 * again empty: admitted visitors keep going, newcomers get the instance's fallback share of the
 * room's headroom when nobody was in line (room "roomy": 4 of 10 active, share 0.5, so 3), never
 * pass people already in line (room "open", full with 12 waiting) and get the waiting page in a
 * "closed" room ("shut"), nothing answers 5xx other than the waiting page's
 * 503, and afterwards the line resumes with every queued visitor's place intact.
 */
describe('when Redis dies under load and comes back empty', () => {
  let redisServer: RedisServer;
  let client: Redis;
  let waitingRoom: WaitingRoom;
  const app = new Hono<SanhEnv>();
  const limits = { maxActive: 10, admitPerMinute: 600, fallbackShare: 0.5 };

  beforeAll(async () => {
    redisServer = await startRedisServer();
    client = connectStandalone(redisServer.url);
    client.on('error', () => undefined);
    await new Promise((resolve) => client.once('ready', resolve));
    const config = parseConfig({
      rooms: [
        { id: 'open', match: ['/open'], ...limits, onStoreFailure: 'open' },
        { id: 'shut', match: ['/shut'], ...limits, onStoreFailure: 'closed' },
        { id: 'roomy', match: ['/roomy'], ...limits, onStoreFailure: 'open' },
      ],
    });
    waitingRoom = createWaitingRoom({
      rooms: config.rooms,
      store: createRedisWaitingRoomStore({ client }),
      keyRing: parseKeyRing(`k:${'r'.repeat(40)}`),
      snapshotIntervalMs: 100,
      logger: silentLogger,
    });
    await waitingRoom.start();
    app.onError(errorMapper(silentLogger));
    app.route('/_sanh', waitingRoom.routes);
    app.use('*', waitingRoom.gate);
    app.get('*/bye', (c) => c.text('bye', 200, { 'Sanh-Session': 'end' }));
    app.get('*', (c) => c.text('portal'));
  });

  afterAll(async () => {
    await waitingRoom?.stop();
    client?.disconnect();
    await redisServer?.stop();
  });

  it("keeps passes working, applies each room's policy to newcomers, never storms 5xx, and resumes the line with places kept", async () => {
    const people = (room: string) => ({
      admitted: Array.from({ length: 10 }, (_, i) => new Visitor(inProcess(app), `${room}-in${i}`)),
      queued: Array.from({ length: 12 }, (_, i) => new Visitor(inProcess(app), `${room}-q${i}`)),
    });
    const rooms = { open: people('open'), shut: people('shut') };
    const roomyIn = Array.from({ length: 4 }, (_, i) => new Visitor(inProcess(app), `roomy-in${i}`));
    for (const v of roomyIn) expect((await v.page('/roomy/start')).headers.get('sanh-state')).toBe('admitted');
    for (const [room, group] of Object.entries(rooms)) {
      for (const v of group.admitted) expect((await v.page(`/${room}/start`)).headers.get('sanh-state')).toBe('admitted');
      for (const v of group.queued) expect((await v.page(`/${room}/start`)).headers.get('sanh-state')).toBe('queued');
    }
    await waitingRoom.snapshots.refresh();
    const placesBefore = new Map<Visitor, number | null>();
    for (const [room, group] of Object.entries(rooms)) {
      for (const v of group.queued) placesBefore.set(v, (await v.status(room)).position);
    }
    expect([...placesBefore.values()].slice(0, 12)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));

    const codes = new Map<string, number>();
    let loading = true;
    const load = (async () => {
      while (loading) {
        const batch = Object.entries(rooms).flatMap(([room, group]) => [
          ...group.admitted.map((v) => v.page(`/${room}/page`)),
          ...group.queued.map((v) => v.request(`/_sanh/status?room=${room}`, { headers: { accept: 'application/json' } })),
        ]);
        for (const response of await Promise.all(batch)) {
          const key = `${response.status} ${response.headers.get('sanh-state') ?? '-'}`;
          codes.set(key, (codes.get(key) ?? 0) + 1);
        }
        await sleep(20);
      }
    })();

    await sleep(200);
    await redisServer.kill();
    await sleep(300);
    expect((await app.request('/_sanh/ready')).status).toBe(200);
    for (const [room, group] of Object.entries(rooms)) {
      for (const v of group.admitted) expect((await v.page(`/${room}/during`)).status).toBe(200);
      for (const v of group.queued) expect((await v.status(room)).position).toBe(placesBefore.get(v));
    }
    const newcomers = async (room: string) => {
      const states = [];
      for (let i = 0; i < 8; i++) {
        const response = await new Visitor(inProcess(app)).page(`/${room}/new`);
        states.push(`${response.status} ${response.headers.get('sanh-state')}`);
      }
      return states;
    };
    expect(await newcomers('open')).toEqual(Array(8).fill('503 queued'));
    const roomyStates = await newcomers('roomy');
    expect(roomyStates.filter((s) => s === '200 admitted')).toHaveLength(3);
    expect(roomyStates.filter((s) => s === '503 queued')).toHaveLength(5);
    expect(await newcomers('shut')).toEqual(Array(8).fill('503 queued'));
    const seated = await new Visitor(inProcess(app)).page('/shut/new');
    expect(await seated.text()).toContain('Lúc này chưa xem được số liệu của hàng chờ.');

    await redisServer.restart();
    const deadline = Date.now() + 15_000;
    const storeStatus = async () => ((await (await app.request('/_sanh/health')).json()) as { store: { status: string } }).store.status;
    while (Date.now() < deadline && (await storeStatus()) !== 'ok') await sleep(100);
    expect(await storeStatus()).toBe('ok');
    expect((await app.request('/_sanh/ready')).status).toBe(200);
    await sleep(300);
    loading = false;
    await load;

    const fives = [...codes].filter(([key]) => key.startsWith('5') && key !== '503 queued');
    expect(fives).toEqual([]);
    expect(codes.get('200 admitted') ?? 0).toBeGreaterThan(100);

    await waitingRoom.activity.flush();
    await sleep(3_300);
    await waitingRoom.snapshots.refresh();
    for (const [room, group] of Object.entries(rooms)) {
      for (const v of group.queued) expect(await v.status(room)).toMatchObject({ state: 'queued', position: placesBefore.get(v) });
    }

    for (const room of ['open', 'shut', 'roomy']) expect(waitingRoom.snapshots.view(room)?.snapshot.active).toBeLessThanOrEqual(limits.maxActive);
    expect(waitingRoom.snapshots.view('roomy')?.snapshot.active).toBe(7);
    expect(waitingRoom.snapshots.view('open')?.snapshot.active).toBe(10);

    const leaving = { open: 7, shut: 3 };
    for (const [room, group] of Object.entries(rooms)) {
      for (const v of group.admitted.slice(0, leaving[room as keyof typeof leaving])) await v.page(`/${room}/bye`);
    }
    await sleep(200);
    await waitingRoom.snapshots.refresh();
    for (const [room, group] of Object.entries(rooms)) {
      const outcomes = [];
      for (const v of group.queued) {
        const status = await v.status(room);
        expect(['admitted', 'queued']).toContain(status.state);
        outcomes.push(status.state === 'admitted' ? 0 : status.position);
      }
      const admitted = outcomes.filter((p) => p === 0).length;
      expect(admitted).toBeGreaterThan(0);
      expect(outcomes).toEqual([...Array(admitted).fill(0), ...Array.from({ length: 12 - admitted }, (_, i) => i + 1)]);
    }
    await waitingRoom.activity.flush();
    for (const [room, group] of Object.entries(rooms)) {
      for (const v of group.admitted.slice(leaving[room as keyof typeof leaving])) {
        expect((await v.page(`/${room}/later`)).headers.get('sanh-state')).toBe('admitted');
      }
    }
  }, 60_000);
});
