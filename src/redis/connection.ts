import { Redis } from 'ioredis';

/** Options every Sảnh Redis connection uses. */
export interface RedisConnectionOptions {
  /** Name shown in `CLIENT LIST`. */
  connectionName?: string;
}

/**
 * Opens a Redis connection for Sảnh: commands fail at once while disconnected (no offline queue,
 * so a request never hangs on a dead Redis), reconnects with capped back-off.
 */
export function connectRedis(url: string, options: RedisConnectionOptions = {}): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    connectionName: options.connectionName ?? 'sanh',
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2_000),
  });
}

/** Resolves when the connection is ready, or rejects after `timeoutMs`. */
export function whenReady(client: Redis, timeoutMs = 5_000): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis was not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
    };
    client.on('ready', onReady);
  });
}
