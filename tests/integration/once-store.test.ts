import { createRedisOnceStore } from '../../src/waiting-room/challenge/once-store.js';
import { onceStoreContract } from '../../src/waiting-room/challenge/once-store.contract.js';
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
