import type { RedisClient } from '../../redis/connection.js';
import { draftKeys } from '../../redis/keys.js';
import { loadScript } from '../../redis/scripts.js';
import { byCreation, type UploadRecord, type UploadRecords } from './records.js';

const LUA_DIR = new URL('./lua/', import.meta.url);
const scripts = {
  create: loadScript(LUA_DIR, 'create'),
  advance: loadScript(LUA_DIR, 'advance'),
  remove: loadScript(LUA_DIR, 'remove'),
  claim: loadScript(LUA_DIR, 'claim'),
  release: loadScript(LUA_DIR, 'release'),
};

function parse(json: string): UploadRecord {
  return JSON.parse(json) as UploadRecord;
}

/**
 * Upload records in Redis, in the draft's `uploads` hash (field: upload id, value: record JSON).
 * The hash shares the draft's hash tag, so the scripts see the draft's meta key beside it:
 * creation is refused once the draft is gone, and every write gives the hash the draft's
 * remaining life (the draft's own writes do the same), so the records expire with the draft.
 */
export function createRedisUploadRecords(client: RedisClient, keyPrefix: string): UploadRecords {
  const keys = (draftId: string) => {
    const k = draftKeys(keyPrefix, draftId);
    return [k.uploads, k.meta];
  };
  /** The key of an upload's claim: beside the draft's keys (its hash tag), gone with its lease. */
  const claimKey = (draftId: string, uploadId: string) => `${draftKeys(keyPrefix, draftId).uploads}:claim:${uploadId}`;

  async function get(draftId: string, uploadId: string): Promise<UploadRecord | undefined> {
    const json = await client.hget(draftKeys(keyPrefix, draftId).uploads, uploadId);
    return json === null ? undefined : parse(json);
  }

  return {
    get,
    async create(record, limits) {
      const reply = (await scripts.create.run(client, keys(record.draftId), [
        record.id,
        JSON.stringify(record),
        record.size,
        limits.maxFiles,
        limits.maxTotalBytes,
      ])) as [string, number?, number?];
      const [status, files = 0, bytes = 0] = reply;
      if (status === 'created') return { created: true };
      if (status === 'draft-gone') return { created: false, reason: 'draft-gone' };
      return { created: false, reason: status === 'too-many-files' ? 'too-many-files' : 'too-many-bytes', files, bytes };
    },
    async list(draftId) {
      const all = await client.hvals(draftKeys(keyPrefix, draftId).uploads);
      return all.map(parse).sort(byCreation);
    },
    async advance(draftId, uploadId, expectedOffset, progress, writer) {
      const stored = await get(draftId, uploadId);
      if (!stored || stored.offset !== expectedOffset) return { advanced: false, record: stored };
      const next: UploadRecord = { ...stored, ...progress };
      const [status, json] = (await scripts.advance.run(
        client,
        [...keys(draftId), claimKey(draftId, uploadId)],
        [uploadId, expectedOffset, JSON.stringify(next), writer ?? ''],
      )) as [string, string?];
      if (status === 'advanced') return { advanced: true, record: next };
      return { advanced: false, record: json === undefined ? undefined : parse(json) };
    },
    async claim(draftId, uploadId, offset, writer, leaseMs) {
      const [status, json] = (await scripts.claim.run(client, [...keys(draftId), claimKey(draftId, uploadId)], [uploadId, offset, writer, leaseMs])) as [
        string,
        string?,
      ];
      if (status === 'claimed') return { claimed: true };
      if (json === undefined) return { claimed: false, reason: 'missing' };
      return { claimed: false, reason: status === 'busy' ? 'busy' : 'moved', record: parse(json) };
    },
    async release(draftId, uploadId, writer) {
      await scripts.release.run(client, [claimKey(draftId, uploadId)], [writer]);
    },
    async remove(draftId, uploadId, options = {}) {
      const removed = await scripts.remove.run(client, [draftKeys(keyPrefix, draftId).uploads], [uploadId, options.ifOffset ?? '']);
      return removed === 1;
    },
    async removeAll(draftId) {
      const key = draftKeys(keyPrefix, draftId).uploads;
      const replies = await client.multi().hvals(key).del(key).exec();
      const values = replies?.[0]?.[1];
      return Array.isArray(values) ? values.map((json) => parse(String(json))).sort(byCreation) : [];
    },
  };
}
