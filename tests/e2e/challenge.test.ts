import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { manualClock, type Clock } from '../../src/platform/clock.js';
import { errorMapper, readCookie, type SanhEnv } from '../../src/platform/http.js';
import { parseKeyRing } from '../../src/platform/keyring.js';
import { silentLogger } from '../../src/platform/logger.js';
import { createMemoryOnceStore } from '../../src/waiting-room/challenge/once-store.js';
import { SHA256_ES5 } from '../../src/waiting-room/challenge/page.js';
import { solvePuzzle } from '../../src/waiting-room/challenge/puzzle.js';
import { createChallengeService } from '../../src/waiting-room/challenge/routes.js';
import { createRoomMatcher } from '../../src/waiting-room/rooms.js';
import { launchChromium } from '../helpers/browser.js';
import { inProcess, Visitor } from '../helpers/visitor.js';

const SCREENSHOTS = new URL('./screenshots/', import.meta.url);
const T0 = Date.UTC(2026, 11, 1, 1, 0, 0);

/**
 * A portal behind a minimal gate: a visitor with the test's pass cookie goes through; otherwise
 * a proof for the room is redeemed (and a pass given) or the challenge is the answer.
 */
function gatedPortal(options: { clock: Clock; difficultyBits: number; noScriptWaitSeconds: number }) {
  const challenge = { enabled: true, difficultyBits: options.difficultyBits, noScriptWaitSeconds: options.noScriptWaitSeconds, ttlSeconds: 30 };
  const name = { vi: 'Đăng ký thường trú', en: 'Permanent residence registration' };
  const { rooms } = parseConfig({
    rooms: [
      { id: 'main', name, match: ['/'], maxActive: 10, admitPerMinute: 60, challenge },
      { id: 'other', match: ['/other'], maxActive: 10, admitPerMinute: 60, challenge },
      { id: 'hard', name, match: ['/hard'], maxActive: 10, admitPerMinute: 60, challenge: { ...challenge, difficultyBits: 28 } },
    ],
  });
  const matcher = createRoomMatcher(rooms);
  const service = createChallengeService({
    rooms: matcher,
    keyRing: parseKeyRing(`e2e:${'c'.repeat(40)}`),
    once: createMemoryOnceStore({ clock: options.clock }),
    clock: options.clock,
  });
  const app = new Hono<SanhEnv>();
  app.onError(errorMapper(silentLogger));
  app.route('/_sanh', service.routes);
  app.use('*', async (c, next) => {
    const room = matcher.match(undefined, c.req.path);
    if (!room || readCookie(c.req.header('cookie'), `pass_${room.id}`) === '1') return next();
    const proof = await service.redeemProof(c, room);
    if (!proof.ok) return service.challengeResponse(c, room);
    await next();
    c.header('set-cookie', proof.clearCookie, { append: true });
    c.header('set-cookie', `pass_${room.id}=1; Path=/`, { append: true });
  });
  app.get('*', (c) => c.html(`<!doctype html><title>Portal</title><h1 id="portal">Portal ${c.req.path}</h1>`));
  return app;
}

function tokenOf(html: string): string {
  const token = /name="token" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error('no puzzle on the page');
  return token;
}

const form = (fields: Record<string, string>, accept = 'text/html') => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', accept },
  body: new URLSearchParams(fields).toString(),
});

