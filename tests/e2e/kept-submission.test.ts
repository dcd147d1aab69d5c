import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { startNodeSanh, type NodeSanh } from '../../src/entry/node-server.js';
import { parseKeyRing } from '../../src/platform/keyring.js';
import { silentLogger } from '../../src/platform/logger.js';
import type { ReceiptView } from '../../src/submissions/view.js';
import { axeViolations } from '../helpers/axe.js';
import { launchChromium } from '../helpers/browser.js';
import { until } from '../helpers/until.js';

const SCREENSHOTS = new URL('./screenshots/', import.meta.url);
const TYPED = { fullName: 'Nguyễn Thị Hoa', address: '12 Tôn Đức Thắng\nĐống Đa, Hà Nội' };

/** The portal's last step: a form that posts to `/apply/submit`. */
const FORM_PAGE = `<!doctype html><html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Đăng ký thường trú</title></head>
<body><main><h1>Đăng ký thường trú</h1><form method="post" action="/apply/submit">
<p><label for="f-fullName">Họ và tên</label> <input id="f-fullName" name="fullName"></p>
<p><label for="f-address">Địa chỉ</label> <textarea id="f-address" name="address"></textarea></p>
<p><button type="submit">Nộp hồ sơ</button></p></form></main></body></html>`;

/**
 * The page a citizen sees when the room cannot keep their final submission (its `maxWaiting` of
 * one is taken, by a submission the portal has not yet received), in Chromium behind a real Sảnh
 * with its page policy: it has Sảnh's look and primary button under that policy, its language
 * switch keeps what was typed (with or without JavaScript), nothing reaches the portal until
 * "Send again", and then exactly once.
 */
