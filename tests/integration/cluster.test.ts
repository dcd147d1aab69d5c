/**
 * Every store on a Redis Cluster of three primaries: the contract suites run on it unchanged, two
 * rooms land on different shards and keep their own limits, and every Lua script of Sảnh has run
 * there (a script touching keys of two slots fails on a Cluster, so the suites passing is the
 * proof that no command crosses slots; the script cache says each one was sent).
 */
import { readdirSync } from 'node:fs';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsStoreContract } from '../../src/admin/settings-store.contract.js';
import { createRedisSettingsStore } from '../../src/admin/settings-redis.js';
import { uploadRecordsContract } from '../../src/drafts/attachments/records.contract.js';
import { redisDraftLimiters } from '../../src/drafts/limits-redis.js';
import { createRedisDraftStore } from '../../src/drafts/redis-store.js';
import { draftStoreContract } from '../../src/drafts/store.contract.js';
import { connectRedis, whenReady, type RedisClient } from '../../src/redis/connection.js';
import { roomKeys } from '../../src/redis/keys.js';
import { loadScript } from '../../src/redis/scripts.js';
import { createRedisSubmissionStore } from '../../src/submissions/redis-store.js';
import { submissionStoreContract } from '../../src/submissions/store.contract.js';
import { createRedisOnceStore } from '../../src/waiting-room/challenge/once-store.js';
import { redisJoinLimiters } from '../../src/waiting-room/client-limits-redis.js';
import { onceStoreContract } from '../../src/waiting-room/challenge/once-store.contract.js';
import { createRedisWaitingRoomStore } from '../../src/waiting-room/redis-store.js';
import { waitingRoomStoreContract } from '../../src/waiting-room/store.contract.js';
import { redisUploadRecordsUnderTest, uniquePrefix } from '../helpers/redis.js';
import { startRedisCluster, type RedisClusterServers } from '../helpers/redis-topologies.js';

let started: Promise<RedisClusterServers> | undefined;
/** The one cluster of this file, started by the first suite that needs it. */
const cluster = () => (started ??= startRedisCluster({ primaries: 3 }));

async function clusterClient(): Promise<RedisClient> {
  const client = connectRedis((await cluster()).url, { connectionName: 'sanh-test-cluster' });
  await whenReady(client, 10_000);
  return client;
}

afterAll(async () => {
  await (await started)?.stop();
}, 30_000);

waitingRoomStoreContract('redis cluster', async () =>
  createRedisWaitingRoomStore({ client: await clusterClient(), keyPrefix: uniquePrefix('contract'), ownsClient: true }),
);

draftStoreContract('redis cluster', async () => {
  const client = await clusterClient();
  return { store: createRedisDraftStore({ client, keyPrefix: uniquePrefix('drafts') }), close: async () => void (await client.quit()) };
});

submissionStoreContract('redis cluster', async () => {
  const client = await clusterClient();
  return { store: createRedisSubmissionStore({ client, keyPrefix: uniquePrefix('subs') }), close: async () => void (await client.quit()) };
});

settingsStoreContract('redis cluster', async () => {
  const [a, b] = [await clusterClient(), await clusterClient()];
  const prefix = uniquePrefix('settings');
  return {
    store: createRedisSettingsStore(a, prefix),
    other: createRedisSettingsStore(b, prefix),
    close: async () => void (await Promise.all([a.quit(), b.quit()])),
  };
});

onceStoreContract('redis cluster', async () => {
  const client = await clusterClient();
  return { store: createRedisOnceStore(client, uniquePrefix('once')), close: async () => void (await client.quit()) };
});

uploadRecordsContract('redis cluster', async () => redisUploadRecordsUnderTest(await clusterClient()));

const limits = {
  maxActive: 3,
  admitPerMinute: 6_000,
  admitBurst: 100,
  sessionIdleSeconds: 60,
  noShowSeconds: 60,
  abandonAfterSeconds: 600,
  admitting: true,
  queueAll: false,
};

