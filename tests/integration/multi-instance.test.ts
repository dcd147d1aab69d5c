import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { decodeBase64Url } from '../../src/platform/base64url.js';
import { errorMapper, type SanhEnv } from '../../src/platform/http.js';
import { parseKeyRing } from '../../src/platform/keyring.js';
import { silentLogger } from '../../src/platform/logger.js';
import { createWaitingRoom, type WaitingRoom } from '../../src/waiting-room/index.js';
import { limitsOf } from '../../src/waiting-room/rooms.js';
import { createRedisWaitingRoomStore } from '../../src/waiting-room/redis-store.js';
import { connectRedis, whenReady, type RedisClient } from '../../src/redis/connection.js';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { startRedisCluster, type RedisClusterServers } from '../helpers/redis-topologies.js';
import { Visitor, inProcess } from '../helpers/visitor.js';

const KEYS = parseKeyRing(`k1:${'m'.repeat(40)}`);
const config = parseConfig({
  rooms: [{ id: 'main', match: ['/'], maxActive: 15, admitPerMinute: 1200, admitBurst: 10, sessionIdleSeconds: 10, noShowSeconds: 5 }],
  snapshotIntervalMs: 100,
});
const room = config.rooms[0]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Record {
  name: string;
  arrivedAt: number;
  ticket: number | undefined;
  admittedAt: number | undefined;
  endedAt: number | undefined;
}

function ticketNumber(cookie: string | undefined): number | undefined {
  const body = cookie?.split('.')[1];
  const bytes = body ? decodeBase64Url(body) : undefined;
  return bytes ? (JSON.parse(new TextDecoder().decode(bytes)) as { n?: number }).n : undefined;
}

/** Where the three instances' Redis is: the shared test server, or a Cluster of three primaries started for the test. */
const TOPOLOGIES = [
  { name: 'one Redis', start: async () => ({ url: testRedisUrl(), stop: async () => undefined }) },
  { name: 'a Redis Cluster of three primaries', start: async (): Promise<Pick<RedisClusterServers, 'url' | 'stop'>> => startRedisCluster({ primaries: 3 }) },
];

