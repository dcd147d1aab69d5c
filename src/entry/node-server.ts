import type { AddressInfo } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { serve, type ServerType } from '@hono/node-server';
import type { Context } from 'hono';
import type { Redis } from 'ioredis';
import { clientAddress } from '../waiting-room/bypass.js';
import { createClientLimiter } from '../waiting-room/client-limits.js';
import { redisJoinLimiters } from '../waiting-room/client-limits-redis.js';
import { createRedisOnceStore } from '../waiting-room/challenge/once-store.js';
import { createApp } from '../app.js';
import type { SanhConfig } from '../config/schema.js';
import type { KeyRing } from '../platform/keyring.js';
import type { Logger } from '../platform/logger.js';
import { nodeMac } from '../platform/node-mac.js';
import { createUndiciOriginClient } from '../proxy/origin.js';
import { connectRedis, whenReady } from '../redis/connection.js';
import { createWaitingRoom } from '../waiting-room/index.js';
import { createMemoryWaitingRoomStore } from '../waiting-room/memory-store.js';
import { createRedisWaitingRoomStore } from '../waiting-room/redis-store.js';
import type { WaitingRoomStore } from '../waiting-room/store.js';

/** What one Sảnh process on Node is started with (already validated). */
export interface NodeSanhOptions {
  config: SanhConfig;
  keyRing: KeyRing;
  originUrl: string;
  /** Unset: the embedded in-memory store. */
  redisUrl?: string;
  port?: number;
  hostname?: string;
  logger: Logger;
}

/** A running Sảnh on Node. */
export interface NodeSanh {
  url: string;
  port: number;
  close(): Promise<void>;
}

type NodeBindings = { incoming: IncomingMessage };

function hasIncoming(env: unknown): env is NodeBindings {
  return typeof env === 'object' && env !== null && 'incoming' in env;
}

/** Starts Sảnh on Node: store, waiting room, origin client and HTTP listener, wired together. */
export async function startNodeSanh(options: NodeSanhOptions): Promise<NodeSanh> {
  const { config, logger } = options;
  let store: WaitingRoomStore;
  let redis: Redis | undefined;
  if (options.redisUrl) {
    redis = connectRedis(options.redisUrl);
    redis.on('error', (error: Error) => logger.warn('redis connection problem', { error: error.message }));
    await whenReady(redis).catch((error: Error) => logger.warn('redis is not ready yet; /_sanh/ready will say so', { error: error.message }));
    store = createRedisWaitingRoomStore({ client: redis, keyPrefix: config.redis.keyPrefix });
  } else {
    store = createMemoryWaitingRoomStore();
  }
  const socketAddress = (c: Context) => (hasIncoming(c.env) ? c.env.incoming.socket.remoteAddress : undefined);
  const waitingRoom = createWaitingRoom({
    rooms: config.rooms,
    store,
    keyRing: options.keyRing,
    logger,
    snapshotIntervalMs: config.snapshotIntervalMs,
    mac: nodeMac,
    clientAddress: (c) => clientAddress(socketAddress(c), c.req.header('x-forwarded-for'), config.trustProxyHops),
    ...(redis ? { once: createRedisOnceStore(redis, config.redis.keyPrefix) } : {}),
    limiter: createClientLimiter({ ...(redis ? { shared: redisJoinLimiters(redis, config.redis.keyPrefix) } : {}), keyPrefix: config.redis.keyPrefix, logger }),
  });
  await waitingRoom.start().catch((error: Error) => logger.warn('first waiting room snapshot failed', { error: error.message }));
  const origin = createUndiciOriginClient({ url: options.originUrl, timeoutSeconds: config.origin.timeoutSeconds });
  const app = createApp({
    waitingRoom,
    origin,
    logger,
    connection: {
      clientIp: socketAddress,
      rawBody: (c) => (hasIncoming(c.env) ? c.env.incoming : undefined),
    },
  });

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 8080, hostname: options.hostname ?? '0.0.0.0' }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.hostname && options.hostname !== '0.0.0.0' && options.hostname !== '::' ? options.hostname : 'localhost';
  return {
    url: `http://${host}:${port}`,
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
      await waitingRoom.stop().catch(() => undefined);
      await origin.close();
      await store.close();
      if (redis) await redis.quit().catch(() => redis?.disconnect());
    },
  };
}
