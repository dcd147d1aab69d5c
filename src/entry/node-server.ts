import type { AddressInfo } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'hono';
import { clientAddress } from '../waiting-room/bypass.js';
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
import { parseRedisTarget, type RedisTarget } from '../redis/connection.js';
import { startAdminListener, type AdminListenerOptions } from './admin-listener.js';
import { createClosers, openAll } from './closers.js';
import { drainWithin, settleWithin, type DrainFigures } from './drain.js';
import { listen, listening } from './listen.js';
import { createMemoryStores, type SanhStores } from './stores.js';
import { connectRedisStores } from './stores-redis.js';
import { createDraftAttachments } from '../drafts/attachments/index.js';
import { createDirectoryUploadBytes } from '../drafts/attachments/directory-bytes.js';
import { createDrafts, type Drafts } from '../drafts/index.js';
import { createHttpServerStats } from '../telemetry/http-server-stats.js';
import { createAdaptiveController } from '../adaptive/controller.js';
import { measuredOrigin } from '../adaptive/measured-origin.js';
import { createOriginStats } from '../adaptive/origin-stats.js';
import { createLiveSettings } from '../admin/live.js';
import { createSubmissions, type Submissions } from '../submissions/index.js';
import { createWaitingRoom } from '../waiting-room/index.js';

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
  admin?: AdminListenerOptions;
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

/** How long closing the origin client waits for origin requests of cut connections (ms). */
const ORIGIN_CLOSE_GRACE_MS = 100;

/** Where the attachments' bytes are kept on this machine (warns when it is a temporary folder). */
function uploadsDirectoryOf(config: SanhConfig, logger: Logger): string {
  const directory = config.drafts.uploads.directory ?? join(tmpdir(), 'sanh-uploads');
  if (config.drafts.enabled && !config.drafts.uploads.directory) {
    logger.warn(
      'drafts.uploads.directory is not set: attachments are kept in a temporary folder of this machine (not shared between instances, lost on reboot)',
      { directory },
    );
  }
  return directory;
}

/** The drafts on Node (none when they are off): their attachments' bytes in a directory of this machine, their records and limits in the stores. */
function nodeDrafts(parts: {
  options: NodeSanhOptions;
  stores: SanhStores;
  clock: Clock;
  clientAddress: (c: Context) => string | undefined;
  rawBody: (c: Context) => IncomingMessage | undefined;
}): Drafts | undefined {
  const { options, stores, clock, clientAddress, rawBody } = parts;
  const { config, logger, keyRing } = options;
  const uploadsDirectory = uploadsDirectoryOf(config, logger);
  if (!config.drafts.enabled) return undefined;
  return createDrafts({
    config: config.drafts,
    store: stores.drafts,
    keyRing,
    logger,
    clock,
    mac: nodeMac,
    aead: nodeAead,
    clientAddress,
    rawBody,
    attachments: (access, sealer) =>
      createDraftAttachments({
        access,
        sealer,
        records: stores.uploadRecords(),
        bytes: createDirectoryUploadBytes({ directory: uploadsDirectory, keyRing }),
        config: config.drafts,
        logger,
        clock,
        rawBody,
        ...(stores.draftExists ? { draftExists: stores.draftExists } : {}),
      }),
    limiter: stores.draftLimiter(),
  });
}

/**
 * Starts Sảnh on Node: stores, waiting room, origin client and HTTP listeners, wired together.
 * Each part pushes how to close it as it opens (`opened`): a start that fails at any step closes
 * what it had opened, last first, and throws; `close()` drains, then closes the same way.
 */
