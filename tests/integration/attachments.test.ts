import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { startDemoPortal, type RunningDemoPortal } from '../../src/demo-portal/server.js';
import { startNodeSanh, type NodeSanh } from '../../src/entry/node-server.js';
import { parseKeyRing } from '../../src/platform/keyring.js';
import { silentLogger } from '../../src/platform/logger.js';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js';

/**
 * A TCP proxy in front of Sảnh that can drop the connection once a number of request bytes
 * went through it: a mobile connection dying half-way through an upload.
 */
interface CuttingProxy {
  url: string;
  /** Drops whichever connection carries the request byte past `bytes` from now. */
  cutAfter(bytes: number): Promise<void>;
  /** Request bytes (headers and bodies) that went through so far. */
  forwarded(): number;
  close(): Promise<void>;
}

async function cuttingProxy(target: URL): Promise<CuttingProxy> {
  let budget: number | undefined;
  let forwarded = 0;
  let onCut: (() => void) | undefined;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      forwarded += chunk.byteLength;
      if (budget === undefined || chunk.byteLength < budget) {
        if (budget !== undefined) budget -= chunk.byteLength;
        upstream.write(chunk);
        return;
      }
      const part = chunk.subarray(0, budget);
      budget = undefined;
      client.pause();
      upstream.write(part, () => {
        drop();
        onCut?.();
      });
    });
    upstream.pipe(client);
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    forwarded: () => forwarded,
    cutAfter(bytes) {
      budget = bytes;
      return new Promise((resolve) => {
        onCut = resolve;
      });
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const MiB = 1024 * 1024;
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

function scan(length: number, seed: number): Buffer {
  const data = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1_103_515_245 + 12_345) >>> 0;
    data[i] = x >>> 24;
  }
  return data;
}

/** Uploads with the real tus-js-client; resolves with the upload URL, or rejects with its error. */
function tusUpload(options: {
  data: Buffer;
  cookie: string;
  endpoint?: string;
  uploadUrl?: string;
  name?: string;
  retry?: boolean;
  chunkSize?: number;
}): Promise<string> {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(options.data, {
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.uploadUrl ? { uploadUrl: options.uploadUrl } : {}),
      headers: { cookie: options.cookie },
      metadata: { filename: options.name ?? 'Bản vẽ nhà đất.pdf', filetype: 'application/pdf' },
      retryDelays: options.retry ? [0, 200, 500] : null,
      ...(options.chunkSize ? { chunkSize: options.chunkSize } : {}),
      onError: (error) => reject(error),
      onSuccess: () => resolve(upload.url ?? ''),
    });
    upload.start();
  });
}

