import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { connectRedis } from '../../src/redis/connection.js';
import { createClientLimiter } from '../../src/waiting-room/client-limits.js';
import { redisJoinLimiters } from '../../src/waiting-room/client-limits-redis.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

describe('join limits shared through Redis, with an insurance limiter', () => {
  let server: RedisServer;
  let clients: Redis[];
  const room = parseConfig({ rooms: [{ id: 'main', match: ['/'], maxActive: 5, admitPerMinute: 60, clientLimits: { joinPerMinute: 4 } }] }).rooms[0]!;

  beforeAll(async () => {
    server = await startRedisServer();
    clients = [connectRedis(server.url), connectRedis(server.url)];
    await Promise.all(clients.map((client) => new Promise((resolve) => client.once('ready', resolve))));
  });
  afterAll(async () => {
    for (const client of clients ?? []) client.disconnect();
    await server?.stop();
  });

  it('counts one budget across instances, keeps limiting on its own while Redis is down, and shares again after', async () => {
    const [a, b] = clients.map((client) => createClientLimiter({ shared: redisJoinLimiters(client, 'test') })) as [
      ReturnType<typeof createClientLimiter>,
      ReturnType<typeof createClientLimiter>,
    ];
    const address = '203.0.113.5';
    expect((await a.consume('join', room, address)).allowed).toBe(true);
    expect((await b.consume('join', room, address)).allowed).toBe(true);
    expect((await a.consume('join', room, address)).allowed).toBe(true);
    expect((await b.consume('join', room, address)).allowed).toBe(true);
    expect((await a.consume('join', room, address)).allowed).toBe(false);
    expect((await b.consume('join', room, address)).allowed).toBe(false);
    expect(await clients[0]!.keys('test:{main}:limit:join*')).toHaveLength(1);

    await server.kill();
    const outage = '203.0.113.9';
    const answers = [];
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      answers.push((await a.consume('join', room, outage)).allowed);
      expect(Date.now() - started).toBeLessThan(1_000);
    }
    expect(answers).toEqual([true, true, true, true, false]);

    await server.restart();
    await Promise.all(clients.map((client) => new Promise((resolve) => (client.status === 'ready' ? resolve(null) : client.once('ready', resolve)))));
    const after = '203.0.113.10';
    for (let i = 0; i < 4; i++) expect((await (i % 2 ? a : b).consume('join', room, after)).allowed).toBe(true);
    expect((await a.consume('join', room, after)).allowed).toBe(false);
  });
});
