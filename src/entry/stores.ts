/**
 * Every store and limiter one Sảnh instance keeps its state in, chosen once for a backend: the
 * in-memory one here (`createMemoryStores`), Redis in `stores-redis.ts` (`connectRedisStores`),
 * Durable Objects later. The Node entry and the Workers entry both build their stores here.
 *
 * Web APIs only: the Workers bundle imports this module, so nothing Redis (ioredis) or Node
 * (`node:*`) may be imported from it.
 */
import type { SanhConfig } from '../config/schema.js';
import { createClosers } from './closers.js';
import { systemClock, type Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { createStoreErrorCounts, type StoreErrorCounts } from '../platform/store-errors.js';
import { createMemorySettingsStore, type SettingsStore } from '../admin/settings-store.js';
import { createMemoryUploadRecords, type UploadRecords } from '../drafts/attachments/records.js';
import { createDraftLimiter, type DraftLimiter, type SharedDraftLimiterFactory } from '../drafts/limits.js';
import { createMemoryDraftStore } from '../drafts/memory-store.js';
import type { DraftStore } from '../drafts/store.js';
import { createMemorySubmissionStore } from '../submissions/memory-store.js';
import type { SubmissionStore } from '../submissions/store.js';
import type { OnceStore } from '../waiting-room/challenge/once-store.js';
import { createClientLimiter, type ClientLimiter, type SharedLimiterFactory } from '../waiting-room/client-limits.js';
import { createMemoryWaitingRoomStore } from '../waiting-room/memory-store.js';
import type { WaitingRoomStore } from '../waiting-room/store.js';

/** Where an instance keeps its state. */
export type StoreBackend = 'memory' | 'redis';

/** Every store and limiter of one instance, on one backend. */
export interface SanhStores {
  readonly backend: StoreBackend;
  /** Failed store operations by domain (`sanh_store_errors_total`): every store below is counted. */
  readonly storeErrors: StoreErrorCounts;
  readonly waitingRoom: WaitingRoomStore;
  readonly drafts: DraftStore;
  readonly submissions: SubmissionStore;
  /** The admin's stored room overrides and dashboard sessions. */
  readonly settings: SettingsStore;
  /** The join challenge's spent-solution store shared by every instance (absent: the waiting room keeps its own in memory). */
  readonly once?: OnceStore;
  /** The per-client limits of the gate and the status routes. */
  readonly clientLimiter: ClientLimiter;
  /** The drafts' limits (built when drafts are on). */
  draftLimiter(): DraftLimiter;
  /** The attachments' upload records (built when attachments are on). */
  uploadRecords(): UploadRecords;
  /** Whether a draft still exists, for the uploads sweep: given when the records do not expire with their draft (memory). */
  readonly draftExists?: (draftId: string) => Promise<boolean>;
  /** Closes the stores, then the connections they use (once; later calls return the same promise). */
  close(): Promise<void>;
}

/** What every backend's stores are built with. */
export interface StoresOptions {
  config: SanhConfig;
  logger: Logger;
  /** The one clock of the instance (default: the wall clock). */
  clock?: Clock;
}

/** What a backend makes, before what every backend shares (error counts, limiters) is added (`assembleStores`). */
export interface BackendStores {
  backend: StoreBackend;
  waitingRoom: WaitingRoomStore;
  drafts: DraftStore;
  submissions: SubmissionStore;
  settings: SettingsStore;
  once?: OnceStore;
  /** The cross-instance join limits (absent: counted on this instance only). */
  sharedJoinLimiters?: SharedLimiterFactory;
  /** The cross-instance drafts limits (absent: counted on this instance only). */
  sharedDraftLimiters?: SharedDraftLimiterFactory;
  uploadRecords(): UploadRecords;
  /** Whether upload records outlive their draft (then the sweep is told which drafts exist). */
  recordsOutliveDrafts: boolean;
  /** Closes what the stores use, after the stores (the backend's connections). */
  closeConnections?: () => Promise<void>;
}

/** Wraps a backend's stores with the error counts and adds the limiters, the same for every backend. */
export function assembleStores(made: BackendStores, options: StoresOptions): SanhStores {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const storeErrors = createStoreErrorCounts();
  const waitingRoom = storeErrors.wrap('waiting-room', made.waitingRoom);
  const drafts = storeErrors.wrap('drafts', made.drafts);
  const submissions = storeErrors.wrap('submissions', made.submissions);
  const settings = storeErrors.wrap('admin', made.settings);
  const keyPrefix = config.redis.keyPrefix;
  // Closed last pushed first: drafts, submissions, the waiting room, then the connections.
  const closers = createClosers();
  if (made.closeConnections) closers.push(made.closeConnections);
  closers.push(() => waitingRoom.close());
  closers.push(() => submissions.close());
  closers.push(() => drafts.close());
  return {
    backend: made.backend,
    storeErrors,
    waitingRoom,
    drafts,
    submissions,
    settings,
    ...(made.once ? { once: made.once } : {}),
    clientLimiter: createClientLimiter({ ...(made.sharedJoinLimiters ? { shared: made.sharedJoinLimiters } : {}), keyPrefix, logger, clock }),
    draftLimiter: () => createDraftLimiter(config.drafts, { ...(made.sharedDraftLimiters ? { shared: made.sharedDraftLimiters } : {}), keyPrefix, logger }),
    uploadRecords: made.uploadRecords,
    ...(made.recordsOutliveDrafts ? { draftExists: async (id: string) => (await drafts.formOf(id)) !== undefined } : {}),
    close: () => closers.close(),
  };
}

/** The in-memory stores: one instance only, everything lost when it stops. */
export function createMemoryStores(options: StoresOptions): SanhStores {
  const clock = options.clock ?? systemClock;
  return assembleStores(
    {
      backend: 'memory',
      waitingRoom: createMemoryWaitingRoomStore({ clock }),
      drafts: createMemoryDraftStore({ clock }),
      submissions: createMemorySubmissionStore({ clock }),
      settings: createMemorySettingsStore({ clock }),
      uploadRecords: () => createMemoryUploadRecords(),
      recordsOutliveDrafts: true,
    },
    options,
  );
}
