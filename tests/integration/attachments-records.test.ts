import { describe, expect, it } from 'vitest';
import { uploadRecordsContract } from '../../src/drafts/attachments/records.contract.js';
import type { UploadRecord } from '../../src/drafts/attachments/records.js';
import { createRedisUploadRecords } from '../../src/drafts/attachments/redis-records.js';
import { draftKeys } from '../../src/redis/keys.js';
import { redisUploadRecordsUnderTest, testRedisClient, uniquePrefix } from '../helpers/redis.js';

uploadRecordsContract('redis', async () => redisUploadRecordsUnderTest(await testRedisClient()));

describe('redis upload records and the draft they belong to', () => {
  const record = (draftId: string): UploadRecord => ({
    id: 'u1',
    draftId,
    name: 'a.pdf',
    type: 'application/pdf',
    size: 10,
    offset: 0,
    metadata: '',
    createdAt: 1,
    updatedAt: 1,
    expiresAt: 2,
  });
  const limits = { maxFiles: 5, maxTotalBytes: 100 };

  it('gives the uploads hash the draft meta key remaining life on every write', async () => {
    const client = await testRedisClient();
    try {
      const prefix = uniquePrefix('uploads');
      const keys = draftKeys(prefix, 'd1');
      await client.hset(keys.meta, 'form', 'f');
      await client.pexpire(keys.meta, 60_000);
      const records = createRedisUploadRecords(client, prefix);
      await records.create(record('d1'), limits);
      const first = await client.pttl(keys.uploads);
      expect(first).toBeGreaterThan(55_000);
      expect(first).toBeLessThanOrEqual(60_000);
      await client.pexpire(keys.meta, 120_000);
      await records.advance('d1', 'u1', 0, { offset: 5, updatedAt: 2, expiresAt: 3 });
      expect(await client.pttl(keys.uploads)).toBeGreaterThan(115_000);
    } finally {
      await client.quit();
    }
  });

  it('refuses a record once the draft is gone', async () => {
    const client = await testRedisClient();
    try {
      const prefix = uniquePrefix('uploads');
      const records = createRedisUploadRecords(client, prefix);
      expect(await records.create(record('gone'), limits)).toEqual({ created: false, reason: 'draft-gone' });
      expect(await client.exists(draftKeys(prefix, 'gone').uploads)).toBe(0);
    } finally {
      await client.quit();
    }
  });
});
