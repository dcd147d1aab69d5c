import type { AddressInfo } from 'node:net';
import { Server as HttpServer, type IncomingMessage } from 'node:http';
import { serve, type ServerType } from '@hono/node-server';
import type { Context } from 'hono';
import { clientAddress } from '../waiting-room/bypass.js';
import { createClientLimiter } from '../waiting-room/client-limits.js';
import { redisJoinLimiters } from '../waiting-room/client-limits-redis.js';
import { createRedisOnceStore } from '../waiting-room/challenge/once-store.js';
import { createApp } from '../app.js';
import type { SanhConfig } from '../config/schema.js';
import { systemClock, type Clock } from '../platform/clock.js';
import type { KeyRing } from '../platform/keyring.js';
import type { Logger } from '../platform/logger.js';
import { nodeAead } from '../platform/node-aead.js';
import { nodeMac } from '../platform/node-mac.js';
import { nodeSha256 } from '../platform/node-hash.js';
import { createProxyLimits, proxyLimitsOptions } from '../proxy/limits.js';
import { createUndiciOriginClient } from '../proxy/origin.js';
import { connectRedis, parseRedisTarget, whenReady, type RedisClient, type RedisTarget } from '../redis/connection.js';
import { drainable, drainWithin, settleWithin, type DrainableListener, type DrainFigures } from './drain.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDraftAttachments, createMemoryUploadRecords } from '../drafts/attachments/index.js';
import { createDirectoryUploadBytes } from '../drafts/attachments/directory-bytes.js';
import { createRedisUploadRecords } from '../drafts/attachments/redis-records.js';
import { createDrafts, type Drafts } from '../drafts/index.js';
import { createDraftLimiter } from '../drafts/limits.js';
import { redisDraftLimiters } from '../drafts/limits-redis.js';
import { createMemoryDraftStore } from '../drafts/memory-store.js';
import { createRedisDraftStore } from '../drafts/redis-store.js';
import type { DraftStore } from '../drafts/store.js';
import { createAdminApp } from '../admin/app.js';
import { createAdminMetrics } from '../admin/metrics.js';
import { createHttpServerStats } from '../telemetry/http-server-stats.js';
import { createDashboard, type Dashboard } from '../admin/dashboard/routes.js';
import { roomFigures } from '../admin/figures.js';
import { createAdaptiveController } from '../adaptive/controller.js';
import { measuredOrigin } from '../adaptive/measured-origin.js';
import { createOriginStats } from '../adaptive/origin-stats.js';
import { createLiveSettings } from '../admin/live.js';
import { createRedisSettingsStore } from '../admin/settings-redis.js';
import { createMemorySettingsStore, type SettingsStore } from '../admin/settings-store.js';
import type { AdminToken } from '../admin/tokens.js';
import { createStoreErrorCounts } from '../platform/store-errors.js';
import { createSubmissions, type Submissions } from '../submissions/index.js';
import { createMemorySubmissionStore } from '../submissions/memory-store.js';
import { createRedisSubmissionStore } from '../submissions/redis-store.js';
import type { SubmissionStore } from '../submissions/store.js';
import { createWaitingRoom } from '../waiting-room/index.js';
import { createMemoryWaitingRoomStore } from '../waiting-room/memory-store.js';
import { createRedisWaitingRoomStore } from '../waiting-room/redis-store.js';
import type { WaitingRoomStore } from '../waiting-room/store.js';

/** What one Sảnh process on Node is started with (already validated). */

/**
 * Limits on a request's head, on the public listener: at most 16 KiB of request line and headers
 * (more: 431, as Node answers), all of it within 20 s (a client that sends its headers a byte at
 * a time is cut: 408). Node's own 300 s bound on a whole request stays.
 */
export const REQUEST_HEAD_LIMITS = { maxHeaderSize: 16 * 1024, headersTimeout: 20_000 } as const;

