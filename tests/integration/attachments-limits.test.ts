import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { startDemoPortal, type RunningDemoPortal } from '../../src/demo-portal/server.js';
import { startNodeSanh, type NodeSanh } from '../../src/entry/node-server.js';
import { parseKeyRing } from '../../src/platform/keyring.js';
import { silentLogger } from '../../src/platform/logger.js';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const b64 = (text: string) => Buffer.from(text).toString('base64');
const METADATA = `filename ${b64('scan.pdf')},filetype ${b64('application/pdf')}`;
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('base64');

/**
 * Findings 16 and 19 of the security probe (issue 17): per-address and total caps on attachment
 * bytes, and two tus PATCHes racing at one offset, against a real Sảnh (Redis records, sealed
 * directory bytes) over real HTTP.
 */
describe('attachment limits and racing PATCHes, over HTTP', () => {
  let portal: RunningDemoPortal;
  let directory: string;
  const running: NodeSanh[] = [];

  async function sanh(drafts: ConfigInput['drafts']): Promise<NodeSanh> {
    const config = parseConfig({
      rooms: [{ id: 'main', match: ['/apply'], maxActive: 100, admitPerMinute: 6_000 }],
      trustProxyHops: 1,
      redis: { keyPrefix: uniquePrefix('att-limits') },
      drafts: {
        forms: [{ id: 'residence', attachments: { maxFileBytes: 1 * MiB, maxFiles: 10, maxTotalBytes: 8 * MiB } }],
        ...drafts,
        uploads: { directory: await mkdtemp(join(directory, 'u-')), ...drafts?.uploads },
      },
    });
    const started = await startNodeSanh({
      config,
      keyRing: parseKeyRing(`att:${'t'.repeat(40)}`),
      originUrl: portal.url,
      redisUrl: testRedisUrl(),
      port: 0,
      hostname: '127.0.0.1',
      logger: silentLogger,
    });
    running.push(started);
    return started;
  }

  beforeAll(async () => {
    portal = await startDemoPortal({ port: 0, serviceMs: 1 });
    directory = await mkdtemp(join(tmpdir(), 'sanh-att-limits-'));
  });
  afterAll(async () => {
    for (const s of running) await s.close().catch(() => undefined);
    await portal?.close();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  async function newDraft(front: NodeSanh): Promise<{ id: string; cookie: string }> {
    const response = await fetch(`${front.url}/_sanh/drafts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ formId: 'residence', fields: { a: 1 } }),
    });
    expect(response.status).toBe(201);
    const cookie =
      response.headers
        .getSetCookie()
        .find((line) => line.startsWith('sanh_draft_owner='))
        ?.split(';')[0] ?? '';
    return { id: ((await response.json()) as { id: string }).id, cookie };
  }
  const startUpload = (front: NodeSanh, draft: { id: string; cookie: string }, size: number, address = '192.0.2.1') =>
    fetch(`${front.url}/_sanh/drafts/${draft.id}/uploads`, {
      method: 'POST',
      headers: { 'tus-resumable': '1.0.0', 'upload-length': String(size), 'upload-metadata': METADATA, cookie: draft.cookie, 'x-forwarded-for': address },
    });
  async function expectTusError(response: Response, status: number, code: string): Promise<void> {
    expect(response.status).toBe(status);
    expect(response.headers.get('tus-resumable')).toBe('1.0.0');
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(typeof body.error.message).toBe('string');
  }

  it('caps uploads per client address (count per minute, Upload-Length bytes per hour) with 429, Retry-After and Tus-Resumable', async () => {
    const front = await sanh({ uploads: { perAddress: { createPerMinute: 3, bytesPerHour: 1 * MiB } } });
    const draft = await newDraft(front);
    expect((await startUpload(front, draft, 600 * KiB, '203.0.113.5')).status).toBe(201);
    const bytes = await startUpload(front, draft, 600 * KiB, '203.0.113.5');
    await expectTusError(bytes, 429, 'rate_limited');
    expect(Number(bytes.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await startUpload(front, draft, 10, '203.0.113.5')).status).toBe(201);
    await expectTusError(await startUpload(front, draft, 10, '203.0.113.5'), 429, 'rate_limited');
    // Another address is not touched.
    expect((await startUpload(front, draft, 600 * KiB, '203.0.113.6')).status).toBe(201);
  });

  it('caps the bytes all stored attachments reserve with 507 storage_full, and keeps what was stored', async () => {
    const front = await sanh({ uploads: { maxStoredBytes: 1 * MiB } });
    const draft = await newDraft(front);
    const first = await startUpload(front, draft, 400 * KiB, '198.51.100.1');
    expect(first.status).toBe(201);
    const location = first.headers.get('location') ?? '';
    const data = new Uint8Array(400 * KiB).fill(7);
    const patch = await fetch(`${front.url}${location}`, {
      method: 'PATCH',
      headers: { 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', cookie: draft.cookie },
      body: data,
    });
    expect(patch.status).toBe(204);
    expect((await startUpload(front, draft, 400 * KiB, '198.51.100.2')).status).toBe(201);
    const full = await startUpload(front, draft, 400 * KiB, '198.51.100.3');
    await expectTusError(full, 507, 'storage_full');
    expect(Number(full.headers.get('retry-after'))).toBeGreaterThan(0);
    const download = await fetch(`${front.url}${location}`, { headers: { cookie: draft.cookie } });
    expect(download.status).toBe(200);
    expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(sha256(data));
    // Deleting one gives its room back.
    const second = await startUpload(front, draft, 100 * KiB, '198.51.100.4');
    expect(second.status).toBe(201);
    expect(
      (await fetch(`${front.url}${second.headers.get('location')}`, { method: 'DELETE', headers: { 'tus-resumable': '1.0.0', cookie: draft.cookie } })).status,
    ).toBe(204);
    expect((await startUpload(front, draft, 100 * KiB, '198.51.100.5')).status).toBe(201);
  });

  /** A PATCH at offset 0 whose body is written by the test, piece by piece. */
  function openPatch(front: NodeSanh, path: string, cookie: string, length: number): { request: ClientRequest; answer: Promise<number> } {
    let request!: ClientRequest;
    const answer = new Promise<number>((resolve, reject) => {
      request = httpRequest(
        new URL(path, front.url),
        {
          method: 'PATCH',
          headers: {
            'tus-resumable': '1.0.0',
            'upload-offset': '0',
            'content-type': 'application/offset+octet-stream',
            'content-length': String(length),
            cookie,
          },
          agent: false,
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        },
      );
      request.on('error', reject);
    });
    request.flushHeaders();
    return { request, answer };
  }

  it('lets one of two PATCHes racing at one offset win: the other gets 409 and none of its bytes land in the file', async () => {
    const front = await sanh({});
    for (const finish of ['one after the other', 'together'] as const) {
      const draft = await newDraft(front);
      const size = 256 * KiB;
      const created = await startUpload(front, draft, size);
      const location = created.headers.get('location') ?? '';
      const bodies = [new Uint8Array(size).fill(0xaa), new Uint8Array(size).fill(0x55)];
      const [a, b] = bodies.map(() => openPatch(front, location, draft.cookie, size)) as [ReturnType<typeof openPatch>, ReturnType<typeof openPatch>];
      // Both are in flight at offset 0, each half-way through its body.
      a.request.write(bodies[0]!.subarray(0, size / 2));
      b.request.write(bodies[1]!.subarray(0, size / 2));
      await new Promise((resolve) => setTimeout(resolve, 200));
      let statuses: number[];
      if (finish === 'one after the other') {
        a.request.end(bodies[0]!.subarray(size / 2));
        const first = await a.answer;
        b.request.end(bodies[1]!.subarray(size / 2));
        statuses = [first, await b.answer];
        expect(statuses).toEqual([204, 409]);
      } else {
        a.request.end(bodies[0]!.subarray(size / 2));
        b.request.end(bodies[1]!.subarray(size / 2));
        statuses = await Promise.all([a.answer, b.answer]);
        expect([...statuses].sort()).toEqual([204, 409]);
      }
      const winner = bodies[statuses.indexOf(204)]!;
      const head = await fetch(`${front.url}${location}`, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0', cookie: draft.cookie } });
      expect(head.headers.get('upload-offset')).toBe(String(size));
      const download = await fetch(`${front.url}${location}`, { headers: { cookie: draft.cookie } });
      expect(download.status).toBe(200);
      expect(download.headers.get('repr-digest')).toBe(`sha-256=:${sha256(winner)}:`);
      const served = new Uint8Array(await download.arrayBuffer());
      expect(served.byteLength).toBe(size);
      expect(sha256(served)).toBe(sha256(winner));
    }
  });
});
