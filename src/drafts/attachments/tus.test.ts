import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { beforeEach, describe, expect, it } from 'vitest';
import { defaultFormConfig, draftsSchema, type DraftFormConfig } from '../../config/drafts.js';
import { manualClock, type ManualClock } from '../../platform/clock.js';
import { SanhError } from '../../platform/errors.js';
import { errorMapper, readCookie, requestIds, type SanhEnv } from '../../platform/http.js';
import { parseKeyRing } from '../../platform/keyring.js';
import { silentLogger } from '../../platform/logger.js';
import { OWNER_COOKIE, type DraftAccess } from '../access.js';
import { content, webSource } from './bytes.contract.js';
import { createMemoryUploadBytes, type UploadBytes } from './bytes.js';
import { createDirectoryUploadBytes } from './directory-bytes.js';
import { createDraftAttachments, type DraftAttachmentsService } from './index.js';
import { createMemoryUploadRecords, type UploadRecords } from './records.js';

const HOUR = 3_600_000;
const KiB = 1024;
const config = draftsSchema.parse({
  forms: [
    { id: 'residence', attachments: { maxFileBytes: 300 * KiB, maxFiles: 3, maxTotalBytes: 500 * KiB, types: ['application/pdf', 'image/*'] } },
    { id: 'plain', attachments: { maxFiles: 0 } },
  ],
  uploads: { incompleteExpireAfter: '1h', maxChunkBytes: 64 * KiB },
});
const formOf = (id: string): DraftFormConfig => config.forms.find((form) => form.id === id) ?? defaultFormConfig(id);

/** Drafts as a map of id -> form and owner cookies: enough ownership for the tus routes. */
function testAccess(): DraftAccess & { add(id: string, formId: string, ...owners: string[]): void } {
  const drafts = new Map<string, { formId: string; owners: Set<string> }>();
  return {
    add(id, formId, ...owners) {
      drafts.set(id, { formId, owners: new Set(owners) });
    },
    async ownedDraft(c, draftId) {
      const owner = readCookie(c.req.header('cookie'), OWNER_COOKIE);
      const draft = drafts.get(draftId);
      if (!draft || !owner || !draft.owners.has(owner)) throw new SanhError('draft_not_found', 'No such draft.');
      return { id: draftId, formId: draft.formId, form: formOf(draft.formId), expiresAt: Date.now() + 30 * 24 * HOUR };
    },
  };
}

const b64 = (text: string) => Buffer.from(text).toString('base64');
const metadata = (name: string, type: string) => `filename ${b64(name)},filetype ${b64(type)}`;
const digest = (algorithm: 'sha1' | 'sha256' | 'md5', data: Uint8Array) => createHash(algorithm).update(data).digest('base64');

