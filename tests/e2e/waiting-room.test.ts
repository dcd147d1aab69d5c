import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { startDemoPortal, type RunningDemoPortal } from '../../src/demo-portal/server.js';
import { startNodeSanh, type NodeSanh } from '../../src/entry/node-server.js';
import { parseKeyRing } from '../../src/platform/keyring.js';
import { silentLogger } from '../../src/platform/logger.js';
import { launchChromium } from '../helpers/browser.js';

const SCREENSHOTS = new URL('./screenshots/', import.meta.url);

async function completeApplication(page: Page): Promise<string> {
  await page.goto('/apply');
  await page.fill('#f-fullName', 'Nguyễn Thị Hoa');
  await page.fill('#f-birthDate', '1948-05-19');
  await page.fill('#f-nationalId', '001148012345');
  await page.click('button[type=submit]');
  await page.fill('#f-province', 'Hà Nội');
  await page.fill('#f-district', 'Đống Đa');
  await page.fill('#f-address', '12 Tôn Đức Thắng');
  await page.click('button[type=submit]');
  await page.fill('#f-documents', 'Giấy xác nhận chỗ ở hợp pháp');
  await page.fill('#f-phone', '0912345678');
  await page.click('button[type=submit]');
  await page.waitForURL('**/apply/review');
  await page.click('button[type=submit]');
  return (await page.textContent('#application-number')) ?? '';
}

describe('end to end in Chromium: maxActive 2 in front of the demo portal', () => {
  let browser: Browser;
  let portal: RunningDemoPortal;
  let sanh: NodeSanh;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    portal = await startDemoPortal({ port: 0, serviceMs: 5 });
    const config = parseConfig({
      rooms: [{ id: 'main', match: ['/'], maxActive: 2, admitPerMinute: 600, sessionIdleSeconds: 600, noShowSeconds: 60 }],
      snapshotIntervalMs: 100,
    });
    sanh = await startNodeSanh({
      config,
      keyRing: parseKeyRing(`e2e:${'e'.repeat(40)}`),
      originUrl: portal.url,
      port: 0,
      hostname: '127.0.0.1',
      logger: silentLogger,
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await sanh?.close();
    await portal?.close();
  });

  async function newVisitor(locale = 'vi-VN'): Promise<Page> {
    const context = await browser.newContext({ baseURL: sanh.url, locale, viewport: { width: 390, height: 844 } });
    contexts.push(context);
    return context.newPage();
  }

  let second: Page;
  let third: Page;

  it('lets two in, seats the third at position 1, and admits them after a session ends', async () => {
    const first = await newVisitor();
    second = await newVisitor();
    third = await newVisitor();

    for (const page of [first, second]) {
      const response = await page.goto('/');
      expect(response?.headers()['sanh-state']).toBe('admitted');
      expect(await page.textContent('h1')).toBe('Dịch vụ công trực tuyến');
    }

    const waiting = await third.goto('/apply/step/1');
    expect(waiting?.status()).toBe(503);
    expect(waiting?.headers()['sanh-state']).toBe('queued');
    expect(await third.textContent('h1')).toBe('Bạn đang trong hàng chờ');
    expect((await third.textContent('#sanh-pos'))?.trim()).toBe('1');
    expect(await third.textContent('#sanh-ahead')).toBe('Bạn là người tiếp theo.');
    await third.screenshot({ path: new URL('waiting-page-vi.png', SCREENSHOTS).pathname, fullPage: true });

    const applicationNumber = await completeApplication(first);
    expect(applicationNumber).toMatch(/^HS-2026-\d{6}$/);
    const endedAt = Date.now();

    await third.waitForURL('**/apply/step/1', { timeout: 10_000 });
    await third.waitForSelector('form[data-sanh-draft="residence-application"]', { timeout: 10_000 });
    expect(Date.now() - endedAt).toBeLessThan(10_000);
    expect(await third.textContent('h1')).toBe('Đăng ký thường trú');
    await third.screenshot({ path: new URL('admitted-after-wait.png', SCREENSHOTS).pathname, fullPage: true });

    const again = await first.goto('/');
    expect(again?.headers()['sanh-state']).toBe('queued');
  });

  it('shows the waiting page in English, and without JavaScript refreshes itself until admitted', async () => {
    const context = await browser.newContext({ baseURL: sanh.url, locale: 'en-GB', javaScriptEnabled: false, viewport: { width: 360, height: 740 } });
    contexts.push(context);
    const page = await context.newPage();
    const response = await page.goto('/apply', { waitUntil: 'domcontentloaded' });
    expect(response?.headers()['sanh-state']).toBe('queued');
    expect(await page.textContent('h1')).toBe('You are in line');
    expect((await page.textContent('#sanh-pos'))?.trim()).toBe('2');
    const refresh = await page.$eval('noscript', (el) => el.innerHTML);
    expect(refresh).toMatch(/http-equiv="refresh" content="\d+"/);
    await page.screenshot({ path: new URL('waiting-page-en-nojs.png', SCREENSHOTS).pathname, fullPage: true });

    expect(await completeApplication(second)).toMatch(/^HS-2026-\d{6}$/);
    expect(await completeApplication(third)).toMatch(/^HS-2026-\d{6}$/);
    await page.waitForSelector('form[data-sanh-draft="residence-application"]', { timeout: 15_000 });
    expect(page.url()).toContain('/apply/step/1');
  });

  it('stops polling while the tab is hidden and polls again at once when it is shown', async () => {
    const page = await newVisitor();
    const polls: number[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/_sanh/status')) polls.push(Date.now());
    });
    await page.goto('/apply');
    expect(await page.textContent('h1')).toBe('Bạn đang trong hàng chờ');
    await page.waitForTimeout(5_000);
    expect(polls.length).toBeGreaterThan(0);
    await page.evaluate(() => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    const hiddenAt = Date.now();
    await page.waitForTimeout(6_000);
    expect(polls.filter((t) => t > hiddenAt + 100)).toEqual([]);
    const shownAt = Date.now();
    await page.evaluate(() => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await page.waitForTimeout(1_000);
    expect(polls.filter((t) => t >= shownAt).length).toBeGreaterThanOrEqual(1);
    await page.context().close();
  });
});
