import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { errorMapper, type SanhEnv } from '../../src/platform/http.js';
import { parseKeyRing } from '../../src/platform/keyring.js';
import { silentLogger } from '../../src/platform/logger.js';
import { connectRedis } from '../../src/redis/connection.js';
import { createWaitingRoom, type WaitingRoom } from '../../src/waiting-room/index.js';
import { createRedisWaitingRoomStore } from '../../src/waiting-room/redis-store.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { Visitor, inProcess } from '../helpers/visitor.js';

describe('when Redis dies and comes back', () => {
  let redisServer: RedisServer;
  let client: Redis;
  let waitingRoom: WaitingRoom;
  const app = new Hono<SanhEnv>();

  beforeAll(async () => {
    redisServer = await startRedisServer();
    client = connectRedis(redisServer.url);
    const config = parseConfig({ rooms: [{ id: 'main', match: ['/'], maxActive: 50, admitPerMinute: 6000 }], snapshotIntervalMs: 100 });
    waitingRoom = createWaitingRoom({
      rooms: config.rooms,
      store: createRedisWaitingRoomStore({ client }),
      keyRing: parseKeyRing(`k:${'r'.repeat(40)}`),
      snapshotIntervalMs: 100,
      logger: silentLogger,
    });
    await new Promise((r) => client.once('ready', r));
    await waitingRoom.start();
    app.use(requestId());
    app.onError(errorMapper(silentLogger));
    app.route('/_sanh', waitingRoom.routes);
    app.use('*', waitingRoom.gate);
    app.get('*', (c) => c.text('portal'));
  });

  afterAll(async () => {
    await waitingRoom?.stop();
    client?.disconnect();
    await redisServer?.stop();
  });

  it('keeps admitted visitors going, answers new ones with a clear 503 at once, and recovers', async () => {
    const admitted = new Visitor(inProcess(app));
    expect((await admitted.page('/')).status).toBe(200);

    await redisServer.kill();
    const started = Date.now();
    const newcomer = await new Visitor(inProcess(app)).request('/', { headers: { accept: 'application/json' } });
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(newcomer.status).toBe(503);
    expect(newcomer.headers.get('retry-after')).toBe('5');
    expect(await newcomer.json()).toMatchObject({ error: { code: 'store_unavailable' } });
    expect((await app.request('/_sanh/ready')).status).toBe(503);
    expect((await admitted.page('/during-outage')).status).toBe(200);

    await redisServer.restart();
    const deadline = Date.now() + 15_000;
    let recovered = false;
    while (!recovered && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      recovered = (await app.request('/_sanh/ready')).status === 200;
    }
    expect(recovered).toBe(true);
    expect((await new Visitor(inProcess(app)).page('/')).status).toBe(200);
    expect((await admitted.page('/after-outage')).status).toBe(200);
  });
});
