import { Redis } from 'ioredis';
import { inject } from 'vitest';
import type { OpenedUploadRecords } from '../../src/drafts/attachments/records.contract.js';
import { createRedisUploadRecords } from '../../src/drafts/attachments/redis-records.js';
import { connectRedis, whenReady, type RedisClient } from '../../src/redis/connection.js';
import { draftKeys } from '../../src/redis/keys.js';

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

/** Redis upload records for their contract suite, on `client` (closed with it): a draft is opened by writing its meta key as the drafts store does. */
export function redisUploadRecordsUnderTest(client: RedisClient): OpenedUploadRecords {
  const prefix = uniquePrefix('uploads');
  return {
    records: createRedisUploadRecords(client, prefix),
    openDraft: async (draftId) => {
      await client.hset(draftKeys(prefix, draftId).meta, 'form', 'residence');
      await client.pexpire(draftKeys(prefix, draftId).meta, 600_000);
    },
    close: async () => {
      await client.quit();
    },
  };
}