describe.each(TOPOLOGIES)('three Sảnh instances sharing $name', ({ start }) => {
  const clients: RedisClient[] = [];
  let topology: Awaited<ReturnType<typeof start>>;
  const rooms: WaitingRoom[] = [];
  const apps: Hono<SanhEnv>[] = [];
  const prefix = uniquePrefix('multi');
  let inSession = 0;
  let maxInSession = 0;

  beforeAll(async () => {
    topology = await start();
    for (let i = 0; i < 3; i++) {
      const client = connectRedis(topology.url, { connectionName: 'sanh-test' });
      await whenReady(client, 10_000);
      clients.push(client);
      const waitingRoom = createWaitingRoom({
        rooms: config.rooms,
        store: createRedisWaitingRoomStore({ client, keyPrefix: prefix }),
        keyRing: KEYS,
        snapshotIntervalMs: config.snapshotIntervalMs,
        logger: silentLogger,
      });
      await waitingRoom.start();
      rooms.push(waitingRoom);
      const app = new Hono<SanhEnv>();
      app.use(requestId());
      app.onError(errorMapper(silentLogger));
      app.route('/_sanh', waitingRoom.routes);
      app.use('*', waitingRoom.gate);
      app.post('/submit', (c) => c.text('done', 200, { 'Sanh-Session': 'end' }));
      app.get('*', (c) => c.text('portal'));
      apps.push(app);
    }
  });

  afterAll(async () => {
    for (const waitingRoom of rooms) await waitingRoom.stop();
    for (const client of clients) client.disconnect();
    await topology?.stop();
  });

  it('keeps one global line, active count and rate for a few hundred visitors', async () => {
    const anyInstance = () => inProcess(apps[Math.floor(Math.random() * apps.length)]!);
    const records: Record[] = [];
    const storeSamples: { at: number; active: number; admittedTotal: number }[] = [];
    const sampler = createRedisWaitingRoomStore({ client: clients[0]!, keyPrefix: prefix });
    let sampling = true;
    const sampling$ = (async () => {
      while (sampling) {
        const snapshot = await sampler.tick(room.id, limitsOf(room, Date.now()));
        storeSamples.push({ at: snapshot.at, active: snapshot.active, admittedTotal: snapshot.admittedTotal });
        await sleep(50);
      }
    })();

    async function journey(index: number): Promise<void> {
      await sleep(index * 33);
      const record: Record = { name: `v${index}`, arrivedAt: Date.now(), ticket: undefined, admittedAt: undefined, endedAt: undefined };
      records.push(record);
      const visitor = new Visitor((path, init) => anyInstance()(path, init), record.name);
      let response = await visitor.page('/start');
      record.ticket = ticketNumber(visitor.jar.get('sanh_ticket_main'));
      const giveUpAt = Date.now() + 60_000;
      while (response.headers.get('sanh-state') !== 'admitted') {
        if (Date.now() > giveUpAt) throw new Error(`${record.name} was never admitted`);
        await sleep(150 + Math.random() * 100);
        const status = await visitor.status('main');
        if (status.state === 'admitted' || status.state === 'none') response = await visitor.page('/start');
      }
      record.admittedAt = Date.now();
      inSession += 1;
      maxInSession = Math.max(maxInSession, inSession);
      const pages = 2 + Math.floor(Math.random() * 3);
      for (let p = 0; p < pages; p++) {
        await sleep(100 + Math.random() * 150);
        expect((await visitor.page(`/step/${p}`)).headers.get('sanh-state')).toBe('admitted');
      }
      inSession -= 1;
      record.endedAt = Date.now();
      await visitor.request('/submit', { method: 'POST' });
    }

    await Promise.all(Array.from({ length: 300 }, (_, i) => journey(i)));
    sampling = false;
    await sampling$;

    expect(records.every((r) => r.admittedAt !== undefined)).toBe(true);
    expect(maxInSession).toBeLessThanOrEqual(room.maxActive);
    expect(Math.max(...storeSamples.map((s) => s.active))).toBeLessThanOrEqual(room.maxActive);
    expect(Math.max(...storeSamples.map((s) => s.active))).toBe(room.maxActive);

    const queued = records.filter((r) => r.ticket !== undefined).sort((a, b) => (a.ticket ?? 0) - (b.ticket ?? 0));
    expect(queued.length).toBeGreaterThan(150);
    const tolerance = 2_000;
    let overtaken = 0;
    for (let i = 1; i < queued.length; i++) {
      const latestBefore = Math.max(...queued.slice(0, i).map((r) => r.admittedAt ?? 0));
      if ((queued[i]!.admittedAt ?? 0) + tolerance < latestBefore) overtaken += 1;
    }
    expect(overtaken).toBe(0);
    const admissionRank = new Map([...queued].sort((a, b) => (a.admittedAt ?? 0) - (b.admittedAt ?? 0)).map((r, rank) => [r.name, rank]));
    const n = queued.length;
    const squaredRankGaps = queued.reduce((sum, r, ticketRank) => sum + (ticketRank - (admissionRank.get(r.name) ?? 0)) ** 2, 0);
    const spearman = 1 - (6 * squaredRankGaps) / (n * (n * n - 1));
    expect(spearman).toBeGreaterThan(0.97);

    const perSecond = room.admitPerMinute / 60;
    for (let i = 0; i < storeSamples.length; i++) {
      for (let j = i + 1; j < storeSamples.length; j++) {
        const a = storeSamples[i]!;
        const b = storeSamples[j]!;
        const allowed = room.admitBurst + perSecond * ((b.at - a.at) / 1000) + 1;
        expect(b.admittedTotal - a.admittedTotal).toBeLessThanOrEqual(allowed);
      }
    }
    const first = storeSamples[0]!;
    const last = storeSamples[storeSamples.length - 1]!;
    expect(last.admittedTotal - first.admittedTotal).toBeGreaterThanOrEqual(250);
  }, 120_000);
});