export async function startNodeSanh(options: NodeSanhOptions): Promise<NodeSanh> {
  const opened = createClosers();
  return openAll(async () => {
    const { config, logger } = options;
    const clock = options.clock ?? systemClock;
    const redisTarget = options.redis ?? (options.redisUrl ? parseRedisTarget({ REDIS_URL: options.redisUrl }) : undefined);
    const storeOptions = { config, logger, clock };
    const stores = redisTarget ? await connectRedisStores({ ...storeOptions, target: redisTarget }) : createMemoryStores(storeOptions);
    opened.push(() => stores.close());
    const liveSettings = createLiveSettings({ rooms: config.rooms, store: stores.settings, logger, clock });
    opened.push(() => liveSettings.stop());
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
      store: stores.waitingRoom,
      keyRing: options.keyRing,
      logger,
      clock,
      snapshotIntervalMs: config.snapshotIntervalMs,
      mac: nodeMac,
      clientAddress: clientIp,
      ...(stores.once ? { once: stores.once } : {}),
      limiter: stores.clientLimiter,
    });
    opened.push(() => waitingRoom.stop().catch(() => undefined));
    await waitingRoom.start().catch((error: Error) => logger.warn('first waiting room snapshot failed', { error: error.message }));
    const rawBody = (c: Context) => (hasIncoming(c.env) ? c.env.incoming : undefined);
    const drafts = nodeDrafts({ options, stores, clock, clientAddress: clientIp, rawBody });
    if (drafts) opened.push(() => drafts.close().catch(() => undefined));
    const originStats = createOriginStats();
    const proxyLimits = createProxyLimits(proxyLimitsOptions(config.origin));
    const origin = measuredOrigin(
      createUndiciOriginClient({ url: options.originUrl, timeoutSeconds: config.origin.timeoutSeconds, connections: proxyLimits.options.connections }),
      originStats,
    );
    opened.push(() => settleWithin(origin.close(), ORIGIN_CLOSE_GRACE_MS));
    const adaptive = createAdaptiveController({ rooms: config.rooms, stats: originStats, logger, settings: liveSettings, clock });
    opened.push(() => adaptive.stop());
    adaptive.start();
    const submissions: Submissions = createSubmissions({
      config: config.submissions,
      rooms: config.rooms,
      originTimeoutSeconds: config.origin.timeoutSeconds,
      store: stores.submissions,
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
    let forwarding: Promise<void> | undefined;
    const stopForwarding = () => (forwarding ??= submissions.stop());
    opened.push(stopForwarding);
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

    // The strict parser whatever NODE_OPTIONS says: ambiguous framings (Content-Length with
    // Transfer-Encoding, conflicting lengths, obs-fold) are refused with 400, never forwarded.
    // Request heads are bounded whatever --max-http-header-size says (docs/security.md).
    const server = await listen({
      fetch: app.fetch,
      port: options.port ?? 8080,
      hostname: options.hostname ?? '0.0.0.0',
      serverOptions: { insecureHTTPParser: false, ...REQUEST_HEAD_LIMITS },
    });
    const publicListener = listening(server, opened);
    const port = (server.address() as AddressInfo).port;
    const host = options.hostname && options.hostname !== '0.0.0.0' && options.hostname !== '::' ? options.hostname : 'localhost';
    if (options.admin && options.admin.port !== 0 && options.admin.port === port)
      throw new Error(`ADMIN_PORT (${options.admin.port}) must not be the public port`);
    const admin = options.admin
      ? await startAdminListener(
          options.admin,
          { config, stores, waitingRoom, ...(drafts ? { drafts } : {}), submissions, liveSettings, originStats, adaptive, httpServerStats, logger, clock },
          opened,
        )
      : undefined;
    let closing: Promise<DrainFigures> | undefined;
    /** Drains, then closes everything this start opened, last first: see `NodeSanh.close`. */
    function closeAll(): Promise<DrainFigures> {
      closing ??= (async () => {
        draining = true;
        const figures = await drainWithin({
          limitMs: (options.drainSeconds ?? 0) * 1000,
          listeners: [publicListener],
          ...(admin ? { alongside: [admin.listener] } : {}),
          work: [stopForwarding()],
        });
        await opened.close();
        return figures;
      })();
      return closing;
    }
    return {
      url: `http://${host}:${port}`,
      port,
      ...(admin ? { adminUrl: admin.url } : {}),
      close: closeAll,
    };
  }, opened);
}
