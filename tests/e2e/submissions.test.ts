import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createDemoPortal } from '../../src/demo-portal/app.js';
import { startNodeSanh, type NodeSanh } from '../../src/entry/node-server.js';
import { parseKeyRing } from '../../src/platform/keyring.js';
import { silentLogger } from '../../src/platform/logger.js';
import { launchChromium } from '../helpers/browser.js';

const SCREENSHOTS = new URL('./screenshots/', import.meta.url);
const STEPS: Record<string, string>[] = [
  { fullName: 'Nguyễn Thị Hoa', birthDate: '1948-05-19', nationalId: '001148012345' },
  { province: 'Hà Nội', district: 'Đống Đa', address: '12 Tôn Đức Thắng' },
  { documents: 'Giấy xác nhận cư trú', phone: '0912345678' },
];

/**
 * A citizen's final submission end to end in Chromium: the demo portal's residence application
 * behind a real Sảnh (in-memory store). The portal fails just as the citizen presses "Nộp hồ sơ";
 * Sảnh keeps the submission and shows the receipt; when the portal is back the receipt page turns
 * to "delivered" with the portal's application number by itself, and the portal's answer can be
 * opened from it.
 */
describe('a deferred submission in Chromium: receipt, then delivered', () => {
  let browser: Browser;
  let server: ServerType;
  let sanh: NodeSanh;
  let portalDown = false;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    const demo = createDemoPortal({ serviceMs: 1 });
    server = await new Promise<ServerType>((resolve) => {
      const s = serve(
        {
          port: 0,
          hostname: '127.0.0.1',
          fetch: (request) => (portalDown && request.method === 'POST' ? new Response('down', { status: 503 }) : demo.app.fetch(request)),
        },
        () => resolve(s),
      );
    });
    const config = parseConfig({
      rooms: [
        {
          id: 'residence',
          match: ['/'],
          maxActive: 50,
          admitPerMinute: 600,
          submissions: { routes: [{ path: '/apply/submit' }] },
        },
      ],
      submissions: { delivery: { initialBackoff: '1s', maxBackoff: '2s' } },
    });
    sanh = await startNodeSanh({
      config,
      keyRing: parseKeyRing(`e2e:${'r'.repeat(40)}`),
      originUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
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
    await new Promise((resolve) => server?.close(resolve));
  });

  it("shows the receipt at once while the portal fails, and the portal's application number once delivered", async () => {
    const context = await browser.newContext({ baseURL: sanh.url, locale: 'vi-VN', viewport: { width: 390, height: 844 } });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto('/apply/step/1');
    for (const [index, values] of STEPS.entries()) {
      for (const [name, text] of Object.entries(values)) await page.fill(`#f-${name}`, text);
      await page.click('button[type=submit]');
      await page.waitForURL(index + 1 < STEPS.length ? `**/apply/step/${index + 2}` : '**/apply/review');
    }

    portalDown = true;
    const [answer] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/apply/submit')), page.click('button[type=submit]')]);
    expect(answer.status()).toBe(202);
    expect(answer.headers()['sanh-state']).toBe('deferred');
    await expect.poll(() => page.locator('h1').textContent()).toContain('đã được tiếp nhận');
    const statusUrl = answer.headers().location as string;
    const receipt = (await (await context.request.get(statusUrl, { headers: { accept: 'application/json' } })).json()) as {
      receiptNumber: string;
      state: string;
    };
    const number = receipt.receiptNumber;
    expect(number).toMatch(/^\d{6}-\d{6}$/);
    await expect.poll(() => page.getByText(number).count()).toBeGreaterThan(0);
    await page.screenshot({ path: fileURLToPath(new URL('submission-receipt-accepted.png', SCREENSHOTS)), fullPage: true });

    portalDown = false;
    await page.waitForURL('**/_sanh/receipts/**', { timeout: 20_000 });
    await expect.poll(() => page.locator('body').textContent(), { timeout: 20_000 }).toContain('HS-');
    const body = (await page.locator('body').textContent()) ?? '';
    expect(body).toContain(number as string);
    expect(body).toMatch(/HS-\d{4}-000001/);
    await page.screenshot({ path: fileURLToPath(new URL('submission-receipt-delivered.png', SCREENSHOTS)), fullPage: true });

    const [shown] = await Promise.all([page.waitForEvent('load').then(() => page), page.click('text=Xem trả lời của cổng')]);
    expect(await shown.locator('body').textContent()).toMatch(/HS-\d{4}-000001/);
  }, 60_000);
});
