import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { drainable, drainWithin, settleWithin } from './drain.js';
import { rawConnection } from '../../tests/helpers/raw-connection.js';
import { until } from '../../tests/helpers/until.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A server whose `/slow?ms=N` answers after N ms, and `/` at once. */
async function slowServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    const ms = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('ms') ?? 0);
    setTimeout(() => response.end(`done ${request.url}`), ms);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

const connection = rawConnection;

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
    socket.connect(port, '127.0.0.1');
  });
}

describe('drain', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      server.close();
    }
  });
  async function started() {
    const made = await slowServer();
    servers.push(made.server);
    return { ...made, listener: drainable(made.server, { sweepMs: 20 }) };
  }

  it('lets a request in flight finish with Connection: close, closes idle keep-alive connections at once, and refuses new ones', async () => {
    const { port, listener } = await started();
    const idle = await connection(port);
    idle.get('/');
    await until(() => idle.received().includes('done /'), { ms: 2_000 });
    expect(idle.received()).toMatch(/connection: keep-alive/i);
    const busy = await connection(port);
    busy.get('/slow?ms=300');
    const starting = await connection(port);
    starting.send('GET /later HTTP/1.1\r\nHost: test\r\n');
    await until(() => listener.inFlight() === 1, { ms: 2_000 });

    const figures = drainWithin({ limitMs: 5_000, listeners: [listener] });
    await until(() => idle.closed(), { ms: 500 });
    expect(await refused(port)).toBe(true);
    starting.send('\r\n');
    const result = await figures;
    await until(() => busy.closed() && starting.closed(), { ms: 2_000 });

    expect(busy.received()).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(busy.received()).toMatch(/connection: close/i);
    expect(busy.received()).toContain('done /slow?ms=300');
    expect(starting.received()).toMatch(/connection: close/i);
    expect(starting.received()).toContain('done /later');
    expect(result).toMatchObject({ drained: true, inFlight: 1, cut: 0 });
    expect(result.ms).toBeGreaterThanOrEqual(250);
    expect(result.ms).toBeLessThan(2_000);
  });

  it('keeps closing connections that turn idle while draining (an answer whose headers went out before the drain)', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('part one;');
      setTimeout(() => response.end('part two'), 200);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const listener = drainable(server, { sweepMs: 20 });
    const streaming = await connection(port);
    streaming.get('/');
    await until(() => streaming.received().includes('part one'), { ms: 2_000 });
    const result = await drainWithin({ limitMs: 5_000, listeners: [listener] });
    await until(() => streaming.closed(), { ms: 2_000 });
    expect(streaming.received()).toContain('part two');
    expect(streaming.received()).toMatch(/connection: keep-alive/i);
    expect(result).toMatchObject({ drained: true, cut: 0 });
  });

  it('cuts what is still in flight at the limit, and a limit of 0 cuts at once', async () => {
    const { port, listener } = await started();
    const slow = await connection(port);
    slow.get('/slow?ms=5000');
    await until(() => listener.inFlight() === 1, { ms: 2_000 });
    const result = await drainWithin({ limitMs: 300, listeners: [listener] });
    expect(result).toMatchObject({ drained: false, inFlight: 1, cut: 1 });
    expect(result.ms).toBeGreaterThanOrEqual(290);
    expect(result.ms).toBeLessThan(1_000);
    await until(() => slow.closed(), { ms: 2_000 });
    expect(slow.received()).toBe('');

    const other = await started();
    const cutAtOnce = await connection(other.port);
    cutAtOnce.get('/slow?ms=5000');
    await until(() => other.listener.inFlight() === 1, { ms: 2_000 });
    expect(await drainWithin({ limitMs: 0, listeners: [other.listener] })).toMatchObject({ drained: false, cut: 1 });
    await until(() => cutAtOnce.closed(), { ms: 2_000 });
  });

  it('waits for other work within the same limit, and cuts listeners drained alongside as soon as the rest is done', async () => {
    const { listener } = await started();
    const side = await started();
    const stream = await connection(side.port);
    stream.get('/slow?ms=10000');
    await until(() => side.listener.inFlight() === 1, { ms: 2_000 });
    let workDone = false;
    const work = sleep(200).then(() => void (workDone = true));
    const result = await drainWithin({ limitMs: 5_000, listeners: [listener], alongside: [side.listener], work: [work] });
    expect(workDone).toBe(true);
    expect(result).toMatchObject({ drained: true, inFlight: 0, cut: 0 });
    expect(result.ms).toBeLessThan(1_000);
    await until(() => stream.closed(), { ms: 2_000 });
    const failing = await drainWithin({ limitMs: 1_000, listeners: [], work: [Promise.reject(new Error('no'))] });
    expect(failing.drained).toBe(true);
  });

  it('settleWithin waits at most its time and never rejects', async () => {
    const started = Date.now();
    await settleWithin(new Promise(() => undefined), 100);
    expect(Date.now() - started).toBeLessThan(1_000);
    await settleWithin(Promise.reject(new Error('ignored')), 1_000);
  });
});
