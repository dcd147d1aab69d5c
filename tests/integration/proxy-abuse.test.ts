import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { startNodeSanh, type NodeSanh } from '../../src/entry/node-server.js';
import { parseKeyRing } from '../../src/platform/keyring.js';
import { silentLogger } from '../../src/platform/logger.js';
import { rawConnection, type RawConnection } from '../helpers/raw-connection.js';
import { startTestOrigin, type Echoed, type TestOrigin } from '../helpers/test-origin.js';
import { until } from '../helpers/until.js';

/*
 * The proxy under abuse, over real HTTP on both sides (issue 17's security probe): slow request
 * bodies, `Expect: 100-continue`, client-supplied forwarding and rewrite headers, and
 * request-smuggling framings. The origin is the test origin's `/echo` route, which records what
 * really arrived.
 */

const KEYS = parseKeyRing(`k1:${'p'.repeat(40)}`);

/** One room over everything; `/echo/static` skips the line (a bypass path). */
function configWith(extra: Partial<ConfigInput> = {}) {
  return parseConfig({
    rooms: [{ id: 'main', match: ['/'], maxActive: 10_000, admitPerMinute: 600_000, bypass: { paths: ['/echo/static'] } }],
    origin: { timeoutSeconds: 5 },
    ...extra,
  });
}

async function startSanh(origin: TestOrigin, extra: Partial<ConfigInput> = {}): Promise<NodeSanh> {
  return startNodeSanh({ config: configWith(extra), keyRing: KEYS, originUrl: origin.url, port: 0, hostname: '127.0.0.1', logger: silentLogger });
}

/** An admitted visitor's cookie header (the room admits the first request at once). */
async function admittedCookie(sanh: NodeSanh): Promise<string> {
  const first = await fetch(`${sanh.url}/echo/apply`);
  await first.arrayBuffer();
  expect(first.headers.get('sanh-state')).toBe('admitted');
  return first.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
}

/** A raw connection from `localAddress` that starts a slow upload: the headers and one byte of a `length`-byte body. */
async function slowUpload(port: number, localAddress: string, path: string, length: number, extraHeaders = ''): Promise<RawConnection> {
  const connection = await rawConnection(port, { localAddress });
  connection.send(
    `POST ${path} HTTP/1.1\r\nHost: portal.test\r\nAccept: application/json\r\nContent-Type: application/octet-stream\r\nContent-Length: ${length}\r\n${extraHeaders}\r\nx`,
  );
  return connection;
}

/** The status line's code of a raw answer (0: none yet). */
function statusOf(raw: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
}

/** The JSON body of a raw answer. */
function jsonOf(raw: string): unknown {
  return JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
}

/** `count` admitted requests at once; their statuses. */
async function admittedBurst(sanh: NodeSanh, cookie: string, count: number): Promise<number[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      try {
        const response = await fetch(`${sanh.url}/echo/apply/page-${i}`, {
          headers: { cookie, accept: 'application/json' },
          signal: AbortSignal.timeout(3_000),
        });
        await response.arrayBuffer();
        return response.status;
      } catch {
        return 0;
      }
    }),
  );
}

