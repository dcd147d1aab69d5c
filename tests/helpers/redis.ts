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

/** A ready connection to the shared test Redis. */
export async function testRedisClient(url = testRedisUrl()) {
  const client = connectRedis(url, { connectionName: 'sanh-test' });
  await whenReady(client);
  return client;
}
