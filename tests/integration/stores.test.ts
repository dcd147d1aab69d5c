import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createMemoryStores } from '../../src/entry/stores.js';
import { connectRedisStores } from '../../src/entry/stores-redis.js';
import { silentLogger } from '../../src/platform/logger.js';
import { connectRedis, parseRedisTarget, whenReady, type RedisClient } from '../../src/redis/connection.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

/** Every store of an instance, chosen once for a backend (`src/entry/stores.ts`, `stores-redis.ts`). */
describe('stores chosen once', () => {
  let redis: RedisServer;
  let watcher: RedisClient;

  beforeAll(async () => {
    redis = await startRedisServer();
    watcher = connectRedis(redis.url, { connectionName: 'stores-watcher' });
    await whenReady(watcher);
  });
  afterAll(async () => {
    await watcher?.quit();
    await redis?.stop();
  });

  const sanhConnections = async () =>
    String(await watcher.call('CLIENT', 'LIST'))
      .split('\n')
      .map((line) => /(?:^| )name=(\S*)/.exec(line)?.[1] ?? '')
      .filter((name) => name.startsWith('sanh'))
      .sort();

  it('in memory: every store and limiter, errors counted by domain, the sweep told which drafts exist, close() once', async () => {
    const stores = createMemoryStores({ config: parseConfig({}), logger: silentLogger });
    expect(stores.backend).toBe('memory');
    expect(stores.once).toBeUndefined();
    expect(await stores.draftExists?.('nope')).toBe(false);
    expect(stores.draftLimiter()).toBeDefined();
    expect(stores.uploadRecords()).toBeDefined();
    await expect(stores.drafts.formOf('nope')).resolves.toBeUndefined();
    const closing = stores.close();
    expect(stores.close()).toBe(closing);
    await closing;
  });

  it('on Redis: one connection, a second for durable submissions, both closed by close()', async () => {
    const config = parseConfig({ redis: { keyPrefix: `stores${Date.now() % 100_000}` }, submissions: { durability: 'fsync' } });
    const target = parseRedisTarget({ REDIS_URL: redis.url });
    if (!target) throw new Error('no target');
    const stores = await connectRedisStores({ config, logger: silentLogger, target });
    expect(stores.backend).toBe('redis');
    expect(stores.once).toBeDefined();
    expect(stores.draftExists).toBeUndefined();
    expect(await sanhConnections()).toEqual(['sanh', 'sanh-submissions']);
    await stores.waitingRoom.ping();
    await Promise.all([stores.close(), stores.close()]);
    expect(await sanhConnections()).toEqual([]);
  });
});
