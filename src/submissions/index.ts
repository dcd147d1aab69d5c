import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { RoomConfig } from '../config/schema.js';
import type { SubmissionsConfig } from '../config/submissions.js';
import type { AeadFactory } from '../platform/aead.js';
import type { Sha256 } from '../platform/hash.js';
import { systemClock, type Clock } from '../platform/clock.js';
import type { RawBody, SanhEnv } from '../platform/http.js';
import type { KeyRing } from '../platform/keyring.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import type { MacFactory } from '../platform/mac.js';
import { randomId } from '../platform/random-id.js';
import type { OriginClient } from '../proxy/port.js';
import { createRoomMatcher } from '../waiting-room/rooms.js';
import { compileRoutes, parseReceiptId, type ReceiptRecord } from './core.js';
import { createForwarder, createOriginHealth, type Forwarder } from './forwarder.js';
import { receiptRoutes, submissionCatcher } from './routes.js';
import { createSubmissionSealer, type SubmissionSealer } from './sealing.js';
import type { Backlog, SubmissionStore } from './store.js';
import { createSanhVisitorOf } from './visitor.js';

/** What the submissions domain is built from. */
export interface SubmissionsOptions {
  config: SubmissionsConfig;
  rooms: readonly RoomConfig[];
  /** `origin.timeoutSeconds`: how long a straight attempt may hold its key. */
  originTimeoutSeconds: number;
  store: SubmissionStore;
  keyRing: KeyRing;
  origin: OriginClient;
  logger?: Logger;
  aead?: AeadFactory;
  mac?: MacFactory;
  sha256?: Sha256;
  clientAddress?: (c: Context) => string | undefined;
  rawBody?: RawBody;
  clock?: Clock;
  /** This instance's consumer name in the forwarders' group; default a fresh random one. */
  consumer?: string;
  /** How long an idle forwarder sleeps between looks (ms). */
  idleMs?: number;
}

/** What an operator can do with dead letters (the CLI today, the admin API later). */
export interface DeadLetterOperations {
  list(room: string, limit?: number): Promise<ReceiptRecord[]>;
  /** Sends a dead letter again, at the end of its room's line, with fresh attempts; false when it is not one. */
  retry(receiptId: string): Promise<boolean>;
  /** Gives a dead letter up for good; false when it is not one. */
  drop(receiptId: string): Promise<boolean>;
  backlog(room: string): Promise<Backlog>;
  /** The receipt a citizen reads out (`number`), whatever its state; undefined when there is none. */
  findReceipt(room: string, number: string): Promise<ReceiptRecord | undefined>;
}

/** The submissions domain, ready to mount. */
export interface Submissions {
  /** Mount with `app.use('*')` ahead of the gate; undefined when no room has deferrable routes. */
  catcher: MiddlewareHandler<SanhEnv> | undefined;
  /** Mount at `/_sanh`: `/receipts/:id`, `/receipts/:id/answer` and `/kept` (a refusal page in the other language). */
  routes: Hono<SanhEnv>;
  forwarder: Forwarder;
  sealer: SubmissionSealer;
  deadLetters: DeadLetterOperations;
  /** Starts this instance's forwarders. */
  start(): void;
  /** Stops them, waiting for deliveries in flight. */
  stop(): Promise<void>;
}

/** The operations on dead letters, over a store. */
export function deadLetterOperations(store: SubmissionStore, config: SubmissionsConfig): DeadLetterOperations {
  const parse = (receiptId: string) => {
    const parsed = parseReceiptId(receiptId);
    if (!parsed) throw new Error(`"${receiptId}" is not a receipt id (<room>.<22 characters>)`);
    return parsed;
  };
  return {
    list: (room, limit = 100) => store.deadLetters(room, limit),
    retry(receiptId) {
      const { room, token } = parse(receiptId);
      return store.retryDead(room, token, config.delivery.deadline * 1000);
    },
    drop(receiptId) {
      const { room, token } = parse(receiptId);
      return store.dropDead(room, token);
    },
    backlog: (room) => store.backlog(room),
    async findReceipt(room, number) {
      const id = await store.findByNumber(room, number);
      return id ? (await store.receipt(room, id.slice(id.indexOf('.') + 1)))?.receipt : undefined;
    },
  };
}

/** Builds the submissions domain from its dependencies (the one place its parts are wired together). */
export function createSubmissions(options: SubmissionsOptions): Submissions {
  const { config, store } = options;
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  if (config.durability !== 'write' && !store.durable) {
    throw new Error(`submissions.durability is "${config.durability}" but submissions are kept in memory: set REDIS_URL, or use durability "write"`);
  }
  const rooms = options.rooms.filter((room) => room.submissions);
  const sealer = createSubmissionSealer(options.keyRing, {
    ...(options.aead ? { aead: options.aead } : {}),
    ...(options.mac ? { mac: options.mac } : {}),
    ...(options.sha256 ? { sha256: options.sha256 } : {}),
  });
  const health = createOriginHealth(clock);
  const forwarder = createForwarder({
    rooms,
    config,
    store,
    origin: options.origin,
    sealer,
    health,
    consumer: options.consumer ?? `sanh-${randomId(6)}`,
    clock,
    logger,
    ...(options.idleMs !== undefined ? { idleMs: options.idleMs } : {}),
  });
  const catcher =
    rooms.length === 0
      ? undefined
      : submissionCatcher({
          rooms: createRoomMatcher(options.rooms),
          routes: new Map(rooms.map((room) => [room.id, compileRoutes(room.submissions?.routes ?? [])])),
          config,
          originTimeoutSeconds: options.originTimeoutSeconds,
          store,
          sealer,
          health,
          forwarder,
          clientAddress: options.clientAddress ?? (() => undefined),
          sanhVisitorOf: createSanhVisitorOf(options.keyRing, clock, options.mac),
          ...(options.rawBody ? { rawBody: options.rawBody } : {}),
          clock,
          logger,
        });
  return {
    catcher,
    routes: receiptRoutes({ store, sealer, clock, ...(options.rawBody ? { rawBody: options.rawBody } : {}) }),
    forwarder,
    sealer,
    deadLetters: deadLetterOperations(store, config),
    start() {
      if (rooms.length === 0) return;
      if (!store.durable) {
        logger.warn(
          "submissions are kept in this process's memory: NOT durable, everything accepted and not yet delivered is lost if Sảnh stops (set REDIS_URL)",
          { rooms: rooms.map((r) => r.id).join(', ') },
        );
      }
      forwarder.start();
    },
    stop: () => forwarder.stop(),
  };
}
