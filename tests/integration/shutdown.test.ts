import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { startNodeSanh } from '../../src/entry/node-server.js';
import { parseKeyRing } from '../../src/platform/keyring.js';
import { silentLogger } from '../../src/platform/logger.js';
import type { ReceiptView } from '../../src/submissions/view.js';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { canConnect } from '../helpers/redis-server.js';
import { configFile, EntryProcess } from '../helpers/sanh-entry.js';
import { startTestOrigin } from '../helpers/test-origin.js';
import { rawConnection } from '../helpers/raw-connection.js';
import { until } from '../helpers/until.js';

const SECRETS = `k1:${'d'.repeat(40)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const BODY_PAD = 'x'.repeat(4_000);

/** A portal the test runs: `GET /slow?ms=N&id=I` answers `answer I` (and 4 kB) after N ms; it counts what is in flight. */
async function startSlowOrigin() {
  let inFlight = 0;
  const arrived = new Set<string>();
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://origin');
    inFlight += 1;
    arrived.add(url.searchParams.get('id') ?? '');
    setTimeout(
      () => {
        inFlight -= 1;
        response.writeHead(200, { 'content-type': 'text/plain' }).end(`answer ${url.searchParams.get('id')} ${BODY_PAD}`);
      },
      Number(url.searchParams.get('ms') ?? 0),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    inFlight: () => inFlight,
    arrived: (id: string) => arrived.has(id),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A raw connection that sends a request's first line and headers now and its final CRLF later. */
async function halfSentRequest(port: number, path: string) {
  const connection = await rawConnection(port);
  connection.send(`GET ${path} HTTP/1.1\r\nHost: sanh\r\nAccept: application/json\r\n`);
  return { finish: () => connection.send('\r\n'), received: connection.received, closed: connection.closed };
}

/** Every stdout line is a JSON log line. */
function expectJsonStdout(entry: EntryProcess): void {
  for (const line of entry.stdout) expect(() => JSON.parse(line), line).not.toThrow();
}

/**
 * Graceful shutdown of the real Node entry (`src/entry/node.ts` in a child process) in front of a
 * slow portal the test runs: SIGTERM drains within SANH_DRAIN_SECONDS and exits 0.
 */
describe('graceful shutdown of the Node entry', () => {
  let origin: Awaited<ReturnType<typeof startSlowOrigin>>;
  let config: string;
  const entries: EntryProcess[] = [];

  beforeAll(async () => {
    origin = await startSlowOrigin();
    config = await configFile({
      rooms: [{ id: 'main', match: ['/'], maxActive: 1_000, admitPerMinute: 600_000, admitBurst: 1_000, clientLimits: { joinPerMinute: 100_000 } }],
      drafts: { enabled: false },
    });
  });
  afterEach(() => {
    for (const entry of entries.splice(0)) entry.kill();
  });
  afterAll(async () => {
    await origin?.close();
  });

  async function start(drainSeconds: number): Promise<{ entry: EntryProcess; url: string; port: number }> {
    const entry = new EntryProcess({
      PORT: '0',
      HOST: '127.0.0.1',
      ORIGIN_URL: origin.url,
      SANH_CONFIG: config,
      SANH_SECRETS: SECRETS,
      SANH_DRAIN_SECONDS: String(drainSeconds),
    });
    entries.push(entry);
    const url = (await entry.ready()).replace('localhost', '127.0.0.1');
    return { entry, url, port: Number(new URL(url).port) };
  }

  it('answers all 50 requests in flight in full, refuses new connections, fails readiness at once, and exits 0 well within the drain', async () => {
    const drainSeconds = 5;
    const holdMs = 2_000;
    const { entry, url, port } = await start(drainSeconds);
    expect((await fetch(`${url}/_sanh/ready`)).status).toBe(200);

    const inFlight = 50;
    const answers = Array.from({ length: inFlight }, (_, i) =>
      fetch(`${url}/slow?ms=${holdMs}&id=${i}`).then(
        async (response) => ({
          status: response.status,
          state: response.headers.get('sanh-state'),
          connection: response.headers.get('connection'),
          body: await response.text(),
        }),
        (error: Error) => ({ status: 0, state: null, connection: null, body: String(error.cause ?? error) }),
      ),
    );
    const probe = await halfSentRequest(port, '/_sanh/ready');
    await until(() => origin.inFlight() === inFlight, { ms: 10_000, what: 'the 50 requests to reach the origin' });

    const signalledAt = performance.now();
    entry.child.kill('SIGTERM');
    await until(async () => !(await canConnect(port)), { ms: 2_000, what: 'the listener to stop accepting' });
    const refusedAfterMs = performance.now() - signalledAt;
    expect(origin.inFlight()).toBe(inFlight);
    probe.finish();
    await until(() => probe.closed(), { ms: 2_000, what: 'the readiness answer during the drain' });
    expect(probe.received()).toMatch(/^HTTP\/1\.1 503/);
    expect(probe.received()).toMatch(/connection: close/i);
    expect(probe.received()).toContain('{"status":"draining"}');
    for (let i = 0; i < 5; i++) {
      expect(await canConnect(port)).toBe(false);
      await sleep(50);
    }

    const results = await Promise.all(answers);
    const exit = await entry.exited;
    const exitSeconds = (exit.at - signalledAt) / 1000;
    const answered = results.filter((r, i) => r.status === 200 && r.body === `answer ${i} ${BODY_PAD}`).length;
    const drained = await entry.line('drained');
    console.log(
      JSON.stringify({
        test: 'graceful-shutdown',
        drainSeconds,
        originHoldSeconds: holdMs / 1000,
        inFlight,
        answered,
        refusedAfterMs: Math.round(refusedAfterMs),
        exitCode: exit.code,
        exitSeconds: Number(exitSeconds.toFixed(2)),
        drainedLine: drained,
      }),
    );
    expect(results.map((r) => r.status)).toEqual(Array(inFlight).fill(200));
    expect(answered).toBe(inFlight);
    expect(results.every((r) => r.state === 'admitted')).toBe(true);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exitSeconds).toBeLessThan(drainSeconds + 1);
    expect(drained).toMatchObject({ drained: true, inFlight: expect.any(Number), cut: 0 });
    expect(entry.logs().find((line) => line.message === 'shutting down: draining')).toMatchObject({ signal: 'SIGTERM', drainSeconds });
    expectJsonStdout(entry);
  }, 60_000);

  it('cuts a request that outlasts the drain limit, then exits 0 within the limit and a second', async () => {
    const drainSeconds = 1;
    const { entry, url } = await start(drainSeconds);
    const slow = fetch(`${url}/slow?ms=8000&id=slow`).then(
      async (response) => ({ status: response.status, body: await response.text() }),
      (error: Error) => ({ status: 0, body: String(error) }),
    );
    await until(() => origin.arrived('slow'), { ms: 10_000, what: 'the slow request to reach the origin' });
    const signalledAt = performance.now();
    entry.child.kill('SIGTERM');
    const outcome = await slow;
    const cutAfterSeconds = (performance.now() - signalledAt) / 1000;
    const exit = await entry.exited;
    const exitSeconds = (exit.at - signalledAt) / 1000;
    console.log(
      JSON.stringify({
        test: 'drain-limit-cuts',
        drainSeconds,
        originHoldSeconds: 8,
        cutAfterSeconds: Number(cutAfterSeconds.toFixed(2)),
        exitCode: exit.code,
        exitSeconds: Number(exitSeconds.toFixed(2)),
      }),
    );
    expect(outcome.status).toBe(0);
    expect(cutAfterSeconds).toBeGreaterThanOrEqual(drainSeconds - 0.1);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exitSeconds).toBeLessThan(drainSeconds + 1);
    expect(await entry.line('drained')).toMatchObject({ drained: false, inFlight: 1, cut: 1 });
    expectJsonStdout(entry);
  }, 60_000);

  it('stops the forwarder taking deliveries: the one in flight finishes, the rest wait in Redis for another instance, none is sent twice', async () => {
    const portal = await startTestOrigin();
    try {
      portal.hold(1_500);
      const config = {
        origin: { timeoutSeconds: 3 },
        rooms: [
          {
            id: 'main',
            match: ['/'],
            maxActive: 1_000,
            admitPerMinute: 60_000,
            submissions: { routes: [{ path: '/apply/submit', defer: 'always' }], deliverPerMinute: 600, deliverBurst: 1 },
          },
        ],
        submissions: { delivery: { reclaimAfter: '4s', concurrency: 1 } },
        drafts: { enabled: false },
        redis: { keyPrefix: uniquePrefix('drain-subs') },
      };
      const entry = new EntryProcess({
        PORT: '0',
        HOST: '127.0.0.1',
        ORIGIN_URL: portal.url,
        SANH_CONFIG: await configFile(config),
        SANH_SECRETS: SECRETS,
        REDIS_URL: testRedisUrl(),
        SANH_DRAIN_SECONDS: '10',
      });
      entries.push(entry);
      const url = await entry.ready();
      const receipts: ReceiptView[] = [];
      for (let n = 0; n < 5; n++) {
        const answer = await fetch(`${url}/apply/submit`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: `n=${n}`,
        });
        expect(answer.status).toBe(202);
        receipts.push((await answer.json()) as ReceiptView);
      }
      await until(() => portal.arrivals.length === 1, { ms: 10_000, what: 'the first delivery to reach the portal' });
      const signalledAt = performance.now();
      entry.child.kill('SIGTERM');
      const exit = await entry.exited;
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect((exit.at - signalledAt) / 1000).toBeLessThan(5);
      expect(portal.arrivals).toHaveLength(1);
      expect(portal.filed.size).toBe(1);

      portal.hold(0);
      const survivor = await startNodeSanh({
        config: parseConfig(config),
        keyRing: parseKeyRing(SECRETS),
        originUrl: portal.url,
        redisUrl: testRedisUrl(),
        port: 0,
        hostname: '127.0.0.1',
        logger: silentLogger,
      });
      try {
        const deadline = Date.now() + 20_000;
        let states: string[] = [];
        while (Date.now() < deadline) {
          states = await Promise.all(
            receipts.map(
              async (r) =>
                ((await (await fetch(`${survivor.url}/_sanh/receipts/${r.receiptId}`, { headers: { accept: 'application/json' } })).json()) as ReceiptView)
                  .state,
            ),
          );
          if (states.every((state) => state === 'delivered')) break;
          await sleep(100);
        }
        expect(states).toEqual(Array(5).fill('delivered'));
      } finally {
        await survivor.close();
      }
      expect(portal.arrivals).toHaveLength(5);
      expect(new Set(portal.arrivals.map((a) => a.receipt)).size).toBe(5);
      expect(portal.filed.size).toBe(5);
    } finally {
      await portal.close();
    }
  }, 60_000);

  it('exits at once on a second signal (128 + its number), without finishing the drain', async () => {
    const { entry, url } = await start(20);
    const slow = fetch(`${url}/slow?ms=15000&id=second`).catch(() => undefined);
    await until(() => origin.arrived('second'), { ms: 10_000, what: 'the slow request to reach the origin' });
    entry.child.kill('SIGTERM');
    await entry.line('shutting down: draining', 5_000);
    const secondAt = performance.now();
    entry.child.kill('SIGTERM');
    const exit = await entry.exited;
    await slow;
    expect(exit).toMatchObject({ code: 143, signal: null });
    expect((exit.at - secondAt) / 1000).toBeLessThan(1);
    expect(entry.logs().find((line) => line.message === 'a second signal: exiting at once, without finishing the drain')).toMatchObject({
      level: 'warn',
      signal: 'SIGTERM',
    });
    expectJsonStdout(entry);
  }, 60_000);
});