describe('rooms on a Redis Cluster', () => {
  let client: RedisClient;
  beforeAll(async () => {
    client = await clusterClient();
  });
  afterAll(async () => {
    await client?.quit();
  });

  it('puts two rooms on different shards, each keeping its own maxActive', async () => {
    const servers = await cluster();
    const prefix = uniquePrefix('shards');
    const slotOf = async (key: string) => Number(await client.call('CLUSTER', 'KEYSLOT', key));
    const shardOf = async (room: string) => servers.primaryOfSlot(await slotOf(roomKeys(prefix, room).state));
    const first = 'apply';
    let second = 'renew';
    for (let i = 0; (await shardOf(second)) === (await shardOf(first)); i++) second = `renew-${i}`;

    const store = createRedisWaitingRoomStore({ client, keyPrefix: prefix });
    for (const room of [first, second]) {
      const outcomes = [];
      for (let i = 0; i < 8; i++) outcomes.push((await store.join(room, limits, `${room}-v${i}`)).kind);
      expect(outcomes.filter((kind) => kind === 'admitted')).toHaveLength(limits.maxActive);
      expect((await store.tick(room, limits)).active).toBe(limits.maxActive);
    }
    for (const room of [first, second]) {
      const owner = new Redis({ port: (await shardOf(room)).port, host: '127.0.0.1' });
      try {
        expect(await owner.exists(roomKeys(prefix, room).state)).toBe(1);
      } finally {
        owner.disconnect();
      }
    }
  });

  it("runs an event's lottery on the room's shard", async () => {
    const store = createRedisWaitingRoomStore({ client, keyPrefix: uniquePrefix('lottery') });
    for (const entry of ['a', 'b', 'c']) expect((await store.enterLottery('main', 'launch', entry, 'seed-1', 600)).recorded).toBe(true);
    expect(await store.lotteryRecord('main', 'launch')).toEqual({ seed: 'seed-1', entries: ['a', 'b', 'c'], drawn: false });
    expect(await store.drawLottery('main', limits, 'launch', ['c', 'a', 'b'])).toBe('drawn');
    expect((await store.lotteryPlace('main', 'launch', 'c')).kind).not.toBe('unknown');
  });
});

describe('shared limiters and scripts on a Redis Cluster', () => {
  it("counts a join limit and a draft limit once across two instances' connections", async () => {
    const [a, b] = [await clusterClient(), await clusterClient()];
    const prefix = uniquePrefix('limits');
    try {
      const insurance = () => new RateLimiterMemory({ points: 3, duration: 60 });
      const joins = [redisJoinLimiters(a, prefix)('main', 3, insurance()), redisJoinLimiters(b, prefix)('main', 3, insurance())];
      const drafts = [redisDraftLimiters(a, prefix)('create', 3, 60, insurance()), redisDraftLimiters(b, prefix)('create', 3, 60, insurance())];
      for (const pair of [joins, drafts]) {
        for (let i = 0; i < 3; i++) await pair[i % 2]!.consume('198.51.100.7');
        const refused = await pair[1]!.consume('198.51.100.7').catch((error: unknown) => error);
        expect(refused).toBeInstanceOf(RateLimiterRes);
        expect((refused as RateLimiterRes).remainingPoints).toBe(0);
        await pair[0]!.consume('203.0.113.9');
      }
    } finally {
      await Promise.all([a.quit(), b.quit()]);
    }
  });
});

/** Every `<name>.lua` command under `src/` (not its includes), loaded as the stores load it. */
function everyScript(): { path: string; sha: string }[] {
  const root = new URL('../../src/', import.meta.url);
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((path) => /(^|\/)lua\/[^/]+\.lua$/.test(path))
    .map((path) => {
      const dir = new URL(path.slice(0, path.lastIndexOf('/') + 1), root);
      return { path, sha: loadScript(dir, path.slice(path.lastIndexOf('/') + 1, -'.lua'.length)).sha };
    });
}

describe("Sảnh's Lua scripts on a Redis Cluster", () => {
  it('every one has run on a shard (in the script cache of a primary) in the suites above', async () => {
    const servers = await cluster();
    const scripts = everyScript();
    expect(scripts.length).toBeGreaterThan(20);
    const cached = new Set<string>();
    for (const primary of servers.primaries) {
      const node = new Redis({ port: primary.port, host: '127.0.0.1' });
      try {
        const exists = (await node.script('EXISTS', ...scripts.map((s) => s.sha))) as number[];
        for (const [i, script] of scripts.entries()) if (exists[i] === 1) cached.add(script.path);
      } finally {
        node.disconnect();
      }
    }
    expect(scripts.map((s) => s.path).filter((path) => !cached.has(path))).toEqual([]);
  });
});

// Last in the file: it empties the shards' script caches, which the check above reads.
describe('a shard without the scripts', () => {
  it('sends a script again in full to a shard that lost its script cache (as a promoted replica has none)', async () => {
    const servers = await cluster();
    const client = await clusterClient();
    try {
      const store = createRedisWaitingRoomStore({ client, keyPrefix: uniquePrefix('noscript') });
      expect((await store.join('main', limits, 'v1')).kind).toBe('admitted');
      for (const primary of servers.primaries) {
        const node = new Redis({ port: primary.port, host: '127.0.0.1' });
        await node.script('FLUSH');
        node.disconnect();
      }
      expect((await store.join('main', limits, 'v2')).kind).toBe('admitted');
      expect((await store.tick('main', limits)).active).toBe(2);
    } finally {
      await client.quit();
    }
  });
});
