/**
 * The Redis stores (`connectRedisStores`): every store and limiter of `SanhStores` on one Redis
 * (standalone, Sentinel or Cluster), shared by every instance. Node only (ioredis): the Workers
 * entry never imports this module.
 */
import { createRedisSettingsStore } from '../admin/settings-redis.js';
import { createRedisUploadRecords } from '../drafts/attachments/redis-records.js';
import { redisDraftLimiters } from '../drafts/limits-redis.js';
import { createRedisDraftStore } from '../drafts/redis-store.js';
import { systemClock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { connectRedis, whenReady, type RedisClient, type RedisTarget } from '../redis/connection.js';
import { createRedisSubmissionStore } from '../submissions/redis-store.js';
import { createRedisOnceStore } from '../waiting-room/challenge/once-store.js';
import { redisJoinLimiters } from '../waiting-room/client-limits-redis.js';
import { createRedisWaitingRoomStore } from '../waiting-room/redis-store.js';
import { openAll } from './closers.js';
import { assembleStores, type SanhStores, type StoresOptions } from './stores.js';

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

/** Ends a connection: QUIT, or at once when that fails. */
function quit(client: RedisClient): Promise<unknown> {
  return client.quit().catch(() => client.disconnect());
}

/** What the Redis stores are built with. */
export interface RedisStoresOptions extends StoresOptions {
  /** Where Redis is (any topology). */
  target: RedisTarget;
}

/**
 * Connects to Redis and builds every store on it. A Redis that is not ready yet does not stop
 * the start (rooms follow their `onStoreFailure` policy until it is, see `/_sanh/health`); a
 * failure while building closes the connections already opened, then throws.
 */
export function connectRedisStores(options: RedisStoresOptions): Promise<SanhStores> {
  const { config, logger, target } = options;
  const clock = options.clock ?? systemClock;
  const keyPrefix = config.redis.keyPrefix;
  return openAll(async (opened) => {
    const redis = connectRedis(target);
    opened.push(() => quit(redis));
    logConnectionProblems(redis, logger, 'redis connection problem');
    await whenReady(redis).catch((error: Error) =>
      logger.warn('redis is not ready yet: rooms follow their onStoreFailure policy until it is (see /_sanh/health)', { error: error.message }),
    );
    const durabilityClient =
      config.submissions.durability === 'write'
        ? undefined
        : connectRedis(target, {
            connectionName: 'sanh-submissions',
            // Longer than a durability wait (2 s), which blocks this connection; and nothing sent again to what may be a new primary.
            commandTimeoutMs: 5_000,
            resendAfterReconnect: false,
          });
    if (durabilityClient) {
      opened.push(() => quit(durabilityClient));
      logConnectionProblems(durabilityClient, logger, 'redis connection problem (submissions)');
      await whenReady(durabilityClient).catch((error: Error) => logger.warn("the submissions' Redis connection is not ready yet", { error: error.message }));
    }
    const stores = assembleStores(
      {
        backend: 'redis',
        waitingRoom: createRedisWaitingRoomStore({ client: redis, keyPrefix }),
        drafts: createRedisDraftStore({ client: redis, keyPrefix }),
        // Closes the durability connection.
        submissions: createRedisSubmissionStore({
          client: redis,
          keyPrefix,
          clock,
          ...(durabilityClient
            ? {
                durabilityClient,
                durability: config.submissions.durability === 'replicated' ? { kind: 'replicated', replicas: config.submissions.replicas } : { kind: 'fsync' },
              }
            : {}),
        }),
        settings: createRedisSettingsStore(redis, keyPrefix),
        once: createRedisOnceStore(redis, keyPrefix),
        sharedJoinLimiters: redisJoinLimiters(redis, keyPrefix),
        sharedDraftLimiters: redisDraftLimiters(redis, keyPrefix),
        uploadRecords: () => createRedisUploadRecords(redis, keyPrefix),
        recordsOutliveDrafts: false,
        closeConnections: async () => {
          await quit(redis);
        },
      },
      options,
    );
    if (config.rooms.some((room) => room.submissions)) warnOnEviction(redis, logger);
    return stores;
  });
}
