import { settingsStoreContract } from '../../src/admin/settings-store.contract.js';
import { createRedisSettingsStore } from '../../src/admin/settings-redis.js';
import { testRedisClient, uniquePrefix } from '../helpers/redis.js';

settingsStoreContract('redis', async () => {
  const [a, b] = [await testRedisClient(), await testRedisClient()];
  const prefix = uniquePrefix('settings');
  return {
    store: createRedisSettingsStore(a, prefix),
    other: createRedisSettingsStore(b, prefix),
    close: async () => {
      await Promise.all([a.quit(), b.quit()]);
    },
  };
});
