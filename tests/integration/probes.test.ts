import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { configFile, EntryProcess } from '../helpers/sanh-entry.js';
import { until } from '../helpers/until.js';

const SECRETS = `k1:${'p'.repeat(40)}`;
const ADMIN_TOKEN = 'q'.repeat(32);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Health {
  status: string;
  draining: boolean;
  store: { status: 'ok' | 'down'; since: string };
}

/**
 * The probes of two real Node entries (child processes) sharing one redis-server the test kills
 * and starts again: a Redis outage leaves both ready (each room serves its onStoreFailure
 * policy), `/_sanh/health`, the logs and `sanh_store_up` show the store down, then back.
 */
describe('probes through a Redis outage, two instances', () => {
  let redis: RedisServer;
  let portal: Server;
  const instances: { entry: EntryProcess; url: string; adminUrl: string }[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    portal = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('portal'));
    await new Promise<void>((resolve) => portal.listen(0, '127.0.0.1', resolve));
    const config = await configFile({
      redis: { keyPrefix: `probes${Date.now() % 100_000}` },
      rooms: [
        { id: 'open', match: ['/open'], maxActive: 50, admitPerMinute: 600, onStoreFailure: 'open', fallbackShare: 0.5 },
        { id: 'shut', match: ['/shut'], maxActive: 50, admitPerMinute: 600, onStoreFailure: 'closed' },
      ],
      drafts: { enabled: false },
    });
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      ADMIN_PORT: '0',
      SANH_ADMIN_TOKEN: ADMIN_TOKEN,
      ORIGIN_URL: `http://127.0.0.1:${(portal.address() as AddressInfo).port}`,
      SANH_CONFIG: config,
      SANH_SECRETS: SECRETS,
      REDIS_URL: redis.url,
      SANH_DRAIN_SECONDS: '2',
    };
    const entries = [new EntryProcess(env), new EntryProcess(env)];
    for (const entry of entries) {
      const url = await entry.ready();
      const adminUrl = String((await entry.line('admin listener is ready')).url);
      instances.push({ entry, url, adminUrl });
    }
  });
  afterAll(async () => {
    for (const { entry } of instances) entry.kill();
    await redis?.stop();
    await new Promise<void>((resolve) => (portal ? portal.close(() => resolve()) : resolve()));
  });

  const health = async (url: string) => (await (await fetch(`${url}/_sanh/health`)).json()) as Health;
  const readyStatus = async (url: string) => (await fetch(`${url}/_sanh/ready`)).status;
  const storeUp = async (adminUrl: string) => {
    const text = await (await fetch(`${adminUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    return /^sanh_store_up (\d)/m.exec(text)?.[1];
  };
  const linesOf = (entry: EntryProcess, message: string) => entry.logs().filter((line) => line.message === message);

  it('stays ready on both while Redis is down, shows the store down in health, logs and metrics, and recovers', async () => {
    for (const { url, adminUrl } of instances) {
      expect(await readyStatus(url)).toBe(200);
      expect((await fetch(`${url}/_sanh/live`)).status).toBe(200);
      expect(await health(url)).toMatchObject({ status: 'ok', draining: false, store: { status: 'ok' } });
      expect(await storeUp(adminUrl)).toBe('1');
    }

    const killedAt = Date.now();
    await redis.kill();
    for (const { url } of instances)
      await until(async () => (await health(url)).store.status === 'down', { ms: 5_000, what: 'health to show the store down', everyMs: 100 });
    const outage: string[] = [];
    for (let round = 0; round < 10; round++) {
      for (const { url } of instances) {
        outage.push(`ready ${await readyStatus(url)}`);
        for (const room of ['open', 'shut']) {
          const visit = await fetch(`${url}/${room}/page`, { headers: { accept: 'text/html' } });
          outage.push(`${room} ${visit.status} ${visit.headers.get('sanh-state')}`);
          await visit.text();
        }
      }
      await sleep(150);
    }
    expect(outage.filter((o) => o.startsWith('ready'))).toEqual(Array(20).fill('ready 200'));
    expect(outage.filter((o) => o.startsWith('shut'))).toEqual(Array(20).fill('shut 503 queued'));
    expect(outage.filter((o) => o.startsWith('open')).every((o) => o === 'open 200 admitted' || o === 'open 503 queued')).toBe(true);
    for (const { entry, url, adminUrl } of instances) {
      const shown = await health(url);
      expect(shown).toMatchObject({ status: 'ok', store: { status: 'down' } });
      expect(Date.parse(shown.store.since)).toBeGreaterThanOrEqual(killedAt - 1_000);
      expect(await storeUp(adminUrl)).toBe('0');
      expect(linesOf(entry, 'the store is unreachable: each room follows its onStoreFailure policy until it is back')).toHaveLength(1);
      expect(linesOf(entry, 'the store is unreachable: each room follows its onStoreFailure policy until it is back')[0]).toMatchObject({ level: 'warn' });
      expect(linesOf(entry, 'redis connection problem').length).toBeLessThanOrEqual(3);
      // Not a line per request or per retry: every other warning came once, however many visits the outage saw.
      const warnings = new Map<string, number>();
      for (const line of entry.logs())
        if (line.level === 'warn' && line.message !== 'redis connection problem')
          warnings.set(String(line.message), (warnings.get(String(line.message)) ?? 0) + 1);
      expect([...warnings].filter(([, count]) => count > 1)).toEqual([]);
    }

    await redis.restart();
    for (const { url } of instances)
      await until(async () => (await health(url)).store.status === 'ok', { ms: 15_000, what: 'health to show the store back', everyMs: 100 });
    for (const { entry, url, adminUrl } of instances) {
      expect(await readyStatus(url)).toBe(200);
      expect(await storeUp(adminUrl)).toBe('1');
      expect(linesOf(entry, 'the store is reachable again')).toHaveLength(1);
      expect(linesOf(entry, 'the store is reachable again')[0]).toMatchObject({ level: 'info', downSeconds: expect.any(Number) });
      expect(linesOf(entry, 'the store is unreachable: each room follows its onStoreFailure policy until it is back')).toHaveLength(1);
      for (const line of entry.stdout) expect(() => JSON.parse(line), line).not.toThrow();
    }
    console.log(
      JSON.stringify({
        test: 'probes-redis-outage',
        instances: instances.length,
        readyDuringOutage: outage.filter((o) => o === 'ready 200').length,
        readyChecks: 20,
      }),
    );

    for (const { entry } of instances) {
      entry.child.kill('SIGTERM');
      expect(await entry.exited).toMatchObject({ code: 0, signal: null });
    }
  }, 90_000);
});