describe('the kept-submission page in Chromium', () => {
  let sanh: NodeSanh;
  let browser: Browser;
  let portalDown = true;
  const filed: string[] = [];
  /** What beforeAll started, to stop in the reverse order (closing the browser closes its contexts). */
  const started: (() => Promise<unknown>)[] = [];
  let waiting: ReceiptView;

  beforeAll(async () => {
    const portal = new Hono();
    portal.get('/apply/form', (c) => c.html(FORM_PAGE));
    portal.post('/apply/submit', async (c) => {
      if (portalDown) return c.text('down', 503);
      filed.push(await c.req.text());
      return c.html('<!doctype html><html lang="vi"><title>Đã nộp</title><h1>Đã nộp hồ sơ</h1></html>');
    });
    const origin = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: portal.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    started.push(() => new Promise((resolve) => origin.close(resolve)));
    const config = parseConfig({
      rooms: [
        {
          id: 'residence',
          match: ['/'],
          maxActive: 50,
          admitPerMinute: 600,
          submissions: { routes: [{ path: '/apply/submit', defer: 'always' }], maxWaiting: 1 },
        },
      ],
      // Retried every second and never given up on while the test runs (at the default 12 attempts it went to the dead letters
      // after some 12 s, freeing the room early on a loaded machine).
      submissions: { delivery: { initialBackoff: '1s', maxBackoff: '1s', maxAttempts: 1_000 } },
    });
    const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    sanh = await startNodeSanh({ config, keyRing: parseKeyRing(`e2e:${'k'.repeat(40)}`), originUrl, port: 0, hostname: '127.0.0.1', logger: silentLogger });
    started.push(() => sanh.close());
    // The one submission the room keeps, waiting while the portal is down.
    const first = await fetch(`${sanh.url}/apply/submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: 'fullName=Tr%E1%BA%A7n+V%C4%83n+An',
    });
    expect(first.status).toBe(202);
    waiting = (await first.json()) as ReceiptView;
    browser = await launchChromium();
    started.push(() => browser.close());
  });

  afterAll(async () => {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
  });

  /** A phone (320 px) that fills in the portal's form and sends it: the kept page, with the CSP reports the page caused. */
  async function refusedOn(options: { javaScriptEnabled?: boolean; bypassCSP?: boolean } = {}): Promise<{ page: Page; blocked: string[] }> {
    const page = await (await browser.newContext({ baseURL: sanh.url, locale: 'vi-VN', viewport: { width: 320, height: 640 }, ...options })).newPage();
    const blocked: string[] = [];
    page.on('console', (message) => void (message.type() === 'error' && message.text().includes('Content Security Policy') && blocked.push(message.text())));
    await page.goto('/apply/form');
    await page.fill('#f-fullName', TYPED.fullName);
    await page.fill('#f-address', TYPED.address);
    const [answer] = await Promise.all([page.waitForResponse('**/apply/submit'), page.click('button[type=submit]')]);
    expect(answer.status()).toBe(503);
    return { page, blocked };
  }

  /** A CSP report about a style (`Refused to apply inline style …`, or a style sheet refused to load). */
  const isStyle = (text: string) => /Refused to (apply|load the stylesheet)/.test(text);

  /** What the kept page's form carries, as the browser holds it. */
  const carried = (page: Page) =>
    page.$$eval('#sanh-again input[type=hidden]', (inputs) =>
      Object.fromEntries(inputs.map((i) => [(i as HTMLInputElement).name, (i as HTMLInputElement).value])),
    );

  it("has the look of Sảnh's pages under their policy: the card, the primary button, the language switch below", async () => {
    const { page, blocked } = await refusedOn();
    expect(await page.getAttribute('html', 'lang')).toBe('vi');
    expect(await page.textContent('h1')).toBe('Hồ sơ của bạn chưa được gửi đi — những gì bạn đã điền vẫn còn');
    const button = page.locator('#sanh-again button[type=submit]');
    expect(await button.innerText()).toBe('Gửi lại');
    const look = await button.evaluate((b) => {
      const style = getComputedStyle(b);
      return { background: style.backgroundColor, color: style.color, weight: style.fontWeight, height: b.getBoundingClientRect().height };
    });
    expect(look).toMatchObject({ background: 'rgb(11, 92, 173)', color: 'rgb(255, 255, 255)', weight: '600' });
    expect(look.height).toBeGreaterThanOrEqual(44);
    expect(await page.locator('.card').evaluate((card) => getComputedStyle(card).backgroundColor)).toBe('rgb(255, 255, 255)');
    expect(await page.locator('nav input[type=submit]').getAttribute('value')).toBe('English');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
    // The policy refuses nothing of the page's: its styles apply, its countdown runs.
    expect(blocked).toEqual([]);
    expect(await page.isVisible('#sanh-auto')).toBe(true);
    const counted = Number(await page.textContent('#sanh-count'));
    await page.waitForFunction((from) => Number(document.getElementById('sanh-count')?.textContent) < from, counted);
    expect(
      await page.locator('nav input[type=submit]').evaluate((b) => ({ color: getComputedStyle(b).color, background: getComputedStyle(b).backgroundColor })),
    ).toEqual({ color: 'rgb(11, 92, 173)', background: 'rgba(0, 0, 0, 0)' });
    await page.screenshot({ path: new URL('kept-vi.png', SCREENSHOTS).pathname, fullPage: true });

    await Promise.all([page.waitForURL('**/_sanh/kept?lang=en&s=*'), page.click('nav input[type=submit]')]);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('h1')).toBe('Your submission was not sent yet — what you filled in is kept');
    expect(await page.locator('#sanh-again button[type=submit]').innerText()).toBe('Send again');
    expect(await page.locator('nav input[type=submit]').getAttribute('value')).toBe('Tiếng Việt');
    expect(await carried(page)).toEqual(TYPED);
    expect(blocked.filter(isStyle)).toEqual([]);
    await page.screenshot({ path: new URL('kept-en.png', SCREENSHOTS).pathname, fullPage: true });
    expect(filed).toEqual([]);
  });

  it('without JavaScript: the wait is said, the switch keeps the form both ways, and "Send again" sends what was typed', async () => {
    const { page } = await refusedOn({ javaScriptEnabled: false });
    expect(await page.locator('main').innerText()).toContain('Vui lòng bấm «Gửi lại» sau khoảng 1 phút.');
    expect(await page.isVisible('#sanh-auto')).toBe(false);
    await Promise.all([page.waitForURL('**/_sanh/kept?lang=en&s=*'), page.click('nav input[type=submit]')]);
    expect(await page.locator('main').innerText()).toContain('Please press "Send again" in');
    expect(await carried(page)).toEqual(TYPED);
    await Promise.all([page.waitForURL('**/_sanh/kept?lang=vi&s=*'), page.click('nav input[type=submit]')]);
    expect(await page.getAttribute('html', 'lang')).toBe('vi');
    expect(await carried(page)).toEqual(TYPED);
    await page.screenshot({ path: new URL('kept-vi-nojs.png', SCREENSHOTS).pathname, fullPage: true });
    // Nothing reached the portal; once the submission ahead is delivered, the room has space again.
    expect(filed).toEqual([]);
    portalDown = false;
    await until(
      async () =>
        ((await (await fetch(`${sanh.url}${waiting.statusUrl}`, { headers: { accept: 'application/json' } })).json()) as ReceiptView).state === 'delivered',
      { ms: 15_000, what: 'the submission ahead delivered' },
    );
    const [answer] = await Promise.all([page.waitForResponse('**/apply/submit'), page.click('#sanh-again button[type=submit]')]);
    expect(answer.status()).toBe(202);
    expect(await page.textContent('h1')).toBe('Hồ sơ của bạn đã được tiếp nhận');
    await until(() => filed.length === 2, { ms: 15_000, what: 'the sent-again submission delivered' });
    expect(new URLSearchParams(filed[1])).toEqual(new URLSearchParams({ fullName: TYPED.fullName, address: TYPED.address.replace('\n', '\r\n') }));
  });

  it('has no accessibility violations in either language', async () => {
    portalDown = true;
    // The room has space now (once the last one is recorded as delivered): another submission fills it first.
    const fill = () =>
      fetch(`${sanh.url}/apply/submit`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: 'fullName=L%C3%AA+Th%E1%BB%8B+B%C3%ACnh',
      });
    await until(async () => (await fill()).status === 202, { ms: 5_000, everyMs: 100, what: 'the room to keep one more' });
    // axe is a script of its own: this context does not apply the page policy.
    const { page } = await refusedOn({ bypassCSP: true });
    expect(await axeViolations(page)).toEqual([]);
    await Promise.all([page.waitForURL('**/_sanh/kept?lang=en&s=*'), page.click('nav input[type=submit]')]);
    expect(await axeViolations(page)).toEqual([]);
  });
});
