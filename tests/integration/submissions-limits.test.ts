import { afterEach, describe, expect, it } from 'vitest';
import { parseAdminTokens } from '../../src/admin/tokens.js';
import { parseConfig } from '../../src/config/load.js';
import { startNodeSanh, type NodeSanh } from '../../src/entry/node-server.js';
import { parseKeyRing } from '../../src/platform/keyring.js';
import { silentLogger } from '../../src/platform/logger.js';
import type { ReceiptView } from '../../src/submissions/view.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { submissionsConfig } from '../helpers/submissions-config.js';
import { testRedisClient, uniquePrefix } from '../helpers/redis.js';
import { startTestOrigin, type TestOrigin } from '../helpers/test-origin.js';
import { until } from '../helpers/until.js';
import { Visitor, overHttp } from '../helpers/visitor.js';

const SECRETS = `k1:${'s'.repeat(40)}`;
const READ = 'r'.repeat(32);
const MiB = 1024 * 1024;
/** Submissions of 1 MiB sent while the portal is down. */
const FLOOD = 72;

/**
 * The per-room byte budget of deferred submissions and the per-visitor rate limit, on a real
 * Sảnh (Node, real HTTP) over a real redis-server of the test's own (so its memory is this test's
 * alone), in front of a real origin.
 */
