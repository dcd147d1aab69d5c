import { submissionStoreContract } from '../../src/submissions/store.contract.js';
import { createRedisSubmissionStore } from '../../src/submissions/redis-store.js';
import { testRedisClient, uniquePrefix } from '../helpers/redis.js';

submissionStoreContract('redis', async () => {
  const client = await testRedisClient();
  return {
    store: createRedisSubmissionStore({ client, keyPrefix: uniquePrefix('subs') }),
    close: async () => {
      await client.quit();
    },
  };
});