describe('tus routes', () => {
  let clock: ManualClock;
  let access: ReturnType<typeof testAccess>;
  let records: UploadRecords;
  let bytes: UploadBytes;
  let attachments: DraftAttachmentsService;
  let app: Hono<SanhEnv>;

  function build(store: UploadBytes = createMemoryUploadBytes({ clock })) {
    bytes = store;
    attachments = createDraftAttachments({ access, records, bytes, config, clock, sweepIntervalMs: 0, orphanGraceMs: 60_000 });
    app = new Hono<SanhEnv>();
    app.onError(errorMapper(silentLogger));
    app.use('*', requestIds());
    app.route('/_sanh/drafts', attachments.routes);
  }

  beforeEach(() => {
    clock = manualClock(Date.UTC(2026, 3, 1, 8, 0, 0));
    access = testAccess();
    access.add('d1', 'residence', 'owner-a', 'owner-b');
    access.add('d2', 'residence', 'owner-c');
    access.add('d3', 'plain', 'owner-a');
    records = createMemoryUploadRecords();
    build();
  });

  type Init = { method?: string; headers?: Record<string, string>; body?: Uint8Array | ReadableStream<Uint8Array>; owner?: string | null };
  async function send(path: string, init: Init = {}): Promise<Response> {
    const headers: Record<string, string> = Object.fromEntries(
      Object.entries({ 'tus-resumable': '1.0.0', ...init.headers }).filter(([, value]) => value !== ''),
    );
    if (init.owner !== null) headers.cookie = `${OWNER_COOKIE}=${init.owner ?? 'owner-a'}`;
    if (init.body instanceof Uint8Array && headers['content-length'] === undefined) headers['content-length'] = String(init.body.byteLength);
    const request = new Request(`http://sanh.test${path}`, {
      method: init.method ?? 'GET',
      headers,
      ...(init.body ? { body: init.body, duplex: 'half' } : {}),
    } as RequestInit);
    return app.request(request);
  }
  async function create(draftId = 'd1', size = 100 * KiB, extra: Init = {}): Promise<string> {
    const response = await send(`/_sanh/drafts/${draftId}/uploads`, {
      method: 'POST',
      ...extra,
      headers: { 'upload-length': String(size), 'upload-metadata': metadata('Giấy xác nhận cư trú.pdf', 'application/pdf'), ...extra.headers },
    });
    expect(response.status, await response.clone().text()).toBe(201);
    return response.headers.get('location') ?? '';
  }
  const patch = (url: string, offset: number, body: Uint8Array | ReadableStream<Uint8Array>, headers: Record<string, string> = {}, owner?: string) =>
    send(url, {
      method: 'PATCH',
      body,
      ...(owner ? { owner } : {}),
      headers: { 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset), ...headers },
    });
  const head = (url: string, owner?: string) => send(url, { method: 'HEAD', ...(owner ? { owner } : {}) });
  async function errorOf(response: Response) {
    return {
      status: response.status,
      tus: response.headers.get('tus-resumable'),
      body: (await response.json()) as { error: { code: string; message: string } },
    };
  }
  const json = { accept: 'application/json' };

  describe('discovery and versions', () => {
    it('answers OPTIONS with the version, extensions, the form maximum and the checksum algorithms', async () => {
      const response = await send('/_sanh/drafts/d1/uploads', { method: 'OPTIONS', headers: {} });
      expect(response.status).toBe(204);
      expect(Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('tus-')))).toEqual({
        'tus-resumable': '1.0.0',
        'tus-version': '1.0.0',
        'tus-extension': 'creation,creation-with-upload,expiration,termination,checksum',
        'tus-max-size': String(300 * KiB),
        'tus-checksum-algorithm': 'sha1,sha256',
      });
    });

    it('refuses another protocol version, or none, with 412 and Tus-Version', async () => {
      for (const version of ['0.2.2', '']) {
        const response = await send('/_sanh/drafts/d1/uploads', { method: 'POST', headers: { 'tus-resumable': version, 'upload-length': '10', ...json } });
        const error = await errorOf(response);
        expect(error).toMatchObject({ status: 412, tus: '1.0.0', body: { error: { code: 'unsupported_tus_version' } } });
        expect(response.headers.get('tus-version')).toBe('1.0.0');
      }
    });

    it('answers 404 to anyone who does not own the draft, with Tus-Resumable', async () => {
      const url = await create();
      for (const response of [
        await head(url, 'owner-c'),
        await send(url, { method: 'HEAD', owner: null }),
        await send('/_sanh/drafts/nope/uploads', { method: 'POST', headers: { 'upload-length': '1', ...json } }),
      ]) {
        expect(response.status).toBe(404);
        expect(response.headers.get('tus-resumable')).toBe('1.0.0');
      }
      expect((await errorOf(await send(url, { method: 'PATCH', owner: 'owner-c', headers: json }))).body.error.code).toBe('draft_not_found');
    });

    it("does not find another draft's upload through a draft the caller owns", async () => {
      const url = await create('d1');
      const foreign = url.replace('/d1/', '/d2/');
      const response = await send(foreign, {
        method: 'PATCH',
        owner: 'owner-c',
        headers: { ...json, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      });
      expect(await errorOf(response)).toMatchObject({ status: 404, body: { error: { code: 'upload_not_found' } } });
      expect((await head(foreign, 'owner-c')).status).toBe(404);
      expect((await send(foreign, { method: 'DELETE', owner: 'owner-c' })).status).toBe(404);
      expect((await head(url)).status).toBe(200);
    });
  });

  describe('creation', () => {
    it('creates an upload: 201, Location, Upload-Expires; HEAD tells offset, length, metadata, no-store', async () => {
      const meta = metadata('Giấy xác nhận cư trú.pdf', 'application/pdf');
      const response = await send('/_sanh/drafts/d1/uploads', { method: 'POST', headers: { 'upload-length': '1234', 'upload-metadata': meta } });
      expect(response.status).toBe(201);
      const location = response.headers.get('location') ?? '';
      expect(location).toMatch(/^\/_sanh\/drafts\/d1\/uploads\/[A-Za-z0-9_-]{22}$/);
      expect(response.headers.get('upload-expires')).toBe(new Date(clock() + HOUR).toUTCString());
      expect(response.headers.get('tus-resumable')).toBe('1.0.0');
      const info = await head(location);
      expect(info.status).toBe(200);
      expect(await info.text()).toBe('');
      expect({
        offset: info.headers.get('upload-offset'),
        length: info.headers.get('upload-length'),
        metadata: info.headers.get('upload-metadata'),
        expires: info.headers.get('upload-expires'),
        cache: info.headers.get('cache-control'),
      }).toEqual({ offset: '0', length: '1234', metadata: meta, expires: new Date(clock() + HOUR).toUTCString(), cache: 'no-store' });
      expect(await attachments.list('d1')).toEqual([
        {
          id: location.split('/').pop(),
          name: 'Giấy xác nhận cư trú.pdf',
          type: 'application/pdf',
          size: 1234,
          offset: 0,
          complete: false,
          url: location,
          expiresAt: new Date(clock() + HOUR).toISOString(),
        },
      ]);
    });

    it('requires Upload-Length and refuses deferred lengths', async () => {
      const missing = await send('/_sanh/drafts/d1/uploads', { method: 'POST', headers: { 'upload-metadata': metadata('a.pdf', 'application/pdf'), ...json } });
      expect(await errorOf(missing)).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('Upload-Length is required') } } });
      const deferred = await send('/_sanh/drafts/d1/uploads', { method: 'POST', headers: { 'upload-defer-length': '1', ...json } });
      expect(await errorOf(deferred)).toMatchObject({
        status: 400,
        body: { error: { message: expect.stringContaining('Upload-Defer-Length is not supported') } },
      });
      expect((await send('/_sanh/drafts/d1/uploads', { method: 'POST', headers: { 'upload-length': '-5', ...json } })).status).toBe(400);
    });

    it('refuses a file past maxFileBytes with 413', async () => {
      const response = await send('/_sanh/drafts/d1/uploads', {
        method: 'POST',
        headers: { 'upload-length': String(300 * KiB + 1), 'upload-metadata': metadata('a.pdf', 'application/pdf'), ...json },
      });
      expect(await errorOf(response)).toMatchObject({
        status: 413,
        body: { error: { code: 'payload_too_large', message: 'A file may be at most 300 KiB; this one is 300 KiB.' } },
      });
    });

    it('refuses types the form does not take with 415, and accepts image/* and type parameters', async () => {
      const post = (type: string | undefined) =>
        send('/_sanh/drafts/d1/uploads', {
          method: 'POST',
          headers: { 'upload-length': '10', 'upload-metadata': type === undefined ? `filename ${b64('a')}` : metadata('a', type), ...json },
        });
      const word = await errorOf(await post('application/msword'));
      expect(word).toMatchObject({
        status: 415,
        body: {
          error: {
            code: 'unsupported_media_type',
            message: 'Files of type application/msword are not accepted here; this form takes application/pdf, image/*.',
          },
        },
      });
      expect((await errorOf(await post(undefined))).body.error.message).toMatch(/^Give the file type as filetype metadata/);
      expect((await post('image/png')).status).toBe(201);
      expect((await post('Application/PDF; charset=binary')).status).toBe(201);
    });

    it('refuses malformed Upload-Metadata with 400', async () => {
      for (const value of ['filename', 'filename !!!', 'a YQ==,a YQ==', `x ${'Q'.repeat(5_000)}`]) {
        const response = await send('/_sanh/drafts/d1/uploads', { method: 'POST', headers: { 'upload-length': '10', 'upload-metadata': value, ...json } });
        expect(response.status, value.slice(0, 20)).toBe(value === 'filename' ? 415 : 400);
      }
    });

    it('counts files and bytes per draft (maxFiles, maxTotalBytes), and termination frees room', async () => {
      const first = await create('d1', 250 * KiB);
      const tooMuch = await send('/_sanh/drafts/d1/uploads', {
        method: 'POST',
        headers: { 'upload-length': String(251 * KiB), 'upload-metadata': metadata('b.pdf', 'application/pdf'), ...json },
      });
      expect(await errorOf(tooMuch)).toMatchObject({
        status: 413,
        body: { error: { message: 'All attachments of a draft may take 500 KiB together; 250 KiB is left, and this file is 251 KiB.' } },
      });
      await create('d1', 1);
      await create('d1', 1);
      const fourth = await send('/_sanh/drafts/d1/uploads', {
        method: 'POST',
        headers: { 'upload-length': '1', 'upload-metadata': metadata('c.pdf', 'application/pdf'), ...json },
      });
      expect(await errorOf(fourth)).toMatchObject({
        status: 413,
        body: { error: { message: 'This draft already has 3 attachments, the most this form takes; remove one first.' } },
      });
      expect((await send(first, { method: 'DELETE' })).status).toBe(204);
      await create('d1', 1);
      await create('d2', 250 * KiB, { owner: 'owner-c' });
    });

    it('refuses uploads to a form that takes none with 403', async () => {
      const response = await send('/_sanh/drafts/d3/uploads', {
        method: 'POST',
        headers: { 'upload-length': '1', 'upload-metadata': metadata('a.pdf', 'application/pdf'), ...json },
      });
      expect(await errorOf(response)).toMatchObject({ status: 403, body: { error: { message: 'This form takes no attachments.' } } });
    });

    it('takes the first chunk with the creation (creation-with-upload)', async () => {
      const data = content(70 * KiB);
      const response = await send('/_sanh/drafts/d1/uploads', {
        method: 'POST',
        body: data.slice(0, 40 * KiB),
        headers: {
          'upload-length': String(data.byteLength),
          'upload-metadata': metadata('scan.png', 'image/png'),
          'content-type': 'application/offset+octet-stream',
          'upload-checksum': `sha1 ${digest('sha1', data.slice(0, 40 * KiB))}`,
        },
      });
      expect(response.status).toBe(201);
      expect(response.headers.get('upload-offset')).toBe(String(40 * KiB));
      const url = response.headers.get('location') ?? '';
      expect((await patch(url, 40 * KiB, data.slice(40 * KiB))).status).toBe(204);
      expect(Buffer.from(await (await send(url)).arrayBuffer()).equals(Buffer.from(data))).toBe(true);
      const wrongType = await send('/_sanh/drafts/d1/uploads', {
        method: 'POST',
        body: new Uint8Array(5),
        headers: { 'upload-length': '5', 'upload-metadata': metadata('a.pdf', 'application/pdf'), 'content-type': 'text/plain', ...json },
      });
      expect(wrongType.status).toBe(415);
    });

    it('completes an empty file at creation', async () => {
      const url = await create('d1', 0);
      const download = await send(url);
      expect(download.status).toBe(200);
      expect(await download.text()).toBe('');
      expect(download.headers.get('repr-digest')).toBe(`sha-256=:${digest('sha256', new Uint8Array(0))}:`);
    });

    it('answers 507 storage_full when the bytes store is full, leaving no record behind', async () => {
      build(createMemoryUploadBytes({ maxBytes: 100, clock }));
      const response = await send('/_sanh/drafts/d1/uploads', {
        method: 'POST',
        headers: { 'upload-length': '101', 'upload-metadata': metadata('a.pdf', 'application/pdf'), ...json },
      });
      expect(response.status).toBe(507);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('storage_full');
      expect(response.headers.get('tus-resumable')).toBe('1.0.0');
      expect(response.headers.get('retry-after')).toBe('300');
      expect(await records.list('d1')).toEqual([]);
    });
  });

  describe('PATCH', () => {
    it('appends chunks at the offset and answers the new Upload-Offset and Upload-Expires', async () => {
      const data = content(90_000);
      const url = await create('d1', data.byteLength);
      clock.advance(10 * 60_000);
      const first = await patch(url, 0, data.slice(0, 30_000));
      expect(first.status).toBe(204);
      expect(first.headers.get('upload-offset')).toBe('30000');
      expect(first.headers.get('upload-expires')).toBe(new Date(clock() + HOUR).toUTCString());
      expect(first.headers.get('tus-resumable')).toBe('1.0.0');
      const last = await patch(url, 30_000, data.slice(30_000));
      expect(last.status).toBe(204);
      expect(last.headers.get('upload-offset')).toBe(String(data.byteLength));
      expect(last.headers.get('upload-expires')).toBeNull();
      expect((await head(url)).headers.get('upload-expires')).toBeNull();
      const [summary] = await attachments.list('d1');
      expect(summary).toMatchObject({ offset: data.byteLength, complete: true });
      expect(summary?.expiresAt).toBeUndefined();
    });

    it('answers 409 with the real offset when Upload-Offset does not match', async () => {
      const url = await create();
      await patch(url, 0, content(1_000));
      const response = await patch(url, 500, content(10), json);
      expect(await errorOf(response)).toMatchObject({ status: 409, body: { error: { code: 'upload_offset_mismatch' } } });
      expect(response.headers.get('upload-offset')).toBe('1000');
    });

    it('lets one of two PATCHes racing from one offset win; the other gets 409', async () => {
      const data = content(20_000);
      const url = await create('d1', data.byteLength);
      const statuses = (await Promise.all([patch(url, 0, data.slice(0, 10_000)), patch(url, 0, data.slice(0, 12_000))])).map((r) => r.status);
      expect(statuses.sort()).toEqual([204, 409]);
      const offset = Number((await head(url)).headers.get('upload-offset'));
      expect([10_000, 12_000]).toContain(offset);
      expect((await patch(url, offset, data.slice(offset))).status).toBe(204);
      expect(Buffer.from(await (await send(url)).arrayBuffer()).equals(Buffer.from(data))).toBe(true);
    });

    it('requires application/offset+octet-stream (415) and Upload-Offset (400)', async () => {
      const url = await create();
      expect((await patch(url, 0, content(10), { 'content-type': 'application/octet-stream' })).status).toBe(415);
      const noOffset = await send(url, { method: 'PATCH', body: content(10), headers: { 'content-type': 'application/offset+octet-stream' } });
      expect(noOffset.status).toBe(400);
    });

    it('refuses a body longer than what the upload lacks, or than maxChunkBytes, with 413', async () => {
      const small = await create('d1', 100);
      const over = await errorOf(await patch(small, 0, content(101), json));
      expect(over).toMatchObject({ status: 413, body: { error: { message: 'The body is longer than the 100 bytes this upload still lacks.' } } });
      const big = await create('d1', 200 * KiB);
      const chunk = await errorOf(await patch(big, 0, content(64 * KiB + 1), json));
      expect(chunk).toMatchObject({ status: 413, body: { error: { message: 'One request may carry at most 64 KiB; send the file in smaller chunks.' } } });
      expect((await head(big)).headers.get('upload-offset')).toBe('0');
    });

    it('keeps up to the limit of a streamed body with no Content-Length, then answers 413 with the offset', async () => {
      const url = await create('d1', 100);
      const response = await send(url, {
        method: 'PATCH',
        body: webSource(content(150), 40),
        headers: { 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
      });
      expect(response.status).toBe(413);
      expect(response.headers.get('upload-offset')).toBe('100');
      expect((await head(url)).headers.get('upload-offset')).toBe('100');
    });

    it('keeps what arrived of a body that broke off (the client went away)', async () => {
      const data = content(50_000);
      const url = await create('d1', data.byteLength);
      await send(url, {
        method: 'PATCH',
        body: webSource(data, 4_000, 24_000),
        headers: { 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
      });
      expect((await head(url)).headers.get('upload-offset')).toBe('24000');
      expect((await patch(url, 24_000, data.slice(24_000))).status).toBe(204);
      expect(Buffer.from(await (await send(url)).arrayBuffer()).equals(Buffer.from(data))).toBe(true);
    });

    it('verifies Upload-Checksum per request: 460 discards the chunk, unknown algorithms 400', async () => {
      const data = content(10_000);
      const url = await create('d1', data.byteLength);
      const good = await patch(url, 0, data.slice(0, 4_000), { 'upload-checksum': `sha1 ${digest('sha1', data.slice(0, 4_000))}` });
      expect(good.status).toBe(204);
      const bad = await patch(url, 4_000, data.slice(4_000), { 'upload-checksum': `sha256 ${digest('sha256', data.slice(4_001))}`, ...json });
      expect(await errorOf(bad)).toMatchObject({ status: 460, tus: '1.0.0', body: { error: { code: 'checksum_mismatch' } } });
      expect((await head(url)).headers.get('upload-offset')).toBe('4000');
      const md5 = await patch(url, 4_000, data.slice(4_000), { 'upload-checksum': `md5 ${digest('md5', data.slice(4_000))}`, ...json });
      expect(await errorOf(md5)).toMatchObject({ status: 400, body: { error: { code: 'unsupported_checksum' } } });
      expect(md5.headers.get('tus-checksum-algorithm')).toBe('sha1,sha256');
      expect((await patch(url, 4_000, data.slice(4_000), { 'upload-checksum': 'sha1 nope!' })).status).toBe(400);
      expect((await patch(url, 4_000, data.slice(4_000), { 'upload-checksum': `sha1 ${b64('short')}` })).status).toBe(400);
      expect((await patch(url, 4_000, data.slice(4_000), { 'upload-checksum': `SHA256 ${digest('sha256', data.slice(4_000))}` })).status).toBe(204);
    });

    it('takes X-HTTP-Method-Override: PATCH and DELETE on a POST', async () => {
      const url = await create('d1', 10);
      const patched = await send(url, {
        method: 'POST',
        body: content(10),
        headers: { 'x-http-method-override': 'PATCH', 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
      });
      expect(patched.status).toBe(204);
      expect((await send(url, { method: 'POST', headers: { 'x-http-method-override': 'DELETE' } })).status).toBe(204);
      expect((await head(url)).status).toBe(404);
      expect((await send(url, { method: 'POST', headers: json })).status).toBe(400);
    });
  });

  describe('when the store fails', () => {
    it('answers 503 with Retry-After, so tus clients retry, and never 500', async () => {
      const url = await create();
      const broken = new Error('connection lost');
      for (const method of ['get', 'list', 'create', 'advance', 'remove'] as const) {
        (records as unknown as Record<string, () => Promise<never>>)[method] = () => Promise.reject(broken);
      }
      const probe = await head(url);
      expect([probe.status, probe.headers.get('retry-after')]).toEqual([503, '5']);
      for (const response of [
        await patch(url, 0, content(10), json),
        await send('/_sanh/drafts/d1/uploads', {
          method: 'POST',
          headers: { ...json, 'upload-length': '10', 'upload-metadata': metadata('a.pdf', 'application/pdf') },
        }),
      ]) {
        expect(await errorOf(response)).toMatchObject({ status: 503, body: { error: { code: 'store_unavailable' } } });
        expect(response.headers.get('retry-after')).toBe('5');
        expect(response.headers.get('tus-resumable')).toBe('1.0.0');
      }
    });
  });

  describe('download and termination', () => {
    it('downloads a finished file to its owner as an attachment, with its digest', async () => {
      const data = content(5_000);
      const url = await create('d1', data.byteLength);
      const early = await send(url, { headers: json });
      expect(await errorOf(early)).toMatchObject({
        status: 409,
        body: { error: { code: 'upload_incomplete', message: 'This upload is not finished (0 of 5000 bytes); it can be downloaded once it is.' } },
      });
      await patch(url, 0, data);
      const response = await send(url, { headers: { 'tus-resumable': '' } });
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(data))).toBe(true);
      expect(
        Object.fromEntries(
          ['content-type', 'content-length', 'content-disposition', 'repr-digest', 'x-content-type-options', 'content-security-policy', 'cache-control'].map(
            (h) => [h, response.headers.get(h)],
          ),
        ),
      ).toEqual({
        'content-type': 'application/pdf',
        'content-length': '5000',
        'content-disposition': `attachment; filename="Giay xac nhan cu tru.pdf"; filename*=UTF-8''Gi%E1%BA%A5y%20x%C3%A1c%20nh%E1%BA%ADn%20c%C6%B0%20tr%C3%BA.pdf`,
        'repr-digest': `sha-256=:${digest('sha256', data)}:`,
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; sandbox",
        'cache-control': 'private, no-store',
      });
      expect((await send(url, { owner: 'owner-c' })).status).toBe(404);
    });

    it('labels types that a browser could run as application/octet-stream', async () => {
      const url = await create('d1', 5, { headers: { 'upload-metadata': metadata('x.svg', 'image/svg+xml') } });
      await patch(url, 0, content(5));
      expect((await send(url)).headers.get('content-type')).toBe('application/octet-stream');
    });

    it('fails a download whose bytes changed at rest (directory adapter)', async () => {
      const directory = await mkdtemp(join(tmpdir(), 'sanh-tus-'));
      try {
        build(createDirectoryUploadBytes({ directory, keyRing: parseKeyRing(`k1:${'z'.repeat(40)}`) }));
        const data = content(3_000);
        const url = await create('d1', data.byteLength);
        await patch(url, 0, data);
        expect(Buffer.from(await (await send(url)).arrayBuffer()).equals(Buffer.from(data))).toBe(true);
        const file = join(directory, 'd1', url.split('/').pop() ?? '');
        const sealed = await readFile(file);
        sealed[1_234] = (sealed[1_234] as number) ^ 1;
        await writeFile(file, sealed);
        const response = await send(url);
        expect(response.status).toBe(200);
        await expect(response.arrayBuffer()).rejects.toThrow();
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    });

    it('terminates an upload with DELETE (204), after which it is gone', async () => {
      const url = await create();
      await patch(url, 0, content(100));
      expect((await send(url, { method: 'DELETE' })).status).toBe(204);
      expect((await head(url)).status).toBe(404);
      expect((await send(url, { method: 'DELETE' })).status).toBe(404);
      expect(await attachments.list('d1')).toEqual([]);
    });

    it('removes every attachment of a draft when the draft goes', async () => {
      await create('d1', 10);
      await create('d1', 10);
      const kept = await create('d2', 10, { owner: 'owner-c' });
      await attachments.removeAll('d1');
      expect(await attachments.list('d1')).toEqual([]);
      expect(await attachments.list('d2')).toHaveLength(1);
      const held: string[] = [];
      for await (const entry of bytes.list()) held.push(entry.draftId);
      expect(held).toEqual(['d2']);
      expect((await head(kept, 'owner-c')).status).toBe(200);
    });
  });

  describe('expiration', () => {
    it('answers 410 for an incomplete upload past Upload-Expires, then deletes it', async () => {
      const url = await create('d1', 1_000);
      await patch(url, 0, content(100));
      clock.advance(HOUR - 1);
      expect((await head(url)).status).toBe(200);
      expect((await patch(url, 100, content(100))).status).toBe(204);
      clock.advance(HOUR);
      expect(await attachments.list('d1')).toEqual([]);
      const gone = await send(url, {
        method: 'PATCH',
        body: content(1),
        headers: { 'content-type': 'application/offset+octet-stream', 'upload-offset': '200', ...json },
      });
      expect(await errorOf(gone)).toMatchObject({ status: 410, tus: '1.0.0', body: { error: { code: 'upload_expired' } } });
      expect((await head(url)).status).toBe(404);
    });

    it('never expires a finished upload', async () => {
      const url = await create('d1', 10);
      await patch(url, 0, content(10));
      clock.advance(1_000 * HOUR);
      expect((await head(url)).status).toBe(200);
      expect((await attachments.sweep()).expired).toBe(0);
    });

    it('does not count expired uploads against the draft limits', async () => {
      await create('d1', 250 * KiB);
      await create('d1', 250 * KiB);
      clock.advance(2 * HOUR);
      await create('d1', 250 * KiB);
    });

    it('sweeps expired uploads, and bytes whose record went with the draft after a grace period', async () => {
      const expiring = await create('d1', 100);
      const finished = await create('d1', 10);
      await patch(finished, 0, content(10));
      const orphan = await create('d2', 10, { owner: 'owner-c' });
      await records.removeAll('d2');
      clock.advance(30_000);
      expect(await attachments.sweep()).toEqual({ expired: 0, orphaned: 0 });
      clock.advance(2 * HOUR);
      expect(await attachments.sweep()).toEqual({ expired: 1, orphaned: 1 });
      const held: string[] = [];
      for await (const entry of bytes.list()) held.push(`${entry.draftId}/${entry.uploadId}`);
      expect(held).toEqual([`d1/${finished.split('/').pop()}`]);
      expect((await head(expiring)).status).toBe(404);
      expect(orphan).toContain('/d2/');
    });

    it('sweeps uploads whose draft is gone when told which drafts exist (memory records)', async () => {
      const kept = await create('d1', 10);
      await create('d2', 10, { owner: 'owner-c' });
      await create('d2', 10, { owner: 'owner-c' });
      const service = createDraftAttachments({ access, records, bytes, config, clock, sweepIntervalMs: 0, draftExists: async (id) => id !== 'd2' });
      expect(await service.sweep()).toEqual({ expired: 0, orphaned: 2 });
      expect(await records.list('d2')).toEqual([]);
      expect((await head(kept)).status).toBe(200);
    });

    it('sweeps on a timer that does not keep the process alive, and stops on close', async () => {
      const service = createDraftAttachments({ access, records, bytes, config, clock, sweepIntervalMs: 20 });
      await create('d1', 100);
      clock.advance(2 * HOUR);
      await new Promise((resolve) => setTimeout(resolve, 80));
      expect(await records.list('d1')).toEqual([]);
      await service.close();
    });
  });
});