describe('deferred submissions: byte budget and shared addresses, on real Redis over HTTP', () => {
  const running: NodeSanh[] = [];
  const origins: TestOrigin[] = [];
  const servers: RedisServer[] = [];

  afterEach(async () => {
    for (const s of running.splice(0)) await s.close().catch(() => undefined);
    for (const o of origins.splice(0)) await o.close();
    for (const r of servers.splice(0)) await r.stop();
  });

  async function start(config: unknown, originUrl: string, redisUrl: string): Promise<NodeSanh> {
    const sanh = await startNodeSanh({
      config: parseConfig(config),
      keyRing: parseKeyRing(SECRETS),
      originUrl,
      redisUrl,
      port: 0,
      hostname: '127.0.0.1',
      logger: silentLogger,
      admin: { port: 0, hostname: '127.0.0.1', tokens: parseAdminTokens(`grafana:read:${READ}`) },
    });
    running.push(sanh);
    return sanh;
  }

  it('holds a room to maxWaitingBytes while the portal is down: Redis grows by the budget, not by what is sent, and the refused keep their form', async () => {
    const redis = await startRedisServer();
    servers.push(redis);
    const portal = await startTestOrigin();
    origins.push(portal);
    await portal.down();
    const sanh = await start(
      submissionsConfig(uniquePrefix('subs-bytes'), {
        route: { defer: 'always' },
        roomSubmissions: { maxWaitingBytes: 24 * MiB },
        submissions: { acceptPerMinutePerAddress: 100_000 },
        // Never given up on while the portal is down for the test (12 attempts a second apart sent them to the dead letters on a loaded machine).
        delivery: { maxBackoff: '1s', maxAttempts: 1_000 },
      }),
      portal.url,
      redis.url,
    );
    const client = await testRedisClient(redis.url);
    try {
      const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1]);
      const before = await usedMemory();
      // The probe's flood (180 submissions of 1 MiB from six addresses), cut to 72 to keep the test short.
      const body = (n: number) => `n=${n}&scan=${'A'.repeat(MiB - 20)}`;
      const statuses: number[] = [];
      const accepted: ReceiptView[] = [];
      for (let n = 0; n < FLOOD; n += 6) {
        const answers = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            fetch(`${sanh.url}/apply/submit`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
              body: body(n + i),
            }),
          ),
        );
        for (const answer of answers) {
          statuses.push(answer.status);
          const json = (await answer.json()) as ReceiptView & { error?: { code: string; message: string } };
          if (answer.status === 202) accepted.push(json);
          else {
            expect(answer.status).toBe(503);
            expect(json).toEqual({ error: { code: 'submissions_full', message: expect.any(String), requestId: expect.any(String) } });
            expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
          }
        }
      }
      const grown = (await usedMemory()) - before;
      // 1 MiB bodies take about 1.8 MiB each when kept: some 13 fit in 24 MiB, the rest are refused
      // (without the budget all 72 were kept: some 145 MiB).
      expect(accepted.length).toBeGreaterThanOrEqual(11);
      expect(accepted.length).toBeLessThanOrEqual(14);
      expect(statuses.filter((s) => s === 503)).toHaveLength(FLOOD - accepted.length);
      expect(grown).toBeLessThan(40 * MiB);

      // A browser's form: 503 with Retry-After and a page that carries the form to send again.
      const page = await fetch(`${sanh.url}/apply/submit`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', 'accept-language': 'vi', referer: `${sanh.url}/apply?form=1` },
        body: `fullName=Nguy%E1%BB%85n+Th%E1%BB%8B+Hoa&note=${'B'.repeat(MiB - 100)}`,
      });
      expect(page.status).toBe(503);
      expect(page.headers.get('retry-after')).toBe('60');
      expect(page.headers.get('cache-control')).toBe('no-store');
      const html = await page.text();
      expect(html).toContain('những gì bạn đã điền vẫn còn');
      expect(html).toContain('<form method="post" action="/apply/submit" id="sanh-again">');
      expect(html).toContain('<input type="hidden" name="fullName" value="Nguyễn Thị Hoa"/>');
      expect(html).toContain('href="/apply?form=1"');

      // The metric says how full the budget is.
      await until(
        async () => {
          const metrics = await (await fetch(`${sanh.adminUrl}/metrics`, { headers: { authorization: `Bearer ${READ}` } })).text();
          const bytes = Number(/^sanh_submissions_waiting_bytes\{room="main"\} (\d+)/m.exec(metrics)?.[1]);
          return bytes > 20 * MiB && bytes <= 24 * MiB && metrics.includes(`sanh_submissions_waiting_bytes_limit{room="main"} ${24 * MiB}`);
        },
        { what: 'the byte metrics' },
      );

      // Nothing accepted is lost: once the portal is back, every receipt is delivered, and the budget is free again.
      await portal.up();
      await until(async () => portal.filed.size === accepted.length, { ms: 30_000, what: 'every accepted submission delivered' });
      await until(
        async () => {
          const states = await Promise.all(
            accepted.map(
              async (r) => ((await (await fetch(`${sanh.url}${r.statusUrl}`, { headers: { accept: 'application/json' } })).json()) as ReceiptView).state,
            ),
          );
          return states.every((s) => s === 'delivered');
        },
        { ms: 30_000, what: 'every accepted submission delivered' },
      );
      const again = await fetch(`${sanh.url}/apply/submit`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: body(999),
      });
      expect(again.status).toBe(202);
    } finally {
      client.disconnect();
    }
  }, 60_000);

  it('gives each of 50 citizens behind one address a receipt while the room is full', async () => {
    const redis = await startRedisServer();
    servers.push(redis);
    const portal = await startTestOrigin();
    origins.push(portal);
    const sanh = await start(
      submissionsConfig(uniquePrefix('subs-nat'), {
        room: { maxActive: 1, admitPerMinute: 60 },
        roomSubmissions: { deliverPerMinute: 6_000 },
        config: { snapshotIntervalMs: 100 },
      }),
      portal.url,
      redis.url,
    );
    // The one seat is taken; every citizen below comes from 127.0.0.1 and is given a place in line.
    const holder = new Visitor(overHttp(sanh.url));
    expect((await holder.request('/apply', { method: 'GET', headers: { accept: 'text/html' } })).headers.get('sanh-state')).toBe('admitted');
    const citizens = Array.from({ length: 50 }, () => new Visitor(overHttp(sanh.url)));
    for (const citizen of citizens) {
      const seated = await citizen.request('/apply', { method: 'GET', headers: { accept: 'text/html' } });
      expect(seated.headers.get('sanh-state')).toBe('queued');
      expect(citizen.jar.has('sanh_ticket_main')).toBe(true);
    }
    // All of them send the same form at once (a common procedure, the same default answers).
    const answers = await Promise.all(
      citizens.map((citizen) =>
        citizen.request('/apply/submit', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: 'procedure=1.001&answer=yes',
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 50 }, () => 202));
    const receipts = (await Promise.all(answers.map((a) => a.json()))) as ReceiptView[];
    expect(new Set(receipts.map((r) => r.receiptId)).size).toBe(50);
    // Each is its own submission: all 50 reach the portal.
    await until(async () => portal.arrivals.filter((a) => a.receipt).length >= 50, { ms: 20_000, what: '50 submissions at the portal' });
    expect(new Set(portal.arrivals.map((a) => a.receipt)).size).toBe(50);
  }, 60_000);
});
