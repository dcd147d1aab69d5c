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
  const room = parseConfig({ rooms: [{ id: 'main', match: ['/'], maxActive: 5, admitPerMinute: 60, clientLimits: { joinPerMinute: 10 } }] }).rooms[0]!;

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
    const take = async (limiter: typeof a, who: string) => (await limiter.consume('join', room, who)).allowed;
    const shared = [];
    for (let i = 0; i < 6; i++) shared.push(await take(a, address), await take(b, address));
    expect(shared).toEqual([...Array(10).fill(true), false, false]);
    expect(await clients[0]!.keys('test:{main}:limit:join*')).toHaveLength(1);

    await server.kill();
    const outage = '203.0.113.9';
    const answers = [];
    for (let i = 0; i < 11; i++) {
      const started = Date.now();
      answers.push(await take(a, outage));
      expect(Date.now() - started).toBeLessThan(1_000);
    }
    expect(answers).toEqual([...Array(10).fill(true), false]);

    await server.restart();
    await Promise.all(clients.map((client) => new Promise((resolve) => (client.status === 'ready' ? resolve(null) : client.once('ready', resolve)))));
    const after = '203.0.113.10';
    const again = [];
    for (let i = 0; i < 6; i++) again.push(await take(a, after), await take(b, after));
    expect(again).toEqual([...Array(10).fill(true), false, false]);
  });
});