describe('join challenge over HTTP', () => {
  function setUp() {
    const clock = manualClock(T0);
    const app = gatedPortal({ clock, difficultyBits: 8, noScriptWaitSeconds: 5 });
    return { clock, app, visitor: () => new Visitor(inProcess(app)) };
  }

  async function solved(person: Visitor, path = '/apply?x=1') {
    const token = tokenOf(await (await person.page(path)).text());
    return { token, counter: await solvePuzzle(token, 8) };
  }

  it('answers a newcomer 403 with the page, the room, the state and no caching', async () => {
    const { visitor } = setUp();
    const first = await visitor().page('/apply?x=1', { 'accept-language': 'vi-VN,vi;q=0.9' });
    expect(first.status).toBe(403);
    expect(Object.fromEntries(['sanh-room', 'sanh-state', 'cache-control', 'content-language'].map((name) => [name, first.headers.get(name)]))).toEqual({
      'sanh-room': 'main',
      'sanh-state': 'challenge',
      'cache-control': 'no-store',
      'content-language': 'vi',
    });
    const html = await first.text();
    expect(html).toContain('Kiểm tra nhanh trước khi vào hàng chờ');
    expect(html).toContain('name="return" value="/apply?x=1"');
    expect(Buffer.byteLength(html)).toBeLessThan(20 * 1024);
  });

  it('tells JSON clients what is needed and where', async () => {
    const { visitor } = setUp();
    const response = await visitor().request('/api/x?y=1', { headers: { accept: 'application/json' } });
    expect(response.status).toBe(403);
    expect(response.headers.get('sanh-state')).toBe('challenge');
    const body = (await response.json()) as { error: { code: string; message: string }; challengeUrl: string };
    expect(body.error.code).toBe('challenge_required');
    expect(body.challengeUrl).toMatch(/^\/_sanh\/challenge\?room=main&return=%2Fapi%2Fx%3Fy%3D1&token=[\w.-]+$/);
    const token = new URL(body.challengeUrl, 'http://sanh.test').searchParams.get('token');
    const page = await visitor().page(body.challengeUrl);
    expect(page.status).toBe(403);
    const html = await page.text();
    expect(html).toContain('name="return" value="/api/x?y=1"');
    expect(html).toContain(`name="token" value="${token}"`);
  });

  it('takes a right answer once: a proof cookie for the room, a 303 back, one join', async () => {
    const { visitor } = setUp();
    const person = visitor();
    const { token, counter } = await solved(person);
    const answer = await person.request('/_sanh/challenge', form({ token, counter, return: '/apply?x=1' }));
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('/apply?x=1');
    expect(answer.headers.get('set-cookie')).toMatch(/^sanh_proof_main=[^;]+; Path=\/; Max-Age=30; HttpOnly; SameSite=Lax$/);
    const proof = person.jar.get('sanh_proof_main') as string;

    const landed = await person.page('/apply?x=1');
    expect(landed.status).toBe(200);
    expect(person.jar.has('sanh_proof_main')).toBe(false);

    const copy = visitor();
    copy.jar.set('sanh_proof_main', proof);
    expect((await copy.page('/apply')).status).toBe(403);
  });

  it('refuses a replayed answer, with a fresh puzzle', async () => {
    const { visitor } = setUp();
    const { token, counter } = await solved(visitor());
    expect((await visitor().request('/_sanh/challenge', form({ token, counter, return: '/' }))).status).toBe(303);
    const replay = await visitor().request('/_sanh/challenge', form({ token, counter, return: '/' }));
    expect(replay.status).toBe(403);
    const html = await replay.text();
    expect(html).toContain('đã được dùng rồi');
    expect(tokenOf(html)).not.toBe(token);
    const json = await visitor().request('/_sanh/challenge', form({ token, counter, return: '/' }, 'application/json'));
    expect(await json.json()).toMatchObject({ error: { code: 'challenge_required', message: expect.stringContaining('already used') } });
  });

  it('refuses wrong answers and forged puzzles, with a fresh puzzle', async () => {
    const { visitor } = setUp();
    const person = visitor();
    const { token, counter } = await solved(person);
    const wrongCounter = counter === '0' ? '1' : String(Number(counter) - 1);
    const answers: Array<Record<string, string>> = [
      { token, counter: wrongCounter },
      { token, counter: '' },
      { token: `${token}x`, counter, room: 'main' },
    ];
    for (const fields of answers) {
      const answer = await person.request('/_sanh/challenge', form({ ...fields, return: '/' }));
      expect(answer.status).toBe(403);
      expect(await answer.text()).toContain('không thành công');
    }
    const lost = await person.request('/_sanh/challenge', form({ token: 'garbage', counter }, 'application/json'));
    expect(lost.status).toBe(400);
    expect(await lost.json()).toMatchObject({ error: { code: 'bad_request' } });
  });

  it('refuses an expired puzzle and an expired proof', async () => {
    const { visitor, clock } = setUp();
    const person = visitor();
    const { token, counter } = await solved(person);
    clock.advance(30_000);
    const late = await person.request('/_sanh/challenge', form({ token, counter, return: '/' }));
    expect(late.status).toBe(403);
    expect(await late.text()).toContain('đã hết hạn');

    const again = await solved(person);
    expect((await person.request('/_sanh/challenge', form({ ...again, return: '/' }))).status).toBe(303);
    clock.advance(30_000);
    expect((await person.page('/apply')).headers.get('sanh-state')).toBe('challenge');
  });

  it('does not let a proof for one room into another', async () => {
    const { visitor } = setUp();
    const person = visitor();
    const { token, counter } = await solved(person, '/other/form');
    expect((await person.request('/_sanh/challenge', form({ token, counter, return: '/other/form' }))).headers.get('location')).toBe('/other/form');
    const stolen = visitor();
    stolen.jar.set('sanh_proof_main', person.jar.get('sanh_proof_other') as string);
    expect((await stolen.page('/apply')).status).toBe(403);
    expect((await person.page('/apply')).status).toBe(403);
    expect((await person.page('/other/form')).status).toBe(200);
  });

  it('without JavaScript, refuses an early press with the same puzzle and lets the visitor through after the wait', async () => {
    const { visitor, clock } = setUp();
    const person = visitor();
    const token = tokenOf(await (await person.page('/apply')).text());
    clock.advance(2_000);
    const early = await person.request('/_sanh/challenge', form({ token, nojs: '1', return: '/apply' }));
    expect(early.status).toBe(403);
    const html = await early.text();
    expect(html).toContain('đợi thêm 3 giây');
    expect(tokenOf(html)).toBe(token);
    expect(html).toContain('http-equiv="refresh" content="3;url=/_sanh/challenge?room=main&amp;return=%2Fapply&amp;token=');

    clock.advance(3_000);
    const ready = await person.page(`/_sanh/challenge?room=main&return=%2Fapply&token=${encodeURIComponent(token)}`);
    const readyHtml = await ready.text();
    expect(readyHtml).toContain('Bạn có thể tiếp tục');
    expect(readyHtml).not.toContain('http-equiv="refresh"');
    expect(tokenOf(readyHtml)).toBe(token);
    const through = await person.request('/_sanh/challenge', form({ token, nojs: '1', return: '/apply' }));
    expect(through.headers.get('location')).toBe('/apply');
  });

  it('sends visitors back only to paths on this site', async () => {
    const { visitor } = setUp();
    const cases: Array<[string, string]> = [
      ['/apply/step?x=1#top', '/apply/step?x=1#top'],
      ['//evil.example/', '/'],
      ['/\\evil.example/', '/'],
      ['https://evil.example/', '/'],
      ['javascript:alert(1)', '/'],
      ['/a\r\nSet-Cookie: x=1', '/'],
      ['/_sanh/status', '/'],
    ];
    for (const [asked, expected] of cases) {
      const person = visitor();
      const { token, counter } = await solved(person);
      const answer = await person.request('/_sanh/challenge', form({ token, counter, return: asked }));
      expect(answer.headers.get('location'), asked).toBe(expected);
    }
  });
});