export interface NodeSanhOptions {
  config: SanhConfig;
  keyRing: KeyRing;
  originUrl: string;
  /** Where Redis is (any topology); wins over `redisUrl`. Both unset: the embedded in-memory store. */
  redis?: RedisTarget;
  /** A standalone, Sentinel or Cluster `REDIS_URL` (see `parseRedisTarget`). */
  redisUrl?: string;
  port?: number;
  hostname?: string;
  logger: Logger;
  /** This instance's name among the submission forwarders (default: a fresh random one). */
  consumer?: string;
  /** The one clock every part of this process stamps and compares time with (default: the wall clock). */
  clock?: Clock;
  /** The admin listener (API, `/metrics`); absent: none. Never on the public port. */
  admin?: { port: number; hostname: string; tokens: readonly AdminToken[]; dashboard?: { sampleMs?: number; pushMs?: number } };
  /**
   * How long `close()` lets requests and deliveries in flight finish (seconds; the Node entry
   * passes `SANH_DRAIN_SECONDS`, default 25). Default 0: `close()` cuts them at once.
   */
  drainSeconds?: number;
}

/** A running Sảnh on Node. */
export interface NodeSanh {
  url: string;
  port: number;
  /** The admin listener's URL, when there is one. */
  adminUrl?: string;
  /**
   * Shuts down gracefully (once; later calls return the same promise): `/_sanh/ready` answers 503
   * at once, the listeners stop accepting connections, idle keep-alive connections close and
   * answers say `Connection: close`; the submission forwarders take no new deliveries. Requests
   * and deliveries in flight get `drainSeconds` to finish; then what remains is cut (a cut
   * delivery's entry stays in Redis and another instance reclaims it after `reclaimAfter`). Then
   * the waiting room's activity is flushed and the stores and Redis connections are closed.
   */
  close(): Promise<DrainFigures>;
}

type NodeBindings = { incoming: IncomingMessage };

function hasIncoming(env: unknown): env is NodeBindings {
  return typeof env === 'object' && env !== null && 'incoming' in env;
}

/**
 * Logs a Redis connection's errors: once per distinct error until the connection is ready again
 * (warn), repeats at debug, so an outage is not a line every reconnect attempt. The outage itself
 * is logged once by the store's health check (`platform/store-health.ts`).
 */
function logConnectionProblems(client: RedisClient, logger: Logger, message: string): void {
  let last: string | undefined;
  client.on('error', (error: Error) => {
    if (error.message === last) return logger.debug?.(message, { error: error.message });
    last = error.message;
    logger.warn(message, { error: error.message });
  });
  client.on('ready', () => {
    last = undefined;
  });
}

/** The Node HTTP server behind a `serve()` answer (`serve` makes a plain HTTP/1.1 server unless told otherwise). */
function httpServer(server: ServerType): HttpServer {
  if (!(server instanceof HttpServer)) throw new Error('Sảnh on Node expects an HTTP/1.1 listener');
  return server;
}

/** How long closing the origin client waits for origin requests of cut connections (ms). */
const ORIGIN_CLOSE_GRACE_MS = 100;

/**
 * Deferred submissions wait in Redis until they are delivered: a Redis that evicts keys under
 * memory pressure could drop one. Says so at start when `maxmemory-policy` is not `noeviction`
 * (and nothing when CONFIG is not allowed, as on some managed services).
 */
function warnOnEviction(redis: RedisClient, logger: Logger): void {
  redis
    .call('CONFIG', 'GET', 'maxmemory-policy')
    .then((reply) => {
      const policy = Array.isArray(reply) ? String(reply[1]) : '';
      if (policy && policy !== 'noeviction') {
        logger.warn('Redis may evict keys under memory pressure (maxmemory-policy is not noeviction): a deferred submission waiting there could be lost', {
          maxmemoryPolicy: policy,
        });
      }
    })
    .catch(() => undefined);
}

