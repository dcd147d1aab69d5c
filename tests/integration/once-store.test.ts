import { describe, expect, it } from 'vitest';
import { connectRedis, whenReady } from '../../src/redis/connection.js';
import { createRedisOnceStore } from '../../src/waiting-room/challenge/once-store.js';
import { onceStoreContract } from '../../src/waiting-room/challenge/once-store.contract.js';
import { startRedisServer } from '../helpers/redis-server.js';
import { testRedisClient, uniquePrefix } from '../helpers/redis.js';

onceStoreContract('redis', async () => {
  const client = await testRedisClient();
  return {
    store: createRedisOnceStore(client, uniquePrefix('once')),
    close: async () => {
      await client.quit();
    },
  };
});

describe('redis once store when Redis dies', () => {
  it('keeps spending tokens once, in memory, until Redis is back', async () => {
    const server = await startRedisServer();
    const client = connectRedis(server.url, { connectionName: 'sanh-test-once' });
    try {
      await whenReady(client);
      const once = createRedisOnceStore(client, uniquePrefix('once'));
      expect(await once.useOnce('before', 60_000)).toBe(true);
      await server.kill();
      expect(await once.useOnce('during', 60_000)).toBe(true);
      expect(await once.useOnce('during', 60_000)).toBe(false);
      await server.restart();
      await whenReady(client, 10_000);
      expect(await once.useOnce('after', 60_000)).toBe(true);
      expect(await once.useOnce('after', 60_000)).toBe(false);
    } finally {
      client.disconnect();
      await server.stop();
    }
  });
});
