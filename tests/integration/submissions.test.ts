import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { startNodeSanh, type NodeSanh } from '../../src/entry/node-server.js';
import { parseKeyRing } from '../../src/platform/keyring.js';
import { silentLogger } from '../../src/platform/logger.js';
import type { ReceiptView } from '../../src/submissions/view.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { submissionsConfig, type SubmissionsConfigOptions } from '../helpers/submissions-config.js';
import { testRedisClient, testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { until } from '../helpers/until.js';
import { startTestOrigin, type TestOrigin } from '../helpers/test-origin.js';

const SECRETS = `k1:${'s'.repeat(40)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A config whose room defers `/apply/submit` (when busy, or always) and delivers 10 a second, one at a time. */
function configOf(
  keyPrefix: string,
  options: { defer?: 'always' | 'when-busy'; durability?: 'write' | 'fsync' | 'replicated'; concurrency?: number } & Pick<
    SubmissionsConfigOptions,
    'submissions' | 'delivery'
  > = {},
) {
  return submissionsConfig(keyPrefix, {
    route: { defer: options.defer ?? 'when-busy' },
    roomSubmissions: { deliverPerMinute: 600, deliverBurst: 1 },
    submissions: { durability: options.durability ?? 'write', ...options.submissions },
    delivery: { reclaimAfter: '2s', concurrency: options.concurrency ?? 4, ...options.delivery },
  });
}

const form = (n: number) => `fullName=Nguy%E1%BB%85n+Th%E1%BB%8B+Hoa&nationalId=0011480${String(n).padStart(5, '0')}&n=${n}`;

async function submit(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/apply/submit`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
    body,
  });
}

async function accepted(url: string, count: number, from = 0): Promise<ReceiptView[]> {
  const receipts: ReceiptView[] = [];
  for (let n = from; n < from + count; n++) {
    const response = await submit(url, form(n));
    expect(response.status).toBe(202);
    receipts.push((await response.json()) as ReceiptView);
  }
  return receipts;
}

async function receiptOf(url: string, id: string): Promise<ReceiptView> {
  const response = await fetch(`${url}/_sanh/receipts/${id}`, { headers: { accept: 'application/json' } });
  if (response.status !== 200) throw new Error(`receipt ${id}: ${response.status}`);
  return (await response.json()) as ReceiptView;
}

async function allDelivered(url: string, receipts: readonly ReceiptView[], timeoutMs = 30_000): Promise<ReceiptView[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await Promise.all(receipts.map((r) => receiptOf(url, r.receiptId).catch(() => undefined)));
    if (now.every((r) => r?.state === 'delivered')) return now as ReceiptView[];
    if (Date.now() > deadline) throw new Error(`not delivered in time: ${now.filter((r) => r?.state !== 'delivered').length} of ${receipts.length}`);
    await sleep(100);
  }
}

/**
 * Every receipt reached the origin exactly once as a filing, its first arrival in acceptance order
 * unless `ordered` is false (an entry a dead forwarder held waits out `reclaimAfter` while newer
 * ones go ahead).
 */
function expectFiledOnceInOrder(origin: TestOrigin, receipts: readonly ReceiptView[], ordered = true): void {
  const firstArrival = new Map<string, number>();
  origin.arrivals.forEach((arrival, index) => {
    if (arrival.receipt && !firstArrival.has(arrival.receipt)) firstArrival.set(arrival.receipt, index);
  });
  expect(firstArrival.size).toBe(receipts.length);
  const byArrival = [...receipts].sort((a, b) => (firstArrival.get(a.receiptId) ?? 0) - (firstArrival.get(b.receiptId) ?? 0));
  if (ordered) expect(byArrival.map((r) => r.receiptNumber)).toEqual(receipts.map((r) => r.receiptNumber));
  const keys = new Map<string, Set<string>>();
  for (const arrival of origin.arrivals) {
    expect(arrival.key).toMatch(/^"[0-9a-f]{64}"$/);
    const receipts = keys.get(arrival.key as string) ?? new Set();
    receipts.add(arrival.receipt as string);
    keys.set(arrival.key as string, receipts);
  }
  expect(keys.size).toBe(receipts.length);
  expect([...keys.values()].every((set) => set.size === 1)).toBe(true);
  expect(origin.filed.size).toBe(receipts.length);
}

