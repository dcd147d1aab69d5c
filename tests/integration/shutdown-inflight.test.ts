import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, fetch as undiciFetch, type RequestInit as UndiciInit } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { canConnect } from '../helpers/redis-server.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childEnv } from '../helpers/child-env.js';
import { configFile, EntryProcess } from '../helpers/sanh-entry.js';
import { rawConnection } from '../helpers/raw-connection.js';
import { until } from '../helpers/until.js';

const SECRETS = `k1:${'s'.repeat(40)}`;
const PAD = 'y'.repeat(8_000);

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A slow portal: every request (a GET, or a form POST whose body it reads first) is answered
 * after `ms` with `answer <id>` and 8 kB, streamed in two writes 100 ms apart (so an answer is
 * still streaming while the drain runs). It counts what arrived.
 */
async function startSlowPortal() {
  const arrived: string[] = [];
  let inFlight = 0;
  const server: Server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://portal');
      const body = request.method === 'POST' ? await readBody(request) : '';
      const id = url.searchParams.get('id') ?? new URLSearchParams(body).get('id') ?? '';
      arrived.push(id);
      inFlight += 1;
      await new Promise((resolve) => setTimeout(resolve, Number(url.searchParams.get('ms') ?? 0)));
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write(`answer ${id} `);
      await new Promise((resolve) => setTimeout(resolve, 100));
      response.end(PAD);
      inFlight -= 1;
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrived,
    inFlight: () => inFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Issue 17, finding 3: SIGTERM must not cut requests in flight. The real Node entry (a child
 * process) in front of a slow real portal, 25 requests in flight through the proxy (20 GETs and
 * 5 form POSTs, over keep-alive connections, each with an admitted pass), then SIGTERM.
 */
describe('SIGTERM with 25 requests in flight (issue 17 #3)', () => {
  let portal: Awaited<ReturnType<typeof startSlowPortal>>;
  const entries: EntryProcess[] = [];
  beforeAll(async () => {
    portal = await startSlowPortal();
  });
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const entry of entries.splice(0)) entry.kill();
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  afterAll(async () => {
    await portal?.close();
  });

  const ROOM = {
    id: 'main',
    match: ['/'],
    maxActive: 1_000,
    admitPerMinute: 600_000,
    admitBurst: 1_000,
    clientLimits: { joinPerMinute: 100_000, requestsPerMinute: 100_000 },
  };
  const DRAIN_SECONDS = 6;

  /** How a Sảnh process is started: the Node entry (`node.ts`), or `startNodeSanh` embedded in a process of its own (`sanh-child.ts`). */
  const LAUNCHERS = [
    {
      name: 'the Node entry (node.ts)',
      async launch(): Promise<{
        url: string;
        child: ChildProcess;
        exited: Promise<{ code: number | null; signal: string | null; at: number }>;
        drained?: () => Promise<unknown>;
      }> {
        const config = await configFile({ rooms: [ROOM] });
        const entry = new EntryProcess({
          PORT: '0',
          HOST: '127.0.0.1',
          ORIGIN_URL: portal.url,
          SANH_CONFIG: config,
          SANH_SECRETS: SECRETS,
          SANH_DRAIN_SECONDS: String(DRAIN_SECONDS),
        });
        entries.push(entry);
        const url = (await entry.ready()).replace('localhost', '127.0.0.1');
        return { url, child: entry.child, exited: entry.exited, drained: () => entry.line('drained') };
      },
    },
    {
      name: 'startNodeSanh embedded in a process (sanh-child.ts)',
      async launch(): Promise<{
        url: string;
        child: ChildProcess;
        exited: Promise<{ code: number | null; signal: string | null; at: number }>;
        drained?: () => Promise<unknown>;
      }> {
        const script = fileURLToPath(new URL('../helpers/sanh-child.ts', import.meta.url));
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', script, JSON.stringify({ config: { rooms: [ROOM] }, secrets: SECRETS, originUrl: portal.url, drainSeconds: DRAIN_SECONDS })],
          { stdio: ['ignore', 'pipe', 'inherit'], env: childEnv() },
        );
        children.push(child);
        const exited = new Promise<{ code: number | null; signal: string | null; at: number }>((resolve) =>
          child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
        );
        const url = await new Promise<string>((resolve, reject) => {
          let out = '';
          child.stdout?.on('data', (chunk: Buffer) => {
            out += chunk.toString('utf8');
            const match = /ready (\S+)/.exec(out);
            if (match?.[1]) resolve(match[1].replace('localhost', '127.0.0.1'));
          });
          child.once('exit', () => reject(new Error(`sanh-child exited: ${out}`)));
        });
        return { url, child, exited };
      },
    },
  ];

  it.each(LAUNCHERS)(
    '$name answers all 25 in full (0 resets), refuses new connections, says Connection: close, and exits within the drain',
    async ({ name, launch }) => {
      const drainSeconds = DRAIN_SECONDS;
      const holdMs = 1_500;
      const { url, child, exited, drained } = await launch();
      const port = Number(new URL(url).port);

      // An admitted pass, used by every request (as one citizen's browser and its copies would).
      const first = await fetch(`${url}/start?ms=0&id=start`);
      await first.text();
      const pass = (first.headers.getSetCookie().find((cookie) => cookie.startsWith('sanh_pass_main=')) ?? '').split(';')[0] ?? '';
      expect(pass).toMatch(/^sanh_pass_main=./);

      // Keep-alive connections: 25 sockets, each warmed up by a first request.
      const agent = new Agent({ connections: 25, pipelining: 1, keepAliveTimeout: 30_000 });
      await Promise.all(
        Array.from({ length: 25 }, async (_, i) => (await undiciFetch(`${url}/warm?ms=0&id=w${i}`, { headers: { cookie: pass }, dispatcher: agent })).text()),
      );
      const idleKeptAlive = await rawConnection(port);
      idleKeptAlive.send(`GET /idle?ms=0&id=idle HTTP/1.1\r\nHost: sanh\r\nCookie: ${pass}\r\n\r\n`);
      await until(() => idleKeptAlive.received().includes('answer idle') && idleKeptAlive.received().endsWith('0\r\n\r\n'), {
        ms: 5_000,
        what: "the idle connection's first answer",
      });

      const started = portal.arrived.length;
      const requests = Array.from({ length: 25 }, (_, i) => {
        const id = `r${i}`;
        const init: UndiciInit =
          i < 20
            ? { headers: { cookie: pass }, dispatcher: agent }
            : {
                method: 'POST',
                headers: { cookie: pass, 'content-type': 'application/x-www-form-urlencoded' },
                body: `id=${id}&name=Nguy%E1%BB%85n+V%C4%83n+A&pad=${'z'.repeat(2_000)}`,
                dispatcher: agent,
              };
        const path = i < 20 ? `/page?ms=${holdMs}&id=${id}` : `/apply?ms=${holdMs}`;
        return undiciFetch(`${url}${path}`, init).then(
          async (response) => ({
            id,
            status: response.status,
            connection: response.headers.get('connection'),
            body: await response.text(),
            error: undefined as string | undefined,
          }),
          (error: Error) => ({ id, status: 0, connection: null, body: '', error: String((error.cause as Error | undefined)?.message ?? error.message) }),
        );
      });
      // A connection opened before the signal whose request comes after it (keep-alive in use).
      const lateOnOpen = await rawConnection(port);
      await until(() => portal.arrived.length - started >= 25, { ms: 10_000, what: 'the 25 requests to reach the portal' });
      await until(() => portal.inFlight() === 25, { ms: 10_000, what: 'the portal to hold them' });

      const signalledAt = performance.now();
      child.kill('SIGTERM');
      await until(async () => !(await canConnect(port)), { ms: 2_000, what: 'the listener to stop accepting' });
      lateOnOpen.send(`GET /_sanh/ready HTTP/1.1\r\nHost: sanh\r\n\r\n`);
      await until(() => lateOnOpen.closed(), { ms: 5_000, what: "the late request's answer" });
      await until(() => idleKeptAlive.closed(), { ms: 2_000, what: 'the idle keep-alive connection to be closed' });

      const results = await Promise.all(requests);
      const exit = await exited;
      const exitSeconds = (exit.at - signalledAt) / 1000;
      const resets = results.filter((r) => r.status === 0);
      const full = results.filter((r) => r.status === 200 && r.body === `answer ${r.id} ${PAD}`);
      console.log(
        JSON.stringify({
          test: 'sigterm-inflight',
          process: name,
          inFlight: 25,
          gets: 20,
          formPosts: 5,
          answeredInFull: full.length,
          resets: resets.length,
          resetErrors: resets.map((r) => r.error),
          connectionClose: results.filter((r) => r.connection === 'close').length,
          exitCode: exit.code,
          exitSeconds: Number(exitSeconds.toFixed(2)),
        }),
      );
      await agent.close().catch(() => undefined);

      expect(resets).toEqual([]);
      expect(full.length).toBe(25);
      expect(results.every((r) => r.connection === 'close')).toBe(true);
      expect(lateOnOpen.received()).toMatch(/^HTTP\/1\.1 503/);
      expect(lateOnOpen.received()).toMatch(/connection: close/i);
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(exitSeconds).toBeLessThan(drainSeconds + 1);
      if (drained) expect(await drained()).toMatchObject({ drained: true, cut: 0 });
    },
    60_000,
  );
});