describe('slow request bodies (real HTTP, test origin)', () => {
  let origin: TestOrigin;
  beforeAll(async () => {
    origin = await startTestOrigin();
  });
  afterAll(async () => {
    await origin?.close();
  });

  it('a burst of 270 slow uploads from one address to a bypass path does not make an admitted visitor fail (defaults)', async () => {
    const sanh = await startSanh(origin);
    const uploads: RawConnection[] = [];
    try {
      const cookie = await admittedCookie(sanh);
      for (let i = 0; i < 270; i++) uploads.push(await slowUpload(sanh.port, '127.0.0.1', `/echo/static/up-${i}`, 100_000));
      // Default maxBodiesPerClient 16: that many reach the origin, the rest are told to come back.
      await until(() => uploads.filter((u) => statusOf(u.received()) === 429).length === 254, { ms: 5_000 });
      expect(origin.openEchoes()).toBe(16);
      const refused = uploads.find((u) => statusOf(u.received()) === 429)!;
      expect(refused.received()).toMatch(/\r\nretry-after: 2\r\n/i);
      expect(refused.received()).toMatch(/\r\nconnection: close\r\n/i);
      expect(jsonOf(refused.received())).toMatchObject({ error: { code: 'rate_limited', message: expect.any(String) } });
      const statuses = await admittedBurst(sanh, cookie, 50);
      expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    } finally {
      for (const upload of uploads) upload.destroy();
      await sanh.close();
    }
  });

  it('unadmitted requests from many addresses use only their share of the origin pool; admitted visitors keep the rest', async () => {
    const sanh = await startSanh(origin, { origin: { timeoutSeconds: 5, connections: 8, reservedForAdmitted: 2, maxBodiesPerClient: 2 } });
    const uploads: RawConnection[] = [];
    try {
      const cookie = await admittedCookie(sanh);
      const before = origin.openEchoes();
      for (let address = 2; address <= 6; address++) {
        for (let i = 0; i < 2; i++) uploads.push(await slowUpload(sanh.port, `127.0.0.${address}`, `/echo/static/many-${address}-${i}`, 100_000));
      }
      // 10 wanted, 6 (8 - 2) allowed: the other 4 get 503 origin_busy with Retry-After.
      await until(() => uploads.filter((u) => statusOf(u.received()) === 503).length === 4, { ms: 5_000 });
      expect(origin.openEchoes() - before).toBe(6);
      const busy = uploads.find((u) => statusOf(u.received()) === 503)!;
      expect(busy.received()).toMatch(/\r\nretry-after: 2\r\n/i);
      expect(jsonOf(busy.received())).toMatchObject({ error: { code: 'origin_busy' } });
      // An unadmitted GET waits its turn too, while admitted visitors all get through.
      const bypassGet = await fetch(`${sanh.url}/echo/static/logo.png`, { headers: { accept: 'application/json' } });
      expect(bypassGet.status).toBe(503);
      const statuses = await admittedBurst(sanh, cookie, 30);
      expect(statuses.filter((s) => s === 200)).toHaveLength(30);
    } finally {
      for (const upload of uploads) upload.destroy();
      await sanh.close();
    }
  });

  it('cuts a slow body with 408 after its deadline and the origin request with it; a brisk body passes', async () => {
    const sanh = await startSanh(origin, { origin: { timeoutSeconds: 5, requestBodyTimeoutSeconds: 0.5, requestBodyMinBytesPerSecond: 100 } });
    try {
      const cookie = await admittedCookie(sanh);
      const started = performance.now();
      const upload = await slowUpload(sanh.port, '127.0.0.1', '/echo/apply/upload', 100_000, `Cookie: ${cookie}\r\n`);
      // 50 bytes a second: the deadline (0.5 s + 1 s per 100 bytes) passes after about 1 s.
      const trickle = setInterval(() => upload.send('y'.repeat(10)), 200);
      try {
        await until(() => statusOf(upload.received()) !== 0, { ms: 5_000 });
      } finally {
        clearInterval(trickle);
      }
      const took = performance.now() - started;
      expect(statusOf(upload.received())).toBe(408);
      expect(took).toBeGreaterThan(800);
      expect(took).toBeLessThan(3_000);
      expect(jsonOf(upload.received())).toMatchObject({ error: { code: 'request_timeout', message: expect.any(String), requestId: expect.any(String) } });
      expect(upload.received()).toMatch(/\r\nconnection: close\r\n/i);
      await until(() => upload.closed(), { ms: 2_000 });
      // The origin saw the request start and then cut: nothing is held there any more.
      await until(() => origin.echoed.some((e) => e.url === '/echo/apply/upload'), { ms: 2_000 });
      expect(origin.echoed.find((e) => e.url === '/echo/apply/upload')?.complete).toBe(false);
      expect(origin.openEchoes()).toBe(0);

      const brisk = Buffer.alloc(2 * 1024 * 1024, 7);
      const answer = await fetch(`${sanh.url}/echo/apply/brisk`, { method: 'POST', body: brisk, headers: { cookie } });
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as Echoed).body.length).toBe(brisk.length);
    } finally {
      await sanh.close();
    }
  });
});

