/**
 * Sảnh as a library. A portal that is itself a Hono app can mount the waiting room in-process:
 *
 *   const waitingRoom = createWaitingRoom({ rooms: parseConfig(json).rooms, store, keyRing });
 *   await waitingRoom.start();
 *   app.route('/_sanh', waitingRoom.routes);
 *   app.use('*', waitingRoom.gate);
 *
 * Or build the whole proxy with `createApp`.
 */
export { createApp, type AppDeps } from './app.js';
export { parseConfig, ConfigError } from './config/load.js';
export type { RoomConfig, SanhConfig, ConfigInput } from './config/schema.js';
export { errorMapper, type SanhEnv } from './platform/http.js';
export { generateKeyRing, parseKeyRing, type KeyRing } from './platform/keyring.js';
export { jsonLogger, silentLogger, type Logger } from './platform/logger.js';
export { webCryptoMac, type Mac, type MacFactory } from './platform/mac.js';
export { nodeMac } from './platform/node-mac.js';
export { createWaitingRoom, type WaitingRoom, type WaitingRoomOptions } from './waiting-room/index.js';
export { createMemoryWaitingRoomStore } from './waiting-room/memory-store.js';
export { createRedisWaitingRoomStore } from './waiting-room/redis-store.js';
export type { WaitingRoomStore } from './waiting-room/store.js';
export { connectRedis } from './redis/connection.js';
export { createDrafts, type Drafts, type DraftsOptions } from './drafts/index.js';
export { createMemoryDraftStore } from './drafts/memory-store.js';
export { createRedisDraftStore } from './drafts/redis-store.js';
export type { DraftStore } from './drafts/store.js';
export { nodeAead } from './platform/node-aead.js';
export { createSubmissions, deadLetterOperations, type Submissions, type SubmissionsOptions, type DeadLetterOperations } from './submissions/index.js';
export { createMemorySubmissionStore } from './submissions/memory-store.js';
export { createRedisSubmissionStore } from './submissions/redis-store.js';
export type { SubmissionStore } from './submissions/store.js';
export type { ReceiptView } from './submissions/view.js';
