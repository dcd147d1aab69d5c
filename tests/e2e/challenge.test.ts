import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { startDemoPortal, type RunningDemoPortal } from '../../src/demo-portal/server.js';
import { startNodeSanh, type NodeSanh } from '../../src/entry/node-server.js';
import { parseKeyRing } from '../../src/platform/keyring.js';
import { silentLogger } from '../../src/platform/logger.js';
import { launchChromium } from '../helpers/browser.js';

const SCREENSHOTS = new URL('./screenshots/', import.meta.url);

describe('join challenge in Chromium', () => {
  let browser: Browser;
  let portal: RunningDemoPortal;
  let sanh: NodeSanh;

  beforeAll(async () => {
    portal = await startDemoPortal({ port: 0, serviceMs: 5 });
    const config = parseConfig({
      rooms: [{ id: 'main', match: ['/'], maxActive: 50, admitPerMinute: 6000, challenge: { enabled: true, difficultyBits: 14, noScriptWaitSeconds: 2 } }],
    });
    sanh = await startNodeSanh({ config, keyRing: parseKeyRing(`e2e:${'p'.repeat(40)}`), originUrl: portal.url, port: 0, hostname: '127.0.0.1', logger: silentLogger });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await sanh?.close();
    await portal?.close();
  });

  it('solves the puzzle in the browser and lands on the page asked for', async () => {
    const context = await browser.newContext({ baseURL: sanh.url, locale: 'vi-VN', viewport: { width: 320, height: 640 } });
    const page = await context.newPage();
    const started = Date.now();
    await page.goto('/apply');
    await page.waitForURL('**/apply', { timeout: 30_000 });
    await page.waitForSelector('#f-fullName', { timeout: 30_000 });
    console.info(`challenge of 14 bits solved and joined in ${Date.now() - started} ms`);
    expect(await page.textContent('body')).not.toContain('Kiểm tra nhanh');
    await context.close();
  });

  it('without JavaScript, the visitor waits, presses Continue and gets in', async () => {
    const context = await browser.newContext({ baseURL: sanh.url, locale: 'vi-VN', javaScriptEnabled: false, viewport: { width: 320, height: 640 } });
    const page = await context.newPage();
    const response = await page.goto('/apply');
    expect(response?.status()).toBe(403);
    await page.screenshot({ path: new URL('challenge-vi-nojs.png', SCREENSHOTS).pathname, fullPage: true });
    const press = () => page.locator('button:visible', { hasText: 'Tiếp tục' }).first().click({ timeout: 5_000 });
    await press();
    expect(await page.textContent('body')).toContain('đợi thêm');
    await page.waitForTimeout(2_100);
    await press();
    await page.waitForSelector('#f-fullName', { timeout: 10_000 });
    await context.close();
  });
});