describe('store-and-forward submissions on real Redis and a real origin', () => {
  const running: NodeSanh[] = [];
  const children: ChildProcess[] = [];
  const origins: TestOrigin[] = [];
  const redisServers: RedisServer[] = [];

  async function sanh(originUrl: string, config: unknown, redisUrl = testRedisUrl(), consumer?: string): Promise<NodeSanh> {
    const started = await startNodeSanh({
      config: parseConfig(config),
      keyRing: parseKeyRing(SECRETS),
      originUrl,
      redisUrl,
      port: 0,
      hostname: '127.0.0.1',
      logger: silentLogger,
      ...(consumer ? { consumer } : {}),
    });
    running.push(started);
    return started;
  }
  async function origin(): Promise<TestOrigin> {
    const started = await startTestOrigin();
    origins.push(started);
    return started;
  }

  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    for (const s of running.splice(0)) await s.close().catch(() => undefined);
    for (const o of origins.splice(0)) await o.close();
    for (const r of redisServers.splice(0)) await r.stop();
  });

  it('delivers a burst taken while the origin was down, in order, each exactly once, when it returns', async () => {
    const portal = await origin();
    await portal.down();
    const front = await sanh(portal.url, configOf(uniquePrefix('subs-down')));
    const receipts = await accepted(front.url, 25);
    expect(new Set(receipts.map((r) => r.receiptId)).size).toBe(25);
    expect(receipts.every((r) => r.state === 'accepted' || r.state === 'delivering')).toBe(true);
    await sleep(1_500);
    expect(portal.arrivals).toHaveLength(0);
    await portal.up();
    const delivered = await allDelivered(front.url, receipts);
    expectFiledOnceInOrder(portal, receipts);
    expect(portal.arrivals).toHaveLength(25);
    expect(delivered.map((r) => r.origin?.applicationNumber)).toEqual(receipts.map((_, i) => `HS-2026-${String(i + 1).padStart(6, '0')}`));
    expect(portal.arrivals.map((a) => a.body)).toEqual(receipts.map((_, i) => form(i)));
  }, 60_000);

  it('answers a whole receipt when the origin fails a straight attempt with a page of its own', async () => {
    const portal = await origin();
    portal.busy(5);
    const front = await sanh(portal.url, configOf(uniquePrefix('subs-busy')));
    const json = await submit(front.url, form(1));
    expect(json.status).toBe(202);
    expect(((await json.json()) as ReceiptView).state).toBe('accepted');
    const page = await submit(front.url, form(2), { accept: 'text/html' });
    expect(page.status).toBe(202);
    const html = await page.text();
    expect(html).toMatch(/<\/html>\s*$/);
    expect(Number(page.headers.get('content-length') ?? Buffer.byteLength(html))).toBe(Buffer.byteLength(html));
    expect(portal.arrivals).toHaveLength(1);
  });

  it('gives a retried POST with the same key the same receipt, and a different body 422', async () => {
    const portal = await origin();
    const front = await sanh(portal.url, configOf(uniquePrefix('subs-key'), { defer: 'always' }));
    const first = await submit(front.url, form(1), { 'idempotency-key': 'order-77' });
    expect(first.status).toBe(202);
    const receipt = (await first.json()) as ReceiptView;
    const retried = await submit(front.url, form(1), { 'idempotency-key': 'order-77' });
    expect(retried.status === 202 || retried.status === 200).toBe(true);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(((await retried.json()) as ReceiptView).receiptId).toBe(receipt.receiptId);
    const changed = await submit(front.url, form(2), { 'idempotency-key': 'order-77' });
    expect(changed.status).toBe(422);
    expect(await changed.json()).toMatchObject({ error: { code: 'idempotency_key_reused' } });
    await allDelivered(front.url, [receipt]);
    expect(portal.filed.size).toBe(1);
    const late = await submit(front.url, form(1), { 'idempotency-key': 'order-77' });
    expect(late.status).toBe(200);
    expect(await late.json()).toMatchObject({ receiptId: receipt.receiptId, state: 'delivered' });
    expect(portal.arrivals).toHaveLength(1);
  }, 30_000);

  it('loses and duplicates nothing when a forwarder process is killed mid-delivery', async () => {
    const portal = await origin();
    portal.hold(5_000);
    const prefix = uniquePrefix('subs-kill');
    const config = configOf(prefix, { defer: 'always' });
    // One process (node --import tsx), so SIGKILL reaches the forwarder itself, not a wrapper.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('../helpers/sanh-child.ts', import.meta.url)),
        JSON.stringify({ config, secrets: SECRETS, originUrl: portal.url, redisUrl: testRedisUrl(), consumer: 'doomed' }),
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    children.push(child);
    const childUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /ready (\S+)/.exec(out);
        if (match) resolve(match[1] as string);
      });
      child.once('exit', (code) => reject(new Error(`the child Sảnh exited with ${code}`)));
    });
    const receipts = await accepted(childUrl, 12);
    const deadline = Date.now() + 10_000;
    while (portal.arrivals.length === 0 && Date.now() < deadline) await sleep(10);
    expect(portal.arrivals.length).toBeGreaterThan(0);
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
    const caught = portal.arrivals.map((a) => a.receipt);
    portal.hold(0);
    const survivor = await sanh(portal.url, config, testRedisUrl(), 'survivor');
    await allDelivered(survivor.url, receipts);
    expectFiledOnceInOrder(portal, receipts, false);
    for (const receipt of caught) expect(portal.arrivals.filter((a) => a.receipt === receipt).length).toBe(2);
    expect(portal.arrivals.length).toBe(receipts.length + caught.length);
  }, 60_000);

  it('delivers every acknowledged submission after Redis is killed and restarted from its append-only file', async () => {
    const redis = await startRedisServer(['--appendonly', 'yes', '--appendfsync', 'always']);
    redisServers.push(redis);
    const portal = await origin();
    await portal.down();
    const front = await sanh(portal.url, configOf(uniquePrefix('subs-aof'), { defer: 'always', durability: 'fsync' }), redis.url);
    const receipts = await accepted(front.url, 20);
    await redis.kill();
    await redis.restart();
    await portal.up();
    await allDelivered(front.url, receipts);
    expectFiledOnceInOrder(portal, receipts);
  }, 60_000);

  it('with durability "fsync", acknowledges nothing a Redis without an append-only file keeps', async () => {
    const portal = await origin();
    const front = await sanh(portal.url, configOf(uniquePrefix('subs-nofsync'), { defer: 'always', durability: 'fsync' }));
    const answer = await submit(front.url, form(1));
    expect(answer.status).toBe(503);
    expect(await answer.json()).toMatchObject({ error: { code: 'store_not_durable' } });
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
  });
  it('with durability "replicated", acknowledges nothing no replica confirmed (a Redis without replicas)', async () => {
    const portal = await origin();
    const front = await sanh(portal.url, configOf(uniquePrefix('subs-norepl'), { defer: 'always', durability: 'replicated' }));
    const answer = await submit(front.url, form(1));
    expect(answer.status).toBe(503);
    expect(await answer.json()).toMatchObject({ error: { code: 'store_not_durable' } });
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('with durability "replicated", acknowledges once the replica has it, and the replica holds every acknowledged receipt', async () => {
    // Diskless sync without its default 5 s wait for more replicas, so the replica is in sync at once.
    const primary = await startRedisServer(['--repl-diskless-sync-delay', '0']);
    redisServers.push(primary);
    const replica = await startRedisServer(['--replicaof', '127.0.0.1', String(primary.port)]);
    redisServers.push(replica);
    const replicaClient = await testRedisClient(replica.url);
    try {
      await until(async () => /master_link_status:up/.test(await replicaClient.info('replication')), {
        what: 'the replica to be in sync',
        ms: 20_000,
        everyMs: 50,
      });
      const portal = await origin();
      await portal.down();
      const prefix = uniquePrefix('subs-repl');
      const front = await sanh(portal.url, configOf(prefix, { defer: 'always', durability: 'replicated' }), primary.url);
      const receipts = await accepted(front.url, 5);
      await primary.kill();
      for (const receipt of receipts) {
        expect(await replicaClient.exists(`${prefix}:sub:{s:main}:r:${receipt.receiptId.split('.')[1]}`)).toBe(1);
      }
    } finally {
      replicaClient.disconnect();
    }
  });
});