describe('Expect: 100-continue, forwarding headers and framings (real HTTP, test origin)', () => {
  let origin: TestOrigin;
  let sanh: NodeSanh;
  let trusting: NodeSanh;
  let cookie: string;
  beforeAll(async () => {
    origin = await startTestOrigin();
    sanh = await startSanh(origin);
    trusting = await startSanh(origin, { trustProxyHops: 1 });
    cookie = await admittedCookie(sanh);
  });
  afterAll(async () => {
    await sanh?.close();
    await trusting?.close();
    await origin?.close();
  });

  it('answers Expect: 100-continue itself and the body reaches the origin (node http client)', async () => {
    const body = 'x'.repeat(40_000);
    const answer = await new Promise<{ status: number; continued: boolean; text: string }>((resolve, reject) => {
      let continued = false;
      const req = httpRequest(`${sanh.url}/echo/apply/expect`, {
        method: 'POST',
        headers: { cookie, expect: '100-continue', 'content-type': 'text/plain', 'content-length': String(body.length) },
      });
      req.on('continue', () => {
        continued = true;
        req.end(body);
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, continued, text }));
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(answer.continued).toBe(true);
    expect(answer.status).toBe(200);
    const seen = JSON.parse(answer.text) as Echoed;
    expect(seen.body).toBe(body);
    expect(seen.headers.expect).toBeUndefined();
  });

  it('answers Expect: 100-continue on a raw socket before the body is sent', async () => {
    const connection = await rawConnection(sanh.port);
    try {
      connection.send(`POST /echo/apply/expect-raw HTTP/1.1\r\nHost: portal.test\r\nCookie: ${cookie}\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n`);
      await until(() => connection.received().includes('100 Continue'), { ms: 2_000 });
      expect(connection.received()).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\n$/);
      connection.send('hello');
      await until(() => /HTTP\/1\.1 200/.test(connection.received()), { ms: 3_000 });
      await until(() => origin.echoed.some((e) => e.url === '/echo/apply/expect-raw'), { ms: 2_000 });
      expect(origin.echoed.find((e) => e.url === '/echo/apply/expect-raw')?.body).toBe('hello');
    } finally {
      connection.destroy();
    }
  });

  const claims = {
    'x-forwarded-for': '10.9.9.9',
    'x-forwarded-host': 'evil.example',
    'x-forwarded-proto': 'https',
    'x-forwarded-port': '443',
    forwarded: 'for=10.9.9.9;host=evil.example;proto=https',
    'x-real-ip': '10.9.9.9',
    'true-client-ip': '10.9.9.9',
    'x-original-url': '/apply/gated',
    'x-rewrite-url': '/apply/gated',
    'x-forwarded-prefix': '/admin',
    'x-http-method-override': 'DELETE',
  };

  it('with trustProxyHops 0, no client forwarding or rewrite header reaches the origin: Sảnh writes its own truthful ones', async () => {
    const response = await fetch(`${sanh.url}/echo/static/claims`, { headers: { ...claims, accept: 'application/json' } });
    expect(response.headers.get('sanh-state')).toBe('bypass');
    const seen = (await response.json()) as Echoed;
    expect(seen.url).toBe('/echo/static/claims');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-host']).toBe(new URL(sanh.url).host);
    for (const name of [
      'x-forwarded-port',
      'forwarded',
      'x-real-ip',
      'true-client-ip',
      'x-original-url',
      'x-rewrite-url',
      'x-forwarded-prefix',
      'x-http-method-override',
    ]) {
      expect(seen.headers[name], name).toBeUndefined();
    }
  });

  it('with trustProxyHops 1, keeps what the trusted proxy wrote and still strips rewrite headers', async () => {
    const response = await fetch(`${trusting.url}/echo/static/claims`, {
      headers: { ...claims, 'x-forwarded-for': '10.9.9.9, 203.0.113.7', forwarded: 'for=10.9.9.9, for=203.0.113.7;proto=https', accept: 'application/json' },
    });
    const seen = (await response.json()) as Echoed;
    expect(seen.headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(seen.headers.forwarded).toBe('for=203.0.113.7;proto=https, for=127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(seen.headers['x-forwarded-host']).toBe('evil.example');
    for (const name of ['x-original-url', 'x-rewrite-url', 'x-forwarded-prefix', 'x-http-method-override']) expect(seen.headers[name], name).toBeUndefined();
  });

  const framings: Record<string, string> = {
    'Content-Length with Transfer-Encoding':
      'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /echo/smuggled HTTP/1.1\r\nHost: portal.test\r\n\r\n',
    'two different Content-Lengths': 'Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
    'the same Content-Length twice': 'Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello',
    'a Content-Length list': 'Content-Length: 5, 5\r\n\r\nhello',
    'Transfer-Encoding: chunked, identity': 'Transfer-Encoding: chunked, identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    'Transfer-Encoding: gzip, chunked': 'Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    'two Transfer-Encoding headers': 'Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    'an obs-folded header': 'Content-Length: 5\r\nX-Folded: a\r\n  b\r\n\r\nhello',
    'an obs-folded Transfer-Encoding': 'Transfer-Encoding:\r\n chunked\r\nContent-Length: 5\r\n\r\nhello',
    'a space before the colon': 'Content-Length : 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'chunked (well formed)': 'Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    'Content-Length (well formed)': 'Content-Length: 5\r\n\r\nhello',
  };

  it('never forwards an ambiguous framing: refused with 400, or sent on with exactly one framing and the right body', async () => {
    let index = 0;
    for (const [shape, rest] of Object.entries(framings)) {
      const path = `/echo/static/frame-${index++}`;
      const connection = await rawConnection(sanh.port);
      try {
        connection.send(`POST ${path} HTTP/1.1\r\nHost: portal.test\r\n${rest}`);
        await until(() => statusOf(connection.received()) !== 0, { ms: 3_000 });
        const status = statusOf(connection.received());
        const arrived = origin.echoed.filter((e) => e.url === path);
        if (status === 400) {
          expect(arrived, shape).toHaveLength(0);
        } else {
          expect(status, shape).toBe(200);
          expect(arrived, shape).toHaveLength(1);
          const headers = arrived[0]!.headers;
          expect(headers['content-length'] === undefined || headers['transfer-encoding'] === undefined, shape).toBe(true);
          expect(arrived[0]!.body, shape).toBe('hello');
        }
      } finally {
        connection.destroy();
      }
    }
    expect(origin.echoed.filter((e) => e.url === '/echo/smuggled')).toHaveLength(0);
    // The shapes a proxy may read two ways are all refused.
    expect(origin.echoed.filter((e) => /frame-(\d+)$/.test(e.url) && Number(/frame-(\d+)$/.exec(e.url)![1]) < 10)).toHaveLength(0);
  });

  it('bounds a request head at 16 KiB whatever the Node options: 431 above, and the origin never called', async () => {
    const near = await fetch(`${sanh.url}/echo/apply/head-near`, { headers: { cookie: `${cookie}; pad=${'a'.repeat(15_000)}`, accept: 'application/json' } });
    await near.arrayBuffer();
    expect(near.status).toBe(200);
    const over = await fetch(`${sanh.url}/echo/apply/head-over`, { headers: { cookie: `${cookie}; pad=${'a'.repeat(17_000)}`, accept: 'application/json' } });
    await over.arrayBuffer();
    expect(over.status).toBe(431);
    expect(origin.echoed.filter((e) => e.url === '/echo/apply/head-over')).toHaveLength(0);
  });
});
