import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminSanh } from '../helpers/admin-sanh.js';
import { parseConfig } from '../../src/config/load.js';
import { startDemoPortal, type RunningDemoPortal } from '../../src/demo-portal/server.js';
import type { NodeSanh } from '../../src/entry/node-server.js';
import { axeViolations } from '../helpers/axe.js';
import { launchChromium } from '../helpers/browser.js';
import { uniquePrefix } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

const SCREENSHOTS = new URL('./screenshots/', import.meta.url);
const OPERATE = 'o'.repeat(32);
const READ = 'r'.repeat(32);
const shot = (page: Page, name: string) => page.screenshot({ path: new URL(`${name}.png`, SCREENSHOTS).pathname, fullPage: true });

/**
 * The operator dashboard in Chromium, on one of two Sảnh instances sharing a real Redis: a limit
 * changed on the page (after its confirmation step) takes effect on the other instance's public
 * side, and the page follows the line live over Server-Sent Events.
 */
describe('end to end in Chromium: the operator dashboard', () => {
  let browser: Browser;
  let portal: RunningDemoPortal;
  const instances: NodeSanh[] = [];
  const contexts: BrowserContext[] = [];
  const keyPrefix = uniquePrefix('dash');

  beforeAll(async () => {
    portal = await startDemoPortal({ port: 0, serviceMs: 5 });
    for (let i = 0; i < 2; i++) {
      const config = parseConfig({
        rooms: [
          {
            id: 'main',
            name: { vi: 'Cổng dịch vụ công', en: 'Public services portal' },
            match: ['/'],
            maxActive: 1,
            admitPerMinute: 600,
            sessionIdleSeconds: 600,
            noShowSeconds: 60,
          },
        ],
        snapshotIntervalMs: 100,
        redis: { keyPrefix },
      });
      instances.push(
        await startAdminSanh({
          config,
          originUrl: portal.url,
          tokens: `ops:operate:${OPERATE},viewer:read:${READ}`,
          dashboard: { sampleMs: 250, pushMs: 250 },
        }),
      );
    }
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    for (const sanh of instances) await sanh.close().catch(() => undefined);
    await portal?.close();
  });

  async function newPage(baseURL: string, locale: string, viewport = { width: 1280, height: 900 }, bypassCSP = false): Promise<Page> {
    const context = await browser.newContext({ baseURL, locale, viewport, bypassCSP });
    contexts.push(context);
    return context.newPage();
  }

  async function signIn(page: Page, token: string): Promise<void> {
    await page.goto('/dashboard');
    expect(new URL(page.url()).pathname).toBe('/dashboard/login');
    await page.fill('input[name=token]', token);
    await page.click('button[type=submit]');
    await page.waitForURL('**/dashboard?lang=*');
  }

  let operator: Page;
  let waiting: Page;

  it('signs an operator in, and refuses a wrong token', async () => {
    const [a] = instances as [NodeSanh, NodeSanh];
    operator = await newPage(a.adminUrl!, 'vi-VN');
    await operator.goto('/dashboard');
    await operator.fill('input[name=token]', 'x'.repeat(32));
    await operator.click('button[type=submit]');
    expect(await operator.textContent('[role=alert]')).toContain('Mã không đúng');
    await shot(operator, 'dashboard-login-vi');
    await signIn(operator, OPERATE);
    expect(await operator.textContent('h2')).toBe('Cổng dịch vụ công');
    expect(await operator.textContent('[data-value="main:activeMax"]')).toBe('trên tối đa 1');
  });

  it('shows the line live, and a raised limit admits the waiting visitor on the other instance', async () => {
    const [, b] = instances as [NodeSanh, NodeSanh];
    const first = await newPage(b.url, 'vi-VN', { width: 390, height: 844 });
    expect((await first.goto('/'))?.headers()['sanh-state']).toBe('admitted');
    waiting = await newPage(b.url, 'vi-VN', { width: 390, height: 844 });
    expect((await waiting.goto('/apply/step/1'))?.headers()['sanh-state']).toBe('queued');

    await operator.waitForFunction(() => document.querySelector('[data-value="main:waiting"]')?.textContent === '1', undefined, { timeout: 5_000 });
    expect(await operator.textContent('[data-value="main:active"]')).toBe('1');
    expect(await operator.textContent('#live')).toBe('Đang cập nhật trực tiếp');
    expect(await operator.locator('[data-chart="main:waiting"] polyline').count()).toBeGreaterThan(0);
    await shot(operator, 'dashboard-vi');

    await operator.fill('input[name=maxActive]', '2');
    await operator.click('form.controls button[type=submit]');
    await operator.waitForSelector('table.changes');
    expect(await operator.textContent('.narrow h1')).toBe('Xác nhận thay đổi');
    expect(await operator.textContent('table.changes')).toContain('maxActive');
    await shot(operator, 'dashboard-confirm-vi');
    expect(await waiting.textContent('h1')).toBe('Bạn đang trong hàng chờ');

    const confirmedAt = Date.now();
    await operator.click('#confirm');
    await operator.waitForURL('**/dashboard?lang=vi&done=main*');
    expect(await operator.textContent('.notice[role=status]')).toContain('Đã áp dụng thay đổi');
    expect(await operator.textContent('[data-value="main:activeMax"]')).toBe('trên tối đa 2');

    await waiting.waitForSelector('form[data-sanh-draft="residence-application"]', { timeout: 10_000 });
    expect(Date.now() - confirmedAt).toBeLessThan(10_000);
    expect(await waiting.textContent('h1')).toBe('Đăng ký thường trú');
    await operator.waitForFunction(() => document.querySelector('[data-value="main:active"]')?.textContent === '2', undefined, { timeout: 5_000 });
    expect(await operator.textContent('[data-value="main:waiting"]')).toBe('0');
  });

  it('pauses the room with a message from the page, in English, and the public side says so', async () => {
    const [, b] = instances as [NodeSanh, NodeSanh];
    await operator.click('a[hreflang=en]');
    await operator.waitForURL('**/dashboard?lang=en');
    expect(await operator.textContent('header.top h1')).toBe('Sảnh dashboard');
    await operator.selectOption('select[name=mode]', 'paused');
    await operator.fill('textarea[name=message_en]', 'Paused for maintenance until 14:00.');
    await operator.click('form.controls button[type=submit]');
    await operator.waitForSelector('table.changes');
    expect(await operator.textContent('table.changes')).toContain('Paused');
    await shot(operator, 'dashboard-confirm-en');
    await operator.click('#confirm');
    await operator.waitForURL('**/dashboard?lang=en&done=main*');
    expect(await operator.textContent('[data-value="main:mode"]')).toBe('Paused');

    const newcomer = await newPage(b.url, 'en-GB', { width: 390, height: 844 });
    const deadline = Date.now() + 2_000;
    let state: string | undefined;
    do {
      state = (await newcomer.goto('/apply'))?.headers()['sanh-state'];
    } while (state !== 'paused' && Date.now() < deadline);
    expect(state).toBe('paused');
    expect(await newcomer.textContent('body')).toContain('Paused for maintenance until 14:00.');
    await shot(operator, 'dashboard-en');

    const audit = await fetch(`${instances[0]!.adminUrl}/api/audit`, { headers: { authorization: `Bearer ${READ}` } });
    const entries = ((await audit.json()) as { entries: { by: string; action: string; before: Record<string, unknown>; after: Record<string, unknown> }[] })
      .entries;
    expect(entries.slice(0, 2).map((e) => [e.by, e.action, e.after.mode, e.after.maxActive])).toEqual([
      ['ops', 'dashboard', 'paused', 2],
      ['ops', 'dashboard', 'open', 2],
    ]);
  });

  it('shows a read-only token the figures without controls', async () => {
    const viewer = await newPage(instances[1]!.adminUrl!, 'en-GB', { width: 390, height: 844 });
    await signIn(viewer, READ);
    expect(await viewer.textContent('.notice.problem')).toBe('Your token may look, not change.');
    expect(await viewer.locator('form.controls').count()).toBe(0);
    expect(await viewer.textContent('[data-value="main:mode"]')).toBe('Paused');
    await shot(viewer, 'dashboard-read-only-en-phone');
  });

  it('has no accessibility violations on the sign-in, dashboard and confirmation pages, in both languages', async () => {
    for (const lang of ['vi', 'en'] as const) {
      const page = await newPage(instances[0]!.adminUrl!, lang === 'vi' ? 'vi-VN' : 'en-GB', { width: 1280, height: 900 }, true);
      await page.goto('/dashboard/login');
      expect(await axeViolations(page)).toEqual([]);
      await signIn(page, OPERATE);
      expect(await axeViolations(page)).toEqual([]);
      await page.fill('input[name=maxActive]', '3');
      await page.click('form.controls button[type=submit]');
      await page.waitForSelector('table.changes');
      expect(await axeViolations(page)).toEqual([]);
    }
  });

  it('renders the dashboard and the waiting page under their Content-Security-Policy with no violation, their scripts running', async () => {
    const [a, b] = instances as [NodeSanh, NodeSanh];
    const reset = await fetch(`${a.adminUrl}/api/rooms/main/settings`, { method: 'DELETE', headers: { authorization: `Bearer ${OPERATE}` } });
    expect(reset.status).toBe(200);
    /** Violations the page reports (`securitypolicyviolation`) and the console's errors, per page. */
    async function watched(baseURL: string, viewport?: { width: number; height: number }) {
      const page = await newPage(baseURL, 'vi-VN', viewport);
      const reported: string[] = [];
      await page.exposeFunction('reportCspViolation', (text: string) => reported.push(text));
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (event) => {
          (window as unknown as { reportCspViolation(text: string): void }).reportCspViolation(
            `${event.effectiveDirective} ${event.blockedURI} ${event.sample}`,
          );
        });
      });
      page.on('console', (message) => {
        // Chromium logs every refusal ("Refused to … because it violates the following Content Security Policy directive")
        if (message.type() === 'error' && /Content Security Policy|Refused to/.test(message.text())) reported.push(`console: ${message.text()}`);
      });
      return { page, reported };
    }
    /** An inline script no hash allows is refused and reported: the policy is in force and the watch sees it. */
    async function probeInjection(page: Page, reported: string[]) {
      await page.evaluate(() => {
        const script = document.createElement('script');
        script.textContent = 'window.injected = 1';
        document.body.appendChild(script);
      });
      await until(() => reported.some((r) => r.startsWith('script-src-elem inline')), { ms: 5_000, what: 'the injected script to be reported' });
      expect(await page.evaluate(() => (window as unknown as { injected?: number }).injected)).toBeUndefined();
      return reported.filter((r) => !r.startsWith('script-src-elem inline') && !r.includes('window.injected') && !r.includes('inline script'));
    }

    const board = await watched(a.adminUrl!);
    const login = await board.page.goto('/dashboard/login');
    expect(login?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(login?.headers()['x-frame-options']).toBe('DENY');
    await signIn(board.page, OPERATE);
    await board.page.waitForFunction(() => document.querySelector('#live')?.textContent === 'Đang cập nhật trực tiếp', undefined, { timeout: 5_000 });
    expect(await board.page.locator('[data-chart="main:waiting"] polyline').count()).toBeGreaterThan(0);
    expect(board.reported).toEqual([]);
    expect(await probeInjection(board.page, board.reported)).toEqual([]);

    const holder = await newPage(b.url, 'vi-VN');
    await holder.goto('/'); // takes the room's one slot, unless earlier visitors hold it already
    const line = await watched(b.url, { width: 390, height: 844 });
    const polled = line.page.waitForRequest((request) => request.url().includes('/_sanh/status'), { timeout: 20_000 });
    const waitingPage = await line.page.goto('/apply/step/1');
    expect(waitingPage?.headers()['sanh-state']).toBe('queued');
    expect(waitingPage?.headers()['content-security-policy']).toContain("default-src 'none'");
    expect(waitingPage?.headers()['x-content-type-options']).toBe('nosniff');
    expect(await line.page.textContent('h1')).toBe('Bạn đang trong hàng chờ');
    expect(await line.page.evaluate(() => getComputedStyle(document.body).margin)).toBe('0px'); // the inline style sheet applies
    await polled; // the inline poller runs
    expect(line.reported).toEqual([]);
    expect(await probeInjection(line.page, line.reported)).toEqual([]);
  }, 40_000);
});
