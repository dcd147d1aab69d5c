import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { NodeSanh } from '../../src/entry/node-server.js';
import { startAdminSanh } from '../helpers/admin-sanh.js';
import { uniquePrefix } from '../helpers/redis.js';
import { startTestOrigin, type TestOrigin } from '../helpers/test-origin.js';

const OPERATE = 'o'.repeat(32);
const READ = 'r'.repeat(32);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
}

/** One HTTP request from a chosen loopback address (127.0.0.0/8 is all loopback on Linux), so the server sees that peer. */
function send(base: string, path: string, from: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method: init.method ?? 'GET', headers: init.headers ?? {}, localAddress: from, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const form = (fields: Record<string, string>, cookie?: string) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
  body: new URLSearchParams(fields).toString(),
});

/** Issue 17, finding 20: admin token guessing is slowed then refused per address; signing out of the dashboard ends the session everywhere. */
describe('admin authentication: guessing is slowed and refused per address, sign-out is final', () => {
  let portal: TestOrigin;
  const instances: NodeSanh[] = [];

  beforeAll(async () => {
    portal = await startTestOrigin();
    const keyPrefix = uniquePrefix('admin-auth');
    for (let i = 0; i < 2; i++) {
      const config = parseConfig({ rooms: [{ id: 'main', match: ['/'], maxActive: 5, admitPerMinute: 600 }], snapshotIntervalMs: 100, redis: { keyPrefix } });
      instances.push(await startAdminSanh({ config, originUrl: portal.url, tokens: `ops:operate:${OPERATE},viewer:read:${READ}` }));
    }
  });
  afterAll(async () => {
    for (const sanh of instances) await sanh.close().catch(() => undefined);
    await portal?.close();
  });
  const adminA = () => instances[0]!.adminUrl!;
  const adminB = () => instances[1]!.adminUrl!;

  it('answers 300 wrong bearer tokens from one address slower, then 429 with Retry-After, and never blocks a right token from another address', async () => {
    const guesses = await Promise.all(
      Array.from({ length: 300 }, (_, i) => send(adminA(), '/api/rooms', '127.0.0.2', { headers: bearer(`guess-${i}-${'g'.repeat(24)}`) })),
    );
    const counts: Record<number, number> = {};
    for (const g of guesses) counts[g.status] = (counts[g.status] ?? 0) + 1;
    expect(counts).toEqual({ 401: 9, 429: 291 });
    const slowest = Math.max(...guesses.filter((g) => g.status === 401).map((g) => g.ms));
    expect(slowest).toBeGreaterThanOrEqual(1_900); // the 7th to 9th wrong tokens wait 2 s each
    for (const refused of guesses.filter((g) => g.status === 429)) {
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
      const body = JSON.parse(refused.body) as { error: { code: string; message: string; requestId: string } };
      expect(Object.keys(body)).toEqual(['error']);
      expect(body.error).toMatchObject({ code: 'rate_limited', message: expect.any(String) });
    }
    // The guessing address is refused even with the right token: a refusal tells it nothing about its guess.
    expect((await send(adminA(), '/api/rooms', '127.0.0.2', { headers: bearer(OPERATE) })).status).toBe(429);
    // ... and on the dashboard too (one count per address for both).
    expect((await send(adminA(), '/dashboard/login', '127.0.0.2', form({ token: OPERATE, lang: 'en' }))).status).toBe(429);
    // Operators elsewhere are not affected, at once.
    const operator = await send(adminA(), '/api/rooms', '127.0.0.3', { headers: bearer(READ) });
    expect(operator.status).toBe(200);
    expect(operator.ms).toBeLessThan(1_000);
    expect((await send(adminA(), '/api/rooms', '127.0.0.3', { headers: bearer(OPERATE) })).status).toBe(200);
  });

  it('answers 50 wrong dashboard sign-ins from one address slower, then 429, and signs in an operator from another address', async () => {
    const tries = await Promise.all(
      Array.from({ length: 50 }, (_, i) => send(adminA(), '/dashboard/login', '127.0.0.4', form({ token: `wrong-${i}-${'w'.repeat(24)}`, lang: 'en' }))),
    );
    expect(tries.filter((t) => t.status === 401)).toHaveLength(9);
    expect(tries.filter((t) => t.status === 429)).toHaveLength(41);
    const refused = tries.find((t) => t.status === 429)!;
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body).toContain('Too many wrong tokens');
    const late = await send(adminA(), '/dashboard/login', '127.0.0.4', form({ token: OPERATE, lang: 'en' }));
    expect(late.status).toBe(429);
    expect(late.headers['set-cookie']).toBeUndefined();
    const elsewhere = await send(adminA(), '/dashboard/login', '127.0.0.5', form({ token: OPERATE, lang: 'en' }));
    expect(elsewhere.status).toBe(303);
    expect(String(elsewhere.headers['set-cookie'])).toMatch(/^sanh_admin=ops\./);
  });

  it('ends a dashboard session on sign-out: its cookie, replayed on the other instance, applies no change', async () => {
    const signedIn = await send(adminA(), '/dashboard/login', '127.0.0.6', form({ token: OPERATE, lang: 'en' }));
    expect(signedIn.status).toBe(303);
    const cookie = String(signedIn.headers['set-cookie']).split(';')[0]!;
    const page = await send(adminB(), '/dashboard?lang=en', '127.0.0.6', { headers: { cookie } });
    expect(page.status).toBe(200); // the session is good on either instance
    const formToken = /name="form" value="([^"]+)"/.exec(page.body)![1]!;
    const version = /name="version" value="(\d+)"/.exec(page.body)![1]!;
    const change = { form: formToken, lang: 'en', version, patch: JSON.stringify({ maxActive: 3 }) };

    const out = await send(adminA(), '/dashboard/logout', '127.0.0.6', form({ form: formToken, lang: 'en' }, cookie));
    expect(out.status).toBe(303);
    expect(String(out.headers['set-cookie'])).toMatch(/^sanh_admin=; Path=\/; Max-Age=0/);

    for (const base of [adminB(), adminA()]) {
      const replayed = await send(base, '/dashboard/rooms/main/apply', '127.0.0.6', form(change, cookie));
      expect(replayed.status).toBe(401);
      expect((await send(base, '/dashboard?lang=en', '127.0.0.6', { headers: { cookie } })).status).toBe(303);
      expect((await send(base, '/dashboard/events', '127.0.0.6', { headers: { cookie } })).status).toBe(401);
    }
    const settings = JSON.parse((await send(adminB(), '/api/rooms/main/settings', '127.0.0.3', { headers: bearer(READ) })).body) as {
      effective: { maxActive: number };
    };
    expect(settings.effective.maxActive).toBe(5);
    const audit = JSON.parse((await send(adminB(), '/api/audit', '127.0.0.3', { headers: bearer(READ) })).body) as { entries: unknown[] };
    expect(audit.entries).toEqual([]);
  });
});