/** Starts Sảnh on Node: store, waiting room, origin client and HTTP listener, wired together. */
export async function startNodeSanh(options: NodeSanhOptions): Promise<NodeSanh> {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  let store: WaitingRoomStore;
  let draftStore: DraftStore;
  let submissionStore: SubmissionStore;
  let redis: RedisClient | undefined;
  const redisTarget = options.redis ?? (options.redisUrl ? parseRedisTarget({ REDIS_URL: options.redisUrl }) : undefined);
  if (redisTarget) {
    redis = connectRedis(redisTarget);
    logConnectionProblems(redis, logger, 'redis connection problem');
    await whenReady(redis).catch((error: Error) =>
      logger.warn('redis is not ready yet: rooms follow their onStoreFailure policy until it is (see /_sanh/health)', { error: error.message }),
    );
    store = createRedisWaitingRoomStore({ client: redis, keyPrefix: config.redis.keyPrefix });
    draftStore = createRedisDraftStore({ client: redis, keyPrefix: config.redis.keyPrefix });
    const durabilityClient =
      config.submissions.durability === 'write'
        ? undefined
        : connectRedis(redisTarget, {
            connectionName: 'sanh-submissions',
            // Longer than a durability wait (2 s), which blocks this connection; and nothing sent again to what may be a new primary.
            commandTimeoutMs: 5_000,
            resendAfterReconnect: false,
          });
    if (durabilityClient) logConnectionProblems(durabilityClient, logger, 'redis connection problem (submissions)');
    if (durabilityClient)
      await whenReady(durabilityClient).catch((error: Error) => logger.warn("the submissions' Redis connection is not ready yet", { error: error.message }));
    submissionStore = createRedisSubmissionStore({
      client: redis,
      keyPrefix: config.redis.keyPrefix,
      clock,
      ...(durabilityClient
        ? {
            durabilityClient,
            durability: config.submissions.durability === 'replicated' ? { kind: 'replicated', replicas: config.submissions.replicas } : { kind: 'fsync' },
          }
        : {}),
    });
    if (config.rooms.some((room) => room.submissions)) warnOnEviction(redis, logger);
  } else {
    store = createMemoryWaitingRoomStore({ clock });
    draftStore = createMemoryDraftStore({ clock });
    submissionStore = createMemorySubmissionStore({ clock });
  }
  const storeErrors = createStoreErrorCounts();
  store = storeErrors.wrap('waiting-room', store);
  draftStore = storeErrors.wrap('drafts', draftStore);
  submissionStore = storeErrors.wrap('submissions', submissionStore);
  const settingsStore: SettingsStore = storeErrors.wrap(
    'admin',
    redis ? createRedisSettingsStore(redis, config.redis.keyPrefix) : createMemorySettingsStore({ clock }),
  );
  const liveSettings = createLiveSettings({ rooms: config.rooms, store: settingsStore, logger, clock });
  await liveSettings
    .start()
    .catch((error: Error) => logger.warn("live room settings could not be read at start; the file's are in force until they can", { error: error.message }));
  const socketAddress = (c: Context) => (hasIncoming(c.env) ? c.env.incoming.socket.remoteAddress : undefined);
  const clientIp = (c: Context) => clientAddress(socketAddress(c), c.req.header('x-forwarded-for'), config.trustProxyHops);
  let draining = false;
  const waitingRoom = createWaitingRoom({
    rooms: config.rooms,
    ...(config.origin.pathNormalization ? { paths: config.origin.pathNormalization } : {}),
    draining: () => draining,
    store,
    keyRing: options.keyRing,
    logger,
    clock,
    snapshotIntervalMs: config.snapshotIntervalMs,
    mac: nodeMac,
    clientAddress: clientIp,
    ...(redis ? { once: createRedisOnceStore(redis, config.redis.keyPrefix) } : {}),
    limiter: createClientLimiter({
      ...(redis ? { shared: redisJoinLimiters(redis, config.redis.keyPrefix) } : {}),
      keyPrefix: config.redis.keyPrefix,
      logger,
      clock,
    }),
  });
  await waitingRoom.start().catch((error: Error) => logger.warn('first waiting room snapshot failed', { error: error.message }));
  const rawBody = (c: Context) => (hasIncoming(c.env) ? c.env.incoming : undefined);
  const uploadsDirectory = config.drafts.uploads.directory ?? join(tmpdir(), 'sanh-uploads');
  if (config.drafts.enabled && !config.drafts.uploads.directory) {
    logger.warn(
      'drafts.uploads.directory is not set: attachments are kept in a temporary folder of this machine (not shared between instances, lost on reboot)',
      { directory: uploadsDirectory },
    );
  }
  const drafts: Drafts | undefined = config.drafts.enabled
    ? createDrafts({
        config: config.drafts,
        store: draftStore,
        keyRing: options.keyRing,
        logger,
        clock,
        mac: nodeMac,
        aead: nodeAead,
        clientAddress: clientIp,
        rawBody,
        attachments: (access, sealer) =>
          createDraftAttachments({
            access,
            sealer,
            records: redis ? createRedisUploadRecords(redis, config.redis.keyPrefix) : createMemoryUploadRecords(),
            bytes: createDirectoryUploadBytes({ directory: uploadsDirectory, keyRing: options.keyRing }),
            config: config.drafts,
            logger,
            clock,
            rawBody,
            ...(redis ? {} : { draftExists: async (id: string) => (await draftStore.formOf(id)) !== undefined }),
          }),
        limiter: createDraftLimiter(config.drafts, {
          ...(redis ? { shared: redisDraftLimiters(redis, config.redis.keyPrefix) } : {}),
          keyPrefix: config.redis.keyPrefix,
          logger,
        }),
      })
    : undefined;
  const originStats = createOriginStats();
  const proxyLimits = createProxyLimits(proxyLimitsOptions(config.origin));
  const origin = measuredOrigin(
    createUndiciOriginClient({ url: options.originUrl, timeoutSeconds: config.origin.timeoutSeconds, connections: proxyLimits.options.connections }),
    originStats,
  );
  const adaptive = createAdaptiveController({ rooms: config.rooms, stats: originStats, logger, settings: liveSettings, clock });
  adaptive.start();
  const submissions: Submissions = createSubmissions({
    config: config.submissions,
    rooms: config.rooms,
    originTimeoutSeconds: config.origin.timeoutSeconds,
    store: submissionStore,
    keyRing: options.keyRing,
    origin,
    logger,
    clock,
    aead: nodeAead,
    mac: nodeMac,
    sha256: nodeSha256,
    clientAddress: clientIp,
    rawBody,
    ...(options.consumer ? { consumer: options.consumer } : {}),
  });
  submissions.start();
  // The public listener's answers: measured by the app, exported by the admin listener's metrics.
  const httpServerStats = createHttpServerStats();
  const app = createApp({
    httpServerStats,
    waitingRoom,
    ...(drafts ? { drafts } : {}),
    submissions,
    origin,
    logger,
    connection: {
      clientIp: socketAddress,
      clientAddress: clientIp,
      trustProxyHops: config.trustProxyHops,
      rawBody,
      limits: proxyLimits,
    },
    pageTemplates: config.rooms.flatMap((room) => (room.templateHtml ? [room.templateHtml] : [])),
  });

  const server: ServerType = await new Promise((resolve) => {
    // The strict parser whatever NODE_OPTIONS says: ambiguous framings (Content-Length with
    // Transfer-Encoding, conflicting lengths, obs-fold) are refused with 400, never forwarded.
    // Request heads are bounded whatever --max-http-header-size says (docs/security.md).
    const s = serve(
      {
        fetch: app.fetch,
        port: options.port ?? 8080,
        hostname: options.hostname ?? '0.0.0.0',
        serverOptions: { insecureHTTPParser: false, ...REQUEST_HEAD_LIMITS },
      },
      () => resolve(s),
    );
  });
  const publicListener = drainable(httpServer(server));
  const port = (server.address() as AddressInfo).port;
  const host = options.hostname && options.hostname !== '0.0.0.0' && options.hostname !== '::' ? options.hostname : 'localhost';
  let adminListener: DrainableListener | undefined;
  let adminServer: ServerType | undefined;
  let dashboard: Dashboard | undefined;
  let closing: Promise<DrainFigures> | undefined;
  /** Drains, then stops everything this start made (also when the start fails half-way): see `NodeSanh.close`. */
  function closeAll(): Promise<DrainFigures> {
    closing ??= (async () => {
      draining = true;
      const forwarding = submissions.stop();
      const figures = await drainWithin({
        limitMs: (options.drainSeconds ?? 0) * 1000,
        listeners: [publicListener],
        ...(adminListener ? { alongside: [adminListener] } : {}),
        work: [forwarding],
      });
      dashboard?.stop();
      liveSettings.stop();
      adaptive.stop();
      await waitingRoom.stop().catch(() => undefined);
      await drafts?.close().catch(() => undefined);
      await draftStore.close();
      await submissionStore.close();
      await settleWithin(origin.close(), ORIGIN_CLOSE_GRACE_MS);
      await store.close();
      if (redis) await redis.quit().catch(() => redis?.disconnect());
      return figures;
    })();
    return closing;
  }
  let adminUrl: string | undefined;
  if (options.admin) {
    const admin = options.admin;
    try {
      if (admin.port !== 0 && admin.port === port) throw new Error(`ADMIN_PORT (${admin.port}) must not be the public port`);
      /** What a room's figures are read from besides the snapshot (the API, the dashboard, the metrics). */
      const figureSources = { backlog: (room: string) => submissions.forwarder.backlog(room), originStats, adaptive };
      dashboard = createDashboard({
        tokens: admin.tokens,
        rooms: config.rooms,
        figures: (room) => roomFigures(room, waitingRoom.snapshots, figureSources),
        settings: liveSettings,
        sessions: settingsStore,
        clock,
        ...(drafts ? { draftsSavedTotal: () => drafts.stats.savedTotal() } : {}),
        logger,
        ...(admin.dashboard ?? {}),
      });
      dashboard.start();
      const adminApp = createAdminApp({
        dashboard,
        tokens: admin.tokens,
        rooms: config.rooms,
        snapshots: waitingRoom.snapshots,
        ...figureSources,
        deadLetters: submissions.deadLetters,
        settings: liveSettings,
        settingsStore,
        staffPasses: waitingRoom.staffPasses,
        clock,
        metrics: createAdminMetrics({
          rooms: config.rooms,
          snapshots: waitingRoom.snapshots,
          counters: waitingRoom.counters,
          ...figureSources,
          waits: waitingRoom.waits,
          ...(drafts ? { drafts: drafts.stats } : {}),
          storeErrors,
          httpServerStats,
          clock,
          storeUp: () => waitingRoom.storeHealth.state().status === 'ok',
        }),
        logger,
      });
      adminServer = await new Promise<ServerType>((resolve, reject) => {
        const s = serve({ fetch: adminApp.fetch, port: admin.port, hostname: admin.hostname }, () => {
          s.off('error', reject);
          resolve(s);
        });
        s.once('error', reject);
      });
      adminListener = drainable(httpServer(adminServer));
    } catch (error) {
      await closeAll();
      throw error;
    }
    const adminHost = admin.hostname.includes(':') ? `[${admin.hostname}]` : admin.hostname;
    adminUrl = `http://${adminHost}:${(adminServer.address() as AddressInfo).port}`;
  }
  return {
    url: `http://${host}:${port}`,
    port,
    ...(adminUrl ? { adminUrl } : {}),
    close: closeAll,
  };
}
