import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the test origin saw it. */
export interface Arrival {
  key: string | undefined;
  body: string;
  receipt: string | undefined;
  at: number;
}

/** A request to `/echo…` as the test origin received it (proxy tests). */
export interface Echoed {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** False when the request was cut before its body ended. */
  complete: boolean;
}

/**
 * A portal for submission tests, over real HTTP: POST `/apply/submit` files an application once
 * per `Idempotency-Key` (a repeat gets the same application number, as a careful portal answers),
 * and every arrival is counted. It can hold its answers (to be caught mid-delivery), answer 503,
 * or stop listening altogether (down) and come back on the same port.
 */
export interface TestOrigin {
  url: string;
  port: number;
  arrivals: Arrival[];
  /** The request target (path and query) of every request that reached it, as it arrived. */
  targets: string[];
  /** Application numbers by key, in the order they were filed. */
  filed: Map<string, string>;
  /** Every request to a path starting `/echo` once it ended or was cut; each is answered 200 with its JSON. */
  echoed: Echoed[];
  /** `/echo` requests still open (their body arriving or their answer not sent). */
  openEchoes(): number;
  /** Holds every answer this long (ms). */
  hold(ms: number): void;
  /** Answers 503 with this Retry-After (seconds) while set. */
  busy(retryAfterSeconds: number | undefined): void;
  /** Stops listening (connections refused), keeping the port. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the test origin on a free loopback port (or `port`). */
export async function startTestOrigin(port = 0): Promise<TestOrigin> {
  const arrivals: Arrival[] = [];
  const targets: string[] = [];
  const filed = new Map<string, string>();
  let holdMs = 0;
  let busy: number | undefined;
  let server: Server | undefined;

  const echoed: Echoed[] = [];
  let openEchoes = 0;
  function echo(request: IncomingMessage, response: ServerResponse): void {
    openEchoes++;
    const chunks: Buffer[] = [];
    let over = false;
    const done = (complete: boolean) => {
      if (over) return;
      over = true;
      openEchoes--;
      const seen = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), complete };
      echoed.push(seen);
      if (complete) response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(seen));
    };
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => done(true));
    request.on('close', () => done(request.complete));
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    targets.push(request.url ?? '');
    if (request.url?.startsWith('/echo')) return echo(request, response);
    if (request.method !== 'POST' || request.url !== '/apply/submit') {
      response.writeHead(404).end('not here');
      return;
    }
    const body = await readBody(request);
    const key = request.headers['idempotency-key'] as string | undefined;
    arrivals.push({ key, body, receipt: request.headers['sanh-receipt'] as string | undefined, at: Date.now() });
    if (holdMs > 0) await new Promise((resolve) => setTimeout(resolve, holdMs));
    if (busy !== undefined) {
      response.writeHead(503, { 'retry-after': String(busy), 'content-type': 'text/plain' }).end('busy');
      return;
    }
    const id = key ?? `anonymous-${arrivals.length}`;
    const number = filed.get(id) ?? `HS-2026-${String(filed.size + 1).padStart(6, '0')}`;
    filed.set(id, number);
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'sanh-application-number': number }).end(`<h1>Đã nộp hồ sơ ${number}</h1>`);
  }

  async function listen(on: number): Promise<number> {
    const started = createServer((request, response) => void handle(request, response));
    started.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve) => started.listen(on, '127.0.0.1', resolve));
    server = started;
    return (started.address() as AddressInfo).port;
  }
  async function stop(): Promise<void> {
    const running = server;
    server = undefined;
    if (!running) return;
    await new Promise<void>((resolve) => {
      running.close(() => resolve());
      running.closeAllConnections();
    });
  }

  const bound = await listen(port);
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    arrivals,
    targets,
    filed,
    echoed,
    openEchoes: () => openEchoes,
    hold: (ms) => void (holdMs = ms),
    busy: (seconds) => void (busy = seconds),
    down: stop,
    up: async () => void (await listen(bound)),
    close: stop,
  };
}
