import { createHash } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { startNodeSanh, type NodeSanh } from '../../src/entry/node-server.js';
import { parseKeyRing } from '../../src/platform/keyring.js';
import { silentLogger } from '../../src/platform/logger.js';
import { freePort } from '../helpers/redis-server.js';

const KEYS = parseKeyRing(`k1:${'p'.repeat(40)}`);
const GZIPPED = gzipSync(Buffer.from('hello, compressed world'));

function startEchoOrigin(): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://origin');
    if (url.pathname === '/slow') {
      setTimeout(() => res.end('late'), 3_000).unref();
      return;
    }
    if (url.pathname === '/stream') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 1);
      const timer = setInterval(() => {
        if (!res.write(chunk)) return;
      }, 5);
      res.on('close', () => clearInterval(timer));
      setTimeout(() => {
        clearInterval(timer);
        res.end();
      }, 2_000).unref();
      return;
    }
    if (url.pathname === '/gzip') {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'text/plain' });
      res.end(GZIPPED);
      return;
    }
    if (url.pathname === '/status/204') {
      res.writeHead(204, { 'x-origin': 'yes' });
      res.end();
      return;
    }
    if (url.pathname === '/teapot') {
      res.writeHead(418, [
        ['set-cookie', 'a=1; Path=/'],
        ['set-cookie', 'b=2; Path=/'],
        ['proxy-authenticate', 'Basic realm="origin"'],
        ['x-origin', 'yes'],
      ]);
      res.end('short and stout');
      return;
    }
    const hash = createHash('sha256');
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
      hash.update(chunk);
    });
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, length, sha256: hash.digest('hex') }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('proxy to the origin (real HTTP both sides)', () => {
  let origin: Server;
  let sanh: NodeSanh;
  let deadOriginSanh: NodeSanh;

  beforeAll(async () => {
    origin = await startEchoOrigin();
    const config = parseConfig({
      rooms: [{ id: 'main', match: ['/'], maxActive: 1000, admitPerMinute: 60_000 }],
      origin: { timeoutSeconds: 0.5 },
    });
    const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    sanh = await startNodeSanh({ config, keyRing: KEYS, originUrl, port: 0, hostname: '127.0.0.1', logger: silentLogger });
    const closedPort = await freePort();
    deadOriginSanh = await startNodeSanh({
      config,
      keyRing: KEYS,
      originUrl: `http://127.0.0.1:${closedPort}`,
      port: 0,
      hostname: '127.0.0.1',
      logger: silentLogger,
    });
  });

  afterAll(async () => {
    await sanh?.close();
    await deadOriginSanh?.close();
    await new Promise((r) => origin?.close(r));
  });

  it('forwards method, path, query and headers, with forwarding headers set and hop-by-hop and Sảnh cookies removed', async () => {
    const answer = await new Promise<{ status: number; state: string | undefined; body: string }>((resolve, reject) => {
      const req = httpRequest(`${sanh.url}/apply/step/1?x=1&y=%C4%91`, {
        method: 'PUT',
        headers: {
          cookie: 'portal_sid=abc; sanh_pass_other=zzz',
          connection: 'keep-alive, x-private',
          'x-private': 'must not pass',
          'x-custom': 'kept',
          'content-type': 'text/plain',
        },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, state: res.headers['sanh-state'] as string | undefined, body }));
      });
      req.on('error', reject);
      req.end('hello');
    });
    expect(answer.status).toBe(200);
    expect(answer.state).toBe('admitted');
    const seen = JSON.parse(answer.body) as { method: string; url: string; headers: Record<string, string>; length: number };
    expect(seen.method).toBe('PUT');
    expect(seen.url).toBe('/apply/step/1?x=1&y=%C4%91');
    expect(seen.length).toBe(5);
    expect(seen.headers['x-custom']).toBe('kept');
    expect(seen.headers['x-private']).toBeUndefined();
    expect(seen.headers.cookie).toBe('portal_sid=abc');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-host']).toBe(new URL(sanh.url).host);
  });

  it('streams a large request body through intact', async () => {
    const body = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4096) body.writeUInt32BE(i, i);
    const response = await fetch(`${sanh.url}/upload`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    const seen = (await response.json()) as { length: number; sha256: string };
    expect(seen.length).toBe(body.length);
    expect(seen.sha256).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('keeps status codes, repeated Set-Cookie headers and compressed bodies as the origin sent them', async () => {
    const teapot = await fetch(`${sanh.url}/teapot`);
    expect(teapot.status).toBe(418);
    expect(await teapot.text()).toBe('short and stout');
    expect(teapot.headers.getSetCookie().filter((c) => !c.startsWith('sanh_'))).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(teapot.headers.get('proxy-authenticate')).toBeNull();
    expect(teapot.headers.get('x-origin')).toBe('yes');

    const noContent = await fetch(`${sanh.url}/status/204`);
    expect(noContent.status).toBe(204);
    expect(noContent.headers.get('x-origin')).toBe('yes');

    const raw = await new Promise<{ encoding: string | undefined; bytes: Buffer }>((resolve, reject) => {
      httpRequest(`${sanh.url}/gzip`, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], bytes: Buffer.concat(chunks) }));
      })
        .on('error', reject)
        .end();
    });
    expect(raw.encoding).toBe('gzip');
    expect(raw.bytes.equals(GZIPPED)).toBe(true);
  });

  it('survives visitors who hang up mid-answer, one by one and under load', async () => {
    for (let i = 0; i < 5; i++) {
      const controller = new AbortController();
      const response = await fetch(`${sanh.url}/stream`, { signal: controller.signal });
      const reader = response.body!.getReader();
      await reader.read();
      await reader.read();
      controller.abort();
      await reader.read().catch(() => undefined);
    }
    const admitted = await fetch(`${sanh.url}/`);
    const pass =
      admitted.headers
        .getSetCookie()
        .find((c) => c.startsWith('sanh_pass_main='))
        ?.split(';')[0] ?? '';
    // The pass's own client (fetch says user-agent "node"): a pass is bound to its client's network and browser family.
    const burst = await autocannon({ url: `${sanh.url}/teapot`, connections: 50, duration: 1, headers: { cookie: pass, 'user-agent': 'node' } });
    expect(burst.errors).toBe(0);
    const after = await fetch(`${sanh.url}/still-alive`);
    expect(after.status).toBe(200);
  });

  it('answers 504 when the origin is too slow, without hanging', async () => {
    const started = Date.now();
    const response = await fetch(`${sanh.url}/slow`, { headers: { accept: 'application/json' } });
    expect(response.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(await response.json()).toMatchObject({ error: { code: 'origin_timeout', requestId: expect.any(String) } });
    expect(response.headers.get('sanh-state')).toBe('admitted');
  });

  it('answers 502 when the origin is unreachable, as JSON or as a page', async () => {
    const json = await fetch(`${deadOriginSanh.url}/anything`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(502);
    expect(await json.json()).toMatchObject({ error: { code: 'origin_unreachable' } });
    const page = await fetch(`${deadOriginSanh.url}/anything`, { headers: { accept: 'text/html', 'accept-language': 'en' } });
    expect(page.status).toBe(502);
    expect(await page.text()).toContain('The e-services portal is not answering.');
  });

  it('answers unknown /_sanh/ paths itself and never forwards them', async () => {
    for (const path of ['/_sanh/nothing-here', '/_sanh']) {
      const response = await fetch(`${sanh.url}${path}`, { headers: { accept: 'application/json' } });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
    }
  });
});

describe('requests in no room', () => {
  it('pass straight through, marked passthrough', async () => {
    const origin = await startEchoOrigin();
    const config = parseConfig({ rooms: [{ id: 'apply', match: ['/apply'], maxActive: 1, admitPerMinute: 1 }] });
    const sanh = await startNodeSanh({
      config,
      keyRing: KEYS,
      originUrl: `http://127.0.0.1:${(origin.address() as AddressInfo).port}`,
      port: 0,
      hostname: '127.0.0.1',
      logger: silentLogger,
    });
    try {
      await fetch(`${sanh.url}/apply`);
      const queued = await fetch(`${sanh.url}/apply/step`, { headers: { accept: 'application/json' } });
      expect(queued.headers.get('sanh-state')).toBe('queued');
      const other = await fetch(`${sanh.url}/applyx/news`);
      expect(other.status).toBe(200);
      expect(other.headers.get('sanh-state')).toBe('passthrough');
      expect(other.headers.get('sanh-room')).toBeNull();
    } finally {
      await sanh.close();
      await new Promise((r) => origin.close(r));
    }
  });
});
