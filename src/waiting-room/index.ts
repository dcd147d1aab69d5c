import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { RoomConfig } from '../config/schema.js';
import { systemClock, type Clock } from '../platform/clock.js';
import type { SanhEnv } from '../platform/http.js';
import type { KeyRing } from '../platform/keyring.js';
import type { MacFactory } from '../platform/mac.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { probeRoutes } from '../platform/probes.js';
import { createStoreHealth, type StoreHealth } from '../platform/store-health.js';
import { createActivityTracker, type ActivityTracker } from './activity.js';
import { joinLevelOf, waitingRoomGate, type GateCounters, type GateDeps } from './gate.js';
import { createMemoryOnceStore, type OnceStore } from './challenge/once-store.js';
import { createChallengeService } from './challenge/routes.js';
import { createStoreFallback } from './fallback.js';
import { createClientLimiter, type ClientLimiter } from './client-limits.js';
import { createRoomMatcher } from './rooms.js';
import { pathRules } from './path-normal.js';
import type { PathNormalizationConfig } from '../config/paths.js';
import { statusFromMemory, waitingRoomRoutes } from './routes.js';
import { createSnapshotLoop, type SnapshotLoop } from './snapshots.js';
import type { WaitingRoomStore } from './store.js';
import { createWaitingRoomTokens } from './tokens.js';
import { createStaffPasses, type StaffPasses } from './staff-pass.js';
import { createWaitTimes, type WaitTimes } from './wait-times.js';

/** What a waiting room is built from. */
export interface WaitingRoomOptions {
  rooms: readonly RoomConfig[];
  /** How request paths are read for the room decision (`origin.pathNormalization`); default strict. */
  paths?: PathNormalizationConfig;
  store: WaitingRoomStore;
  keyRing: KeyRing;
  clock?: Clock;
  logger?: Logger;
  /** How often this instance advances the line and refreshes its snapshot. Default 250 ms. */
  snapshotIntervalMs?: number;
  /** How passes and tickets are MACed: default Web Crypto; on Node, `nodeMac` is cheaper. */
  mac?: MacFactory;
  /** The client's address (after any trusted proxies); default: unknown. */
  clientAddress?: (c: Context) => string | undefined;
  /** Per-client limits; default: in memory on this instance. */
  limiter?: ClientLimiter;
  /** Where spent challenge puzzles and proofs are remembered; default this process's memory. */
  once?: OnceStore;
  /** Admit on this instance's own while the store is unreachable, per each room's `onStoreFailure` (default true). */
  storeFallback?: boolean;
  /** True once this instance has begun to shut down: `/_sanh/ready` then answers 503 (default: never). */
  draining?: () => boolean;
  /** How often the store's health is checked with a ping (default 1 s). */
  storeHealthIntervalMs?: number;
}

/** A running waiting room: its gate middleware, its `/_sanh` routes and its background loops. */
export interface WaitingRoom {
  /** Hono middleware: admits, seats or passes each request. */
  gate: MiddlewareHandler<SanhEnv>;
  /** Mount at `/_sanh`: status, lottery, challenge and the probes (`/live`, `/ready`, `/health`). */
  routes: Hono<SanhEnv>;
  /**
   * A status poll answered from memory ahead of routing, or `undefined` (the routes answer it):
   * see `statusFromMemory`. `appHeaders` are the headers the app's middleware would add.
   */
  statusFromMemory(request: Request, appHeaders: (request: Request) => Record<string, string>): Response | Promise<Response | undefined> | undefined;
  snapshots: SnapshotLoop;
  activity: ActivityTracker;
  /** Requests let through without admission control, per room (passthrough mode, bypass rules). */
  counters: GateCounters;
  /** Staff bypass passes for this waiting room's rooms (the admin API issues them, the gate honours them). */
  staffPasses: StaffPasses;
  /** The waits of visitors admitted from the line, as they are admitted (for the metrics). */
  waits: WaitTimes;
  /** The store's health as last checked (for `/_sanh/health` and the metrics). */
  storeHealth: StoreHealth;
  /** Checks the store, then starts the health checks, the snapshot loop and the activity flush. */
  start(): Promise<void>;
  /** Stops the loops and flushes pending activity. */
  stop(): Promise<void>;
}

/** Builds a waiting room from its dependencies (the one place its parts are wired together). */
export function createWaitingRoom(options: WaitingRoomOptions): WaitingRoom {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const rooms = createRoomMatcher(options.rooms, pathRules(options.paths));
  const activity = createActivityTracker({ rooms, store: options.store, clock, logger });
  const snapshots = createSnapshotLoop({
    rooms,
    store: options.store,
    intervalMs: options.snapshotIntervalMs ?? 250,
    clock,
    logger,
    onResumed: () => void activity.flush(),
  });
  const counters: GateCounters = { passthrough: new Map(), bypass: new Map() };
  const staffPasses = createStaffPasses(options.keyRing, clock, options.mac);
  const waits = createWaitTimes();
  const storeHealth = createStoreHealth({
    ping: () => options.store.ping(),
    clock,
    logger,
    ...(options.storeHealthIntervalMs ? { intervalMs: options.storeHealthIntervalMs } : {}),
  });
  const limiter = options.limiter ?? createClientLimiter({ logger, clock });
  const clientAddress = options.clientAddress ?? (() => undefined);
  const challenge = createChallengeService({
    rooms,
    keyRing: options.keyRing,
    once: options.once ?? createMemoryOnceStore({ clock }),
    clock,
    joinLevel: (c, room) => joinLevelOf({ limiter, clientAddress }, c, room),
  });
  const deps: GateDeps = {
    rooms,
    store: options.store,
    tokens: createWaitingRoomTokens(options.keyRing, clock, options.mac),
    snapshots,
    activity,
    clock,
    logger,
    clientAddress,
    limiter,
    counters,
    staffPasses,
    waits,
    challenge,
    ...(options.storeFallback === false ? {} : { fallback: createStoreFallback((roomId) => snapshots.view(roomId)?.snapshot) }),
  };
  return {
    gate: waitingRoomGate(deps),
    routes: waitingRoomRoutes(deps)
      .route('/', probeRoutes({ store: storeHealth, draining: options.draining ?? (() => false) }))
      .route('/', challenge.routes),
    statusFromMemory: (request, appHeaders) => statusFromMemory(deps, request, appHeaders),
    snapshots,
    activity,
    counters,
    staffPasses,
    waits,
    storeHealth,
    async start() {
      await storeHealth.check();
      storeHealth.start();
      await snapshots.refresh();
      snapshots.start();
      await activity.start();
    },
    async stop() {
      storeHealth.stop();
      snapshots.stop();
      await activity.stop();
    },
  };
}
