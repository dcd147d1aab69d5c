import { draftStoreContract } from '../../src/drafts/store.contract.js';
import { createRedisDraftStore } from '../../src/drafts/redis-store.js';
import { testRedisClient, uniquePrefix } from '../helpers/redis.js';

draftStoreContract('redis', async () => {
  const client = await testRedisClient();
  return {
    store: createRedisDraftStore({ client, keyPrefix: uniquePrefix('drafts') }),
    close: async () => {
      await client.quit();
    },
  };
});
