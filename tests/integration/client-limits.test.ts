import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Logger } from '../../src/platform/logger.js';
import { connectStandalone } from '../helpers/redis.js';
import { createClientLimiter, type ClientLimiter } from '../../src/waiting-room/client-limits.js';
import { redisJoinLimiters } from '../../src/waiting-room/client-limits-redis.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits out the last seconds of a wall-clock minute: each instance's first joins are counted
 * locally per minute, and a phase straddling the minute would get that allowance twice.
 */
async function clearOfMinuteEdge(marginMs = 8_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < marginMs) await sleep(left + 50);
}

const ready = (client: Redis) => new Promise((resolve) => (client.status === 'ready' ? resolve(null) : client.once('ready', resolve)));

describe('join limits shared through Redis, with an insurance limiter', () => {
  let server: RedisServer;
  let clients: Redis[];
  const room = parseConfig({ rooms: [{ id: 'main', match: ['/'], maxActive: 5, admitPerMinute: 60, clientLimits: { joinPerMinute: 10 } }] }).rooms[0]!;

  beforeAll(async () => {
    server = await startRedisServer();
    clients = [connectStandalone(server.url), connectStandalone(server.url)];
    for (const client of clients) client.on('error', () => undefined);
    await Promise.all(clients.map(ready));
  });
  afterAll(async () => {
    for (const client of clients ?? []) client.disconnect();
    await server?.stop();
  });

  it('counts one budget across instances, keeps limiting on its own while Redis is down, and shares again after', async () => {
    const faults: string[] = [];
    const logger: Logger = { info() {}, warn: (message) => void faults.push(message), error: (message) => void faults.push(message) };
    const [a, b] = clients.map((client) => createClientLimiter({ shared: redisJoinLimiters(client, 'test'), logger })) as [ClientLimiter, ClientLimiter];
    const address = '203.0.113.5';
    const take = async (limiter: ClientLimiter, who: string) => (await limiter.consume('join', room, who)).allowed;
    await clearOfMinuteEdge();
    const shared = [];
    for (let i = 0; i < 6; i++) shared.push(await take(a, address), await take(b, address));
    expect(shared).toEqual([...Array(10).fill(true), false, false]);
    expect(await clients[0]!.keys('test:{main}:limit:join*')).toHaveLength(1);

    await server.kill();
    await clearOfMinuteEdge();
    const outage = '203.0.113.9';
    const answers = [];
    for (let i = 0; i < 11; i++) {
      const started = Date.now();
      answers.push(await take(a, outage));
      expect(Date.now() - started).toBeLessThan(1_000);
    }
    expect(answers).toEqual([...Array(10).fill(true), false]);
    // The insurance limiter is this instance's own: the other instance still has its budget.
    expect(await take(b, outage)).toBe(true);
    expect(faults).toEqual([]);

    await server.restart();
    await Promise.all(clients.map(ready));
    await clearOfMinuteEdge();
    const after = '203.0.113.10';
    const again = [];
    for (let i = 0; i < 6; i++) again.push(await take(a, after), await take(b, after));
    expect(again).toEqual([...Array(10).fill(true), false, false]);
    expect(await clients[1]!.keys('test:{main}:limit:join*')).toHaveLength(1);
    expect(faults).toEqual([]);
  }, 40_000);
});
