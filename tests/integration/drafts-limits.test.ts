import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { startDemoPortal, type RunningDemoPortal } from '../../src/demo-portal/server.js';
import { resumeCodeOf } from '../../src/drafts/resume-code.js';
import type { NodeSanh } from '../../src/entry/node-server.js';
import { startAdminSanh } from '../helpers/admin-sanh.js';
import { uniquePrefix } from '../helpers/redis.js';
import { EntryProcess } from '../helpers/sanh-entry.js';

const TOKEN = 'd'.repeat(40);
const KiB = 1024;
const MiB = 1024 * KiB;

interface ErrorShape {
  error: { code: string; message: string };
}

/** The body is the uniform error, with this code. */
async function expectError(response: Response, status: number, code: string): Promise<ErrorShape> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as ErrorShape;
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  return body;
}

/**
 * Finding 5, 10, 15b and 18 of the security probe (issue 17), against a real Sảnh on Redis over
 * real HTTP: client addresses come from X-Forwarded-For (one trusted proxy hop).
 */
describe('drafts limits on Redis, over HTTP', () => {
  let portal: RunningDemoPortal;
  let sanh: NodeSanh;

  beforeAll(async () => {
    portal = await startDemoPortal({ port: 0, serviceMs: 1 });
    const config = parseConfig({
      rooms: [{ id: 'main', match: ['/apply'], maxActive: 100, admitPerMinute: 6_000 }],
      trustProxyHops: 1,
      redis: { keyPrefix: uniquePrefix('drafts-limits') },
      drafts: {
        acceptUnlistedForms: false,
        forms: [{ id: 'residence' }, { id: 'big', maxBytes: 600_000, maxFieldBytes: 600_000 }],
        limits: { livePerAddress: 3, maxStoredBytes: 1 * MiB, createPerMinute: 1_000 },
        resume: { failuresPerMinute: 5, attemptsPerHour: 1_000, maxFailures: 3 },
      },
    });
    sanh = await startAdminSanh({ config, originUrl: portal.url, tokens: TOKEN });
  });
  afterAll(async () => {
    await sanh?.close();
    await portal?.close();
  });

  const post = (path: string, body: unknown, address: string, headers: Record<string, string> = {}) =>
    fetch(`${sanh.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': address, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const create = (address: string, fields: Record<string, unknown> = { fullName: 'Hoa' }, formId = 'residence') =>
    post('/_sanh/drafts', { formId, fields }, address);

  it('refuses drafts of forms not listed when acceptUnlistedForms is false', async () => {
    await expectError(await create('203.0.113.1', {}, 'made-up-form'), 404, 'not_found');
  });

  it('refuses a 4th live draft from one address with 429 and Retry-After, while another address still starts drafts', async () => {
    const address = '203.0.113.10';
    const made: { id: string; cookie: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await create(address);
      expect(response.status).toBe(201);
      const cookie = response.headers.getSetCookie()[0]?.split(';')[0] ?? '';
      made.push({ id: ((await response.json()) as { id: string }).id, cookie });
    }
    const refused = await create(address);
    await expectError(refused, 429, 'rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await create('203.0.113.11')).status).toBe(201);
    // Deleting one gives its place back.
    const first = made[0]!;
    expect((await fetch(`${sanh.url}/_sanh/drafts/${first.id}`, { method: 'DELETE', headers: { cookie: first.cookie } })).status).toBe(204);
    expect((await create(address)).status).toBe(201);
  });

  it("answers 507 once the drafts' byte budget is spent, keeps every saved draft whole, and shows bytes against the budget in the metrics", async () => {
    const big = (i: number) => ({ text: String(i).repeat(300_000) });
    const saved: { id: string; cookie: string }[] = [];
    let refused: Response | undefined;
    for (let i = 0; i < 6 && !refused; i++) {
      const response = await create(`198.51.100.${i}`, big(i), 'big');
      if (response.status === 201) {
        saved.push({ id: ((await response.json()) as { id: string }).id, cookie: response.headers.getSetCookie()[0]?.split(';')[0] ?? '' });
      } else refused = response;
    }
    expect(saved.length).toBeGreaterThanOrEqual(2);
    expect(refused).toBeDefined();
    await expectError(refused as Response, 507, 'storage_full');
    // A save that grows a draft is refused too; a save that shrinks it passes.
    const { id, cookie } = saved[0]!;
    const grow = await fetch(`${sanh.url}/_sanh/drafts/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/merge-patch+json', 'if-match': '"1"', cookie },
      body: JSON.stringify({ more: 'x'.repeat(200_000) }),
    });
    await expectError(grow, 507, 'storage_full');
    for (const [i, draft] of saved.entries()) {
      const read = await fetch(`${sanh.url}/_sanh/drafts/${draft.id}`, { headers: { cookie: draft.cookie } });
      expect(read.status).toBe(200);
      expect(await read.json()).toMatchObject({ revision: 1, fields: big(i) });
    }
    const shrink = await fetch(`${sanh.url}/_sanh/drafts/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/merge-patch+json', 'if-match': '"1"', cookie },
      body: JSON.stringify({ text: 'short now' }),
    });
    expect(shrink.status).toBe(200);
    // The storage figures are read again at most a second after a save.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await create('198.51.100.200');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const metrics = await (await fetch(`${sanh.adminUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    const value = (name: string) => Number(new RegExp(`^${name}\\{store="drafts"\\} (\\d+)$`, 'm').exec(metrics)?.[1]);
    expect(value('sanh_drafts_stored_bytes_limit')).toBe(1 * MiB);
    expect(value('sanh_drafts_stored_bytes')).toBeGreaterThan(300_000);
    expect(value('sanh_drafts_stored_bytes')).toBeLessThanOrEqual(1 * MiB);
  });

  it('answers 400 with the uniform error to deeply nested JSON bodies, never 500', async () => {
    const address = '192.0.2.50';
    const deepArray = `{"formId":"residence","fields":{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    await expectError(await post('/_sanh/drafts', deepArray, address), 400, 'bad_request');
    const deepObject = `{"formId":"residence","fields":{"a":${'{"a":'.repeat(40_000)}1${'}'.repeat(40_000)}}}`;
    await expectError(await post('/_sanh/drafts', deepObject, address), 400, 'bad_request');
    const made = await create(address);
    const { id } = (await made.json()) as { id: string };
    const cookie = made.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    const patch = await fetch(`${sanh.url}/_sanh/drafts/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/merge-patch+json', 'if-match': '"1"', cookie },
      body: `{"a":${'{"b":'.repeat(40_000)}null${'}'.repeat(40_000)}}`,
    });
    await expectError(patch, 400, 'bad_request');
    const wide = `{"formId":"residence","fields":{"a":[${Array.from({ length: 60_000 }, () => '1').join(',')}]}}`;
    await expectError(await post('/_sanh/drafts', wide, address), 413, 'payload_too_large');
  });

  it('answers 413 with the uniform error to an oversized chunked body (no Content-Length), without cutting the connection first', async () => {
    const url = new URL('/_sanh/drafts', sanh.url);
    const answer = await new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((resolve, reject) => {
      const request = httpRequest(
        url,
        { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'x-forwarded-for': '192.0.2.60' } },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
          response.on('error', reject);
        },
      );
      request.on('error', (error) => reject(error));
      request.write(`{"formId":"residence","fields":{"a":"`);
      const chunk = 'x'.repeat(64 * KiB);
      let sent = 0;
      const more = () => {
        while (sent < 2 * MiB) {
          sent += chunk.length;
          if (!request.write(chunk)) return void request.once('drain', more);
        }
        request.end('"}}');
      };
      more();
    });
    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe('close');
    expect((JSON.parse(answer.body) as ErrorShape).error.code).toBe('payload_too_large');
  });

  it('slows a guesser on a shared address with a short Retry-After, while a citizen with the right code on that address still resumes', async () => {
    const shared = '100.64.0.7';
    const started = await create('192.0.2.70', { fullName: 'Nguyễn Thị Hoa' });
    const { resumeCode, id } = (await started.json()) as { resumeCode: string; id: string };
    const locator = resumeCode.replace(/-/g, '').slice(0, 6);
    // Codes that find no draft (another locator), as a guesser would try them.
    const wrong = (i: number) => resumeCodeOf(locator === '000000' ? '000001' : '000000', String(i).padStart(8, '0')).display;
    const statuses: number[] = [];
    let slowed: Response | undefined;
    for (let i = 0; i < 30; i++) {
      const response = await post('/_sanh/drafts/resume', { code: wrong(i) }, shared);
      statuses.push(response.status);
      if (response.status === 429) slowed = response;
      else await expectError(response, 403, 'resume_failed');
    }
    expect(statuses.slice(0, 5)).toEqual([403, 403, 403, 403, 403]);
    expect(slowed).toBeDefined();
    await expectError(slowed as Response, 429, 'rate_limited');
    const retryAfter = Number(slowed?.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // The guesser is still slowed...
    await expectError(await post('/_sanh/drafts/resume', { code: wrong(99) }, shared), 429, 'rate_limited');
    // ...and the citizen on the same address, with the right code, resumes.
    const resumed = await post('/_sanh/drafts/resume', { code: resumeCode }, shared);
    expect(resumed.status).toBe(200);
    expect(await resumed.json()).toMatchObject({ id, fields: { fullName: 'Nguyễn Thị Hoa' } });
  });

  it('locks only the draft being guessed: wrong secrets for one code lock that code, not the address', async () => {
    const target = (await (await create('192.0.2.80')).json()) as { resumeCode: string };
    const other = (await (await create('192.0.2.81')).json()) as { resumeCode: string; id: string };
    const locator = target.resumeCode.replace(/-/g, '').slice(0, 6);
    const guess = (i: number) => resumeCodeOf(locator, String(i).padStart(8, '0')).display;
    const guesser = '100.64.0.8';
    for (let i = 0; i < 3; i++) await expectError(await post('/_sanh/drafts/resume', { code: guess(i) }, guesser), 403, 'resume_failed');
    // The target's code is locked now, even with the right secret...
    await expectError(await post('/_sanh/drafts/resume', { code: target.resumeCode }, '192.0.2.82'), 423, 'resume_locked');
    // ...but nobody else's, from the guesser's own address either.
    expect((await post('/_sanh/drafts/resume', { code: other.resumeCode }, guesser)).status).toBe(200);
  });
});