describe('join challenge in Chromium', () => {
  let browser: Browser;
  let server: ServerType;
  let base: string;
  /** The server's clock runs `skew` ms ahead of the wall clock (to expire puzzles). */
  let skew = 0;

  beforeAll(async () => {
    const app = gatedPortal({ clock: () => Date.now() + skew, difficultyBits: 16, noScriptWaitSeconds: 2 });
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  async function open(options: { javaScriptEnabled?: boolean; noWebCrypto?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({
      baseURL: base,
      locale: 'vi-VN',
      viewport: { width: 320, height: 640 },
      javaScriptEnabled: options.javaScriptEnabled ?? true,
    });
    if (options.noWebCrypto) await context.addInitScript(() => Object.defineProperty(Crypto.prototype, 'subtle', { get: () => undefined }));
    return { context, page: await context.newPage() };
  }

  /** Milliseconds from asking for the page to seeing the portal, challenge included. */
  async function timeToPortal(options: { noWebCrypto?: boolean } = {}): Promise<number> {
    const { context, page } = await open(options);
    const started = Date.now();
    await page.goto('/apply');
    await page.waitForSelector('#portal', { timeout: 30_000 });
    const elapsed = Date.now() - started;
    await context.close();
    return elapsed;
  }

  function summary(times: number[]): string {
    const sorted = [...times].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    return `median ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${sorted.at(-1)} ms over ${sorted.length} runs`;
  }

  it('with JavaScript, solves 16 bits by itself and lands on the page asked for', async () => {
    const times: number[] = [];
    for (let run = 0; run < 10; run++) times.push(await timeToPortal());
    console.info(`16 bits, Web Crypto available: ${summary(times)}`);
    const fallback: number[] = [];
    for (let run = 0; run < 5; run++) fallback.push(await timeToPortal({ noWebCrypto: true }));
    console.info(`16 bits, no Web Crypto (ES5 SHA-256 only): ${summary(fallback)}`);
  }, 120_000);

  it('measures the hash rates the solver chooses between', async () => {
    const { context, page } = await open({ javaScriptEnabled: true });
    await page.goto('/_sanh/challenge?room=hard&return=/');
    const rates = await page.evaluate(async (sha) => {
      const prefix = `${(document.querySelector('input[name="token"]') as HTMLInputElement).value}:`;
      const hash = (new Function(`${sha};return sanhSha;`)() as (p: string) => (s: string) => number[])(prefix);
      for (let i = 0; i < 20_000; i++) hash(String(i));
      let started = performance.now();
      for (let i = 0; i < 100_000; i++) hash(String(i));
      const es5 = 100_000 / (performance.now() - started);
      const encoder = new TextEncoder();
      started = performance.now();
      for (let done = 0; done < 65_536; done += 1024) {
        await Promise.all(Array.from({ length: 1024 }, (_, i) => crypto.subtle.digest('SHA-256', encoder.encode(prefix + (done + i)))));
      }
      return { es5, web: 65_536 / (performance.now() - started) };
    }, SHA256_ES5);
    console.info(
      `hashes per second in Chromium: ES5 ${Math.round(rates.es5 * 1000)}, Web Crypto ${Math.round(rates.web * 1000)}; 2^16 hashes take ${Math.round(65_536 / rates.es5)} ms and ${Math.round(65_536 / rates.web)} ms`,
    );
    expect(rates.es5).toBeGreaterThan(0);
    await context.close();
  });

  it('shows its progress while it works, and Continue once the no-JavaScript wait is over', async () => {
    const { context, page } = await open();
    const response = await page.goto('/hard');
    expect(response?.status()).toBe(403);
    await expect.poll(() => page.textContent('#sanh-progress')).toContain('đang tự kiểm tra');
    expect(await page.isVisible('#sanh-bar')).toBe(true);
    expect(await page.isVisible('button')).toBe(false);
    await page.waitForTimeout(700);
    await page.screenshot({ path: new URL('challenge-vi.png', SCREENSHOTS).pathname, fullPage: true });
    await page.locator('button', { hasText: 'Tiếp tục' }).click({ timeout: 5_000 });
    await page.waitForSelector('#portal', { timeout: 10_000 });
    expect(page.url()).toBe(`${base}/hard`);
    await context.close();
  });

  it('without JavaScript, the visitor is told to wait, the page says when, and Continue gets them in', async () => {
    const { context, page } = await open({ javaScriptEnabled: false });
    const response = await page.goto('/apply?step=1');
    expect(response?.status()).toBe(403);
    expect(await page.textContent('#sanh-manual-text')).toContain('hãy đợi 2 giây rồi bấm Tiếp tục');
    await page.screenshot({ path: new URL('challenge-vi-nojs.png', SCREENSHOTS).pathname, fullPage: true });
    const press = () => page.locator('button', { hasText: 'Tiếp tục' }).click({ timeout: 5_000 });
    await press();
    expect(await page.textContent('body')).toContain('Bạn bấm hơi sớm');
    await page.waitForURL(/\/_sanh\/challenge\?.*token=/, { timeout: 10_000 });
    expect(await page.textContent('#sanh-manual-text')).toContain('Bạn có thể tiếp tục');
    await press();
    await page.waitForSelector('#portal', { timeout: 10_000 });
    expect(page.url()).toBe(`${base}/apply?step=1`);
    await context.close();
  });

  it('refuses a replayed POST of the same solution', async () => {
    const { context, page } = await open();
    const posted = page.waitForRequest((request) => request.method() === 'POST' && request.url().includes('/_sanh/challenge'));
    await page.goto('/apply');
    const body = (await posted).postData() ?? '';
    await page.waitForSelector('#portal', { timeout: 30_000 });
    const replay = await context.request.post(`${base}/_sanh/challenge`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      data: body,
      maxRedirects: 0,
    });
    expect(replay.status()).toBe(403);
    expect(await replay.text()).toContain('đã được dùng rồi');
    await context.close();
  });

  it('refuses an expired puzzle and offers a new one', async () => {
    const { context, page } = await open({ javaScriptEnabled: false });
    await page.goto('/apply');
    const token = await page.inputValue('input[name="token"]');
    skew += 31_000;
    await page.locator('button', { hasText: 'Tiếp tục' }).click({ timeout: 5_000 });
    expect(await page.textContent('.notice')).toContain('đã hết hạn');
    expect(await page.inputValue('input[name="token"]')).not.toBe(token);
    await context.close();
  });
});