describe('receipts expire', () => {
  let front: NodeSanh | undefined;
  let portal: TestOrigin | undefined;
  beforeAll(async () => {
    portal = await startTestOrigin();
  });
  afterAll(async () => {
    await front?.close();
    await portal?.close();
  });

  it('with the receipt and stored request gone from Redis after expireAfter', async () => {
    const { testRedisClient } = await import('../helpers/redis.js');
    const prefix = uniquePrefix('subs-ttl');
    const config = parseConfig(
      configOf(prefix, { defer: 'always', submissions: { expireAfter: '1h', idempotencyWindow: '10m' }, delivery: { deadline: '30m' } }),
    );
    front = await startNodeSanh({
      config,
      keyRing: parseKeyRing(SECRETS),
      originUrl: (portal as TestOrigin).url,
      redisUrl: testRedisUrl(),
      port: 0,
      hostname: '127.0.0.1',
      logger: silentLogger,
    });
    (portal as TestOrigin).hold(1_000);
    const receipt = (await (await submit(front.url, form(5))).json()) as ReceiptView;
    const client = await testRedisClient();
    const token = receipt.receiptId.split('.')[1] as string;
    const key = `${prefix}:sub:{s:main}:r:${token}`;
    expect(await client.pttl(key)).toBe(-1);
    const stored = await client.hget(key, 'req');
    expect(stored).toMatch(/^k1\./);
    expect(stored).not.toContain('Nguy');
    expect(Buffer.from((stored as string).slice(3), 'base64url').toString('latin1')).not.toContain('001148');
    expect(JSON.stringify(await client.hgetall(key))).not.toMatch(/Nguy|001148/);
    await allDelivered(front.url, [receipt]);
    const ttl = await client.pttl(key);
    expect(ttl).toBeGreaterThan(3_500_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
    expect(await client.hexists(key, 'req')).toBe(0);
    const idempotency = await client.keys(`${prefix}:sub:{s:main}:k:*`);
    expect(idempotency).toHaveLength(1);
    expect(await client.pttl(idempotency[0] as string)).toBeLessThanOrEqual(600_000);
    await client.quit();
  });
});
