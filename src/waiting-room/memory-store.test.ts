import { createMemoryWaitingRoomStore } from './memory-store.js';
import { waitingRoomStoreContract } from './store.contract.js';

waitingRoomStoreContract('memory', async () => createMemoryWaitingRoomStore());
