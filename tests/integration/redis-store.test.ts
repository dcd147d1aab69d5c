import { createRedisWaitingRoomStore } from '../../src/waiting-room/redis-store.js';
import { waitingRoomStoreContract } from '../../src/waiting-room/store.contract.js';
import { testRedisClient, uniquePrefix } from '../helpers/redis.js';

waitingRoomStoreContract('redis', async () =>
  createRedisWaitingRoomStore({ client: await testRedisClient(), keyPrefix: uniquePrefix('contract'), ownsClient: true }),
);