describe('attachments with tus-js-client through a running Sảnh (Redis records, sealed directory bytes)', () => {
  let portal: RunningDemoPortal;
  let sanh: NodeSanh;
  let proxy: CuttingProxy;
  let directory: string;

  beforeAll(async () => {
    portal = await startDemoPortal({ port: 0, serviceMs: 1 });
    directory = await mkdtemp(join(tmpdir(), 'sanh-attachments-'));
    const config = parseConfig({
      rooms: [{ id: 'main', match: ['/'], maxActive: 100, admitPerMinute: 6_000 }],
      redis: { keyPrefix: uniquePrefix('att') },
      drafts: {
        forms: [{ id: 'residence', attachments: { maxFileBytes: 8 * MiB, maxFiles: 5, maxTotalBytes: 20 * MiB, types: ['application/pdf', 'image/*'] } }],
        uploads: { directory, maxChunkBytes: 16 * MiB },
      },
    });
    sanh = await startNodeSanh({
      config,
      keyRing: parseKeyRing(`att:${'t'.repeat(40)}`),
      originUrl: portal.url,
      redisUrl: testRedisUrl(),
      port: 0,
      hostname: '127.0.0.1',
      logger: silentLogger,
    });
    proxy = await cuttingProxy(new URL(sanh.url));
  });

  afterAll(async () => {
    await proxy?.close();
    await sanh?.close();
    await portal?.close();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  async function newDraft(): Promise<{ id: string; cookie: string; resumeCode: string }> {
    const response = await fetch(`${sanh.url}/_sanh/drafts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ formId: 'residence', fields: { fullName: 'Nguyễn Thị Hoa' }, returnTo: '/apply/step/3' }),
    });
    expect(response.status).toBe(201);
    const view = (await response.json()) as { id: string; resumeCode: string };
    return { id: view.id, resumeCode: view.resumeCode, cookie: ownerCookie(response) };
  }

  function ownerCookie(response: Response): string {
    const cookie = response.headers.getSetCookie().find((line) => line.startsWith('sanh_draft_owner='));
    if (!cookie) throw new Error('no owner cookie');
    return cookie.split(';')[0] as string;
  }

  const request = (path: string, cookie: string | undefined, init: RequestInit = {}) =>
    fetch(new URL(path, sanh.url), {
      ...init,
      headers: { 'tus-resumable': '1.0.0', ...(cookie ? { cookie } : {}), ...(init.headers as Record<string, string>) },
    });

  async function offsetOf(url: string, cookie: string): Promise<number> {
    const response = await request(url, cookie, { method: 'HEAD' });
    expect(response.status).toBe(200);
    return Number(response.headers.get('upload-offset'));
  }

  /** Starts an upload through the proxy and drops its connection after about half the file. */
  async function interruptedUpload(data: Buffer, cookie: string, draftId: string): Promise<string> {
    const cut = proxy.cutAfter(data.byteLength / 2);
    await expect(tusUpload({ data, cookie, endpoint: `${proxy.url}/_sanh/drafts/${draftId}/uploads` })).rejects.toThrow();
    await cut;
    const response = await request(`/_sanh/drafts/${draftId}`, cookie, { headers: { accept: 'application/json' } });
    const view = (await response.json()) as { attachments: { url: string }[] };
    const url = view.attachments.at(-1)?.url ?? '';
    // The server keeps what arrived once it sees the connection gone.
    await expect.poll(() => offsetOf(url, cookie), { timeout: 5_000 }).toBeGreaterThan(0);
    return url;
  }

  it('resumes an upload cut off half-way from the same device, to identical bytes', async () => {
    const data = scan(6 * MiB + 123, 1);
    const device = await newDraft();
    const url = await interruptedUpload(data, device.cookie, device.id);
    const kept = await offsetOf(url, device.cookie);
    expect(kept).toBeGreaterThan(data.byteLength * 0.2);
    expect(kept).toBeLessThan(data.byteLength * 0.6);

    const before = proxy.forwarded();
    const finished = await tusUpload({ data, cookie: device.cookie, uploadUrl: `${proxy.url}${url}`, retry: true });
    expect(new URL(finished).pathname).toBe(url);
    // Only the missing part went over the wire again (plus a HEAD and the PATCH headers).
    const resent = proxy.forwarded() - before;
    expect(resent).toBeGreaterThanOrEqual(data.byteLength - kept);
    expect(resent).toBeLessThan(data.byteLength - kept + 4_096);
    const download = await request(url, device.cookie);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toContain("filename*=UTF-8''B%E1%BA%A3n%20v%E1%BA%BD");
    expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(sha256(data));
  });

  it('continues an interrupted upload on another device through the resume code; a third device gets 404', async () => {
    const data = scan(5 * MiB + 7, 2);
    const phone = await newDraft();
    const url = await interruptedUpload(data, phone.cookie, phone.id);
    const kept = await offsetOf(url, phone.cookie);

    const resumed = await fetch(`${sanh.url}/_sanh/drafts/resume`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: phone.resumeCode }),
    });
    expect(resumed.status).toBe(200);
    const laptop = ownerCookie(resumed);
    expect(laptop).not.toBe(phone.cookie);
    const view = (await (await request(`/_sanh/drafts/${phone.id}`, laptop, { headers: { accept: 'application/json' } })).json()) as {
      attachments: { url: string; offset: number; size: number; complete: boolean; name: string }[];
    };
    expect(view.attachments).toEqual([expect.objectContaining({ url, offset: kept, size: data.byteLength, complete: false, name: 'Bản vẽ nhà đất.pdf' })]);

    const stranger = await newDraft();
    for (const cookie of [stranger.cookie, undefined]) {
      expect((await request(url, cookie, { method: 'HEAD' })).status).toBe(404);
      expect((await request(url, cookie)).status).toBe(404);
      const patch = await request(url, cookie, {
        method: 'PATCH',
        headers: { 'content-type': 'application/offset+octet-stream', 'upload-offset': String(kept) },
        body: new Uint8Array(10),
      });
      expect(patch.status).toBe(404);
    }
    await expect(tusUpload({ data, cookie: stranger.cookie, uploadUrl: `${sanh.url}${url}` })).rejects.toThrow(/404/);

    await tusUpload({ data, cookie: laptop, uploadUrl: `${sanh.url}${view.attachments[0]?.url}`, chunkSize: 1 * MiB, retry: true });
    expect(await offsetOf(url, phone.cookie)).toBe(data.byteLength);
    for (const cookie of [laptop, phone.cookie]) {
      const download = await request(url, cookie);
      expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(sha256(data));
    }
    const after = (await (await request(`/_sanh/drafts/${phone.id}`, phone.cookie, { headers: { accept: 'application/json' } })).json()) as {
      attachments: { complete: boolean }[];
    };
    expect(after.attachments).toEqual([expect.objectContaining({ complete: true, offset: data.byteLength })]);
  });

  it('answers 413 to a streamed (chunked) PATCH longer than the upload, keeping what fit', async () => {
    const device = await newDraft();
    const created = await request(`/_sanh/drafts/${device.id}/uploads`, device.cookie, {
      method: 'POST',
      headers: { 'upload-length': '100000', 'upload-metadata': `filetype ${Buffer.from('image/png').toString('base64')}` },
    });
    const url = created.headers.get('location') ?? '';
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 30; i++) controller.enqueue(scan(10_000, i));
        controller.close();
      },
    });
    const response = await request(url, device.cookie, {
      method: 'PATCH',
      headers: { 'content-type': 'application/offset+octet-stream', 'upload-offset': '0', accept: 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(response.headers.get('upload-offset')).toBe('100000');
    expect(await offsetOf(url, device.cookie)).toBe(100_000);
  });

  it('deletes the bytes on disk when the draft is deleted', async () => {
    const device = await newDraft();
    const url = await tusUpload({ data: scan(1_000, 3), cookie: device.cookie, endpoint: `${sanh.url}/_sanh/drafts/${device.id}/uploads` });
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(join(directory, device.id))).toHaveLength(1);
    const removed = await request(`/_sanh/drafts/${device.id}`, device.cookie, { method: 'DELETE' });
    expect(removed.status).toBe(204);
    await expect(readdir(join(directory, device.id))).rejects.toThrow(/ENOENT/);
    expect((await request(new URL(url).pathname, device.cookie, { method: 'HEAD' })).status).toBe(404);
  });
});
