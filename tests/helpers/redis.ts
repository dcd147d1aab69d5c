import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { connectRedis, whenReady } from '../../src/redis/connection.js';

/** The shared test Redis (private server, or REDIS_URL). */
export function testRedisUrl(): string {
  return inject('redisUrl');
}

/** A key prefix no other test uses, so tests never see each other's keys. */
export function uniquePrefix(label = 'test'): string {
  return `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A Sảnh connection (`connectRedis`) to one standalone Redis, typed as such for tests that use its own commands. */
export function connectStandalone(url: string, connectionName = 'sanh-test'): Redis {
  const client = connectRedis(url, { connectionName });
  if (!(client instanceof Redis)) throw new Error(`${url} is not a standalone Redis`);
  return client;
}

/** A ready connection to the shared test Redis. */
export async function testRedisClient(url = testRedisUrl()): Promise<Redis> {
  const client = connectStandalone(url);
  await whenReady(client);
  return client;
}