describe('drafts of forms not listed, by mode', () => {
  let directory: string;
  const entries: EntryProcess[] = [];
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'sanh-drafts-mode-'));
  });
  afterAll(async () => {
    for (const entry of entries) entry.kill();
    await rm(directory, { recursive: true, force: true });
  });

  it('are refused in production (NODE_ENV=production) unless acceptUnlistedForms says otherwise; listed forms are kept', async () => {
    const portal = await startDemoPortal({ port: 0, serviceMs: 1 });
    try {
      const configFile = join(directory, 'sanh.json');
      await writeFile(configFile, JSON.stringify({ drafts: { forms: [{ id: 'residence' }] } }));
      const open = join(directory, 'open.json');
      await writeFile(open, JSON.stringify({ drafts: { acceptUnlistedForms: true } }));
      const env = {
        NODE_ENV: 'production',
        ORIGIN_URL: portal.url,
        SANH_SECRETS: `k1:${'m'.repeat(40)}`,
        PORT: '0',
        HOST: '127.0.0.1',
        SANH_DRAIN_SECONDS: '1',
      };
      const strict = new EntryProcess({ ...env, SANH_CONFIG: configFile });
      const lenient = new EntryProcess({ ...env, SANH_CONFIG: open });
      entries.push(strict, lenient);
      const [strictUrl, lenientUrl] = await Promise.all([strict.ready(), lenient.ready()]);
      const start = (url: string, formId: string) =>
        fetch(`${url}/_sanh/drafts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ formId, fields: { a: 1 } }) });
      await expectError(await start(strictUrl, 'made-up-form'), 404, 'not_found');
      expect((await start(strictUrl, 'residence')).status).toBe(201);
      expect((await start(lenientUrl, 'made-up-form')).status).toBe(201);
    } finally {
      await portal.close();
    }
  });
});
