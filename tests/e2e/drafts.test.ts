import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { startDemoPortal, type RunningDemoPortal } from '../../src/demo-portal/server.js';
import { startNodeSanh, type NodeSanh } from '../../src/entry/node-server.js';
import { parseKeyRing } from '../../src/platform/keyring.js';
import { silentLogger } from '../../src/platform/logger.js';
import { launchChromium } from '../helpers/browser.js';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js';

/**
 * The draft-resume store end to end: the demo portal's residence application behind a real Sảnh
 * (Redis store), the autosave script (`/_sanh/draft.js`) in Debian's Chromium at 390 px.
 */

const SCREENSHOTS = new URL('./screenshots/', import.meta.url);
const FORM = 'residence-application';
const SAVED = /^Đã lưu trên máy chủ lúc \d\d:\d\d$/;
const OFFLINE = 'Mất kết nối — đã lưu trên thiết bị này';

const STEP1 = { fullName: 'Nguyễn Thị Hoa', birthDate: '1948-05-19', nationalId: '001148012345' };
const STEP2 = { province: 'Hà Nội', district: 'Đống Đa', address: '12 Tôn Đức Thắng' };

type DraftView = { id: string; revision: number; resumeCode: string; fields: Record<string, unknown>; returnTo: string };
type LocalCopy = { id: string; rev: number; values: Record<string, unknown>; base: Record<string, unknown>; dirty: string[]; code: string };

const status = (page: Page) => page.locator('.sanh-st');
const value = (page: Page, name: string) => page.inputValue(`#f-${name}`);

/** The script's copy on this device (localStorage), or null. */
async function localCopy(page: Page): Promise<LocalCopy | null> {
  const text = await page.evaluate((key) => localStorage.getItem(key), `sanh-draft:${FORM}`);
  return text === null ? null : (JSON.parse(text) as LocalCopy);
}

/** The server's copy, read from the page (the owner cookie is the page's). */
async function serverCopy(page: Page, id: string): Promise<{ status: number; view?: DraftView }> {
  return page.evaluate(async (draftId) => {
    const answer = await fetch(`/_sanh/drafts/${draftId}`, { headers: { accept: 'application/json' } });
    return { status: answer.status, ...(answer.ok ? { view: (await answer.json()) as DraftView } : {}) };
  }, id);
}

async function fill(page: Page, values: Record<string, string>) {
  for (const [name, text] of Object.entries(values)) await page.fill(`#f-${name}`, text);
}

describe('drafts end to end in Chromium: autosave, offline, restart, resume on another device, stale tabs, forgetting on a device', () => {
  let browser: Browser;
  let portal: RunningDemoPortal;
  let sanh: NodeSanh;
  let port: number;
  const contexts: BrowserContext[] = [];
  const config = parseConfig({
    rooms: [{ id: 'main', match: ['/'], maxActive: 50, admitPerMinute: 600, sessionIdleSeconds: 600 }],
    snapshotIntervalMs: 100,
    redis: { keyPrefix: uniquePrefix('drafts-e2e') },
  });
  const keyRing = parseKeyRing(`e2e:${'d'.repeat(40)}`);
  const startSanh = (onPort: number) =>
    startNodeSanh({ config, keyRing, originUrl: portal.url, redisUrl: testRedisUrl(), port: onPort, hostname: '127.0.0.1', logger: silentLogger });

  beforeAll(async () => {
    portal = await startDemoPortal({ port: 0, serviceMs: 5 });
    sanh = await startSanh(0);
    port = sanh.port;
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await sanh?.close();
    await portal?.close();
  });

  async function newDevice(): Promise<BrowserContext> {
    const context = await browser.newContext({ baseURL: sanh.url, locale: 'vi-VN', viewport: { width: 390, height: 844 } });
    contexts.push(context);
    return context;
  }

  let device: BrowserContext;
  let tabA: Page;
  let draftId: string;

  it('keeps every field through the browser going offline, Sảnh being killed and restarted, and a reload', async () => {
    device = await newDevice();
    tabA = await device.newPage();
    await tabA.goto('/apply');
    await tabA.waitForSelector(`form[data-sanh-draft="${FORM}"]`);
    await fill(tabA, STEP1);
    await expect.poll(() => status(tabA).textContent(), { timeout: 8_000 }).toMatch(SAVED);
    await tabA.screenshot({ path: new URL('drafts-status-saved.png', SCREENSHOTS).pathname, fullPage: true });
    const first = (await localCopy(tabA))!;
    draftId = first.id;
    expect(first).toMatchObject({ rev: 1, values: STEP1, base: STEP1, dirty: [] });
    expect(first.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
    expect((await serverCopy(tabA, draftId)).view).toMatchObject({ formId: FORM, fields: STEP1, returnTo: '/apply/step/1' });

    // Step 2, half filled: the province reaches the server.
    await tabA.click('button[type=submit]');
    await tabA.waitForURL('**/apply/step/2');
    await fill(tabA, { province: STEP2.province });
    await expect.poll(async () => (await serverCopy(tabA, draftId)).view?.fields, { timeout: 8_000 }).toEqual({ ...STEP1, province: STEP2.province });

    // The browser goes offline: the district is kept on the device only.
    await device.setOffline(true);
    await fill(tabA, { district: STEP2.district });
    await expect.poll(() => status(tabA).textContent(), { timeout: 5_000 }).toBe(OFFLINE);
    await tabA.screenshot({ path: new URL('drafts-status-offline.png', SCREENSHOTS).pathname, fullPage: true });
    expect((await localCopy(tabA))!.values).toEqual({ ...STEP1, province: STEP2.province, district: STEP2.district });

    // Sảnh dies; the browser is back online but nobody answers: the address is kept on the device too.
    await sanh.close();
    await device.setOffline(false);
    await fill(tabA, { address: STEP2.address });
    await expect.poll(async () => (await localCopy(tabA))!.values.address).toBe(STEP2.address);
    await tabA.waitForTimeout(2_500);
    expect(await status(tabA).textContent()).toBe(OFFLINE);

    // A new Sảnh on the same port, Redis and key ring. The reload happens while the drafts API is
    // still unreachable, so what comes back comes from the device alone.
    sanh = await startSanh(port);
    await tabA.route('**/_sanh/drafts**', (route) => route.abort('connectionrefused'));
    await tabA.reload();
    await tabA.waitForSelector('.sanh-st');
    expect(await tabA.textContent('.steps')).toContain('bước 2/3');
    for (const [name, text] of Object.entries(STEP2)) expect(await value(tabA, name)).toBe(text);
    await expect.poll(() => status(tabA).textContent(), { timeout: 5_000 }).toBe(OFFLINE);
    expect((await localCopy(tabA))!.values).toEqual({ ...STEP1, ...STEP2 });

    // The API is back: the back-off retry brings the server copy up to date.
    await tabA.unroute('**/_sanh/drafts**');
    await expect.poll(() => status(tabA).textContent(), { timeout: 15_000 }).toMatch(SAVED);
    expect((await serverCopy(tabA, draftId)).view!.fields).toEqual({ ...STEP1, ...STEP2 });
    expect(await localCopy(tabA)).toMatchObject({ id: draftId, values: { ...STEP1, ...STEP2 }, dirty: [] });
  });

  it('continues on a second device with the resume code, through the resume page', async () => {
    await tabA.click('.sanh-cont');
    const code = (await tabA.textContent('.sanh-code'))!;
    expect(code).toBe((await localCopy(tabA))!.code);
    expect(await tabA.textContent('.sanh-url')).toBe(`${sanh.url}/_sanh/drafts/resume`);
    expect(await tabA.textContent('.sanh-until')).toMatch(/^Mã dùng được đến ngày \d\d\/\d\d\/20\d\d$/);
    await tabA.locator('.sanh-pr').scrollIntoViewIfNeeded();
    await tabA.screenshot({ path: new URL('drafts-resume-code.png', SCREENSHOTS).pathname, fullPage: true });
    await tabA.click('.sanh-close');

    const other = await (await newDevice()).newPage();
    await other.goto('/_sanh/drafts/resume');
    await other.fill('input[name=code]', code.toLowerCase().replace(/-/g, ' '));
    await other.click('button[type=submit]');
    await other.waitForURL('**/apply/step/1');
    expect(new URL(other.url()).hash).toBe('');
    await expect.poll(() => value(other, 'fullName')).toBe(STEP1.fullName);
    expect(await value(other, 'birthDate')).toBe(STEP1.birthDate);
    expect(await value(other, 'nationalId')).toBe(STEP1.nationalId);
    expect(await localCopy(other)).toMatchObject({ id: draftId, values: { ...STEP1, ...STEP2 } });
    await other.screenshot({ path: new URL('drafts-resume-code-continued.png', SCREENSHOTS).pathname, fullPage: true });

    // Step 2 on the second device comes back from its own copy of the draft.
    await other.click('button[type=submit]');
    await other.waitForURL('**/apply/step/2');
    await expect.poll(() => value(other, 'address')).toBe(STEP2.address);
    expect(await value(other, 'province')).toBe(STEP2.province);
    expect(await value(other, 'district')).toBe(STEP2.district);
    await other.close();
  });

  it("a stale tab gets 412, merges the other tab's change, keeps its own, and shows a same-field conflict", async () => {
    const tabB = await device.newPage();
    await tabB.goto('/apply/step/2');
    await expect.poll(() => value(tabB, 'address')).toBe(STEP2.address);
    await expect.poll(() => status(tabB).textContent(), { timeout: 5_000 }).toMatch(SAVED);
    const stale: number[] = [];
    tabA.on('response', (response) => {
      if (response.url().includes('/_sanh/drafts/') && response.request().method() === 'PUT') stale.push(response.status());
    });

    // Tab B saves a newer district; tab A, not knowing, changes the address.
    const before = (await serverCopy(tabB, draftId)).view!.revision;
    await tabB.fill('#f-district', 'Hoàn Kiếm');
    await expect.poll(async () => (await serverCopy(tabB, draftId)).view!.revision, { timeout: 8_000 }).toBe(before + 1);
    await tabA.fill('#f-address', '25 Hàng Bài');
    await expect.poll(() => stale, { timeout: 8_000 }).toEqual([412, 200]);
    const merged = (await serverCopy(tabA, draftId)).view!;
    expect(merged.fields).toEqual({ ...STEP1, ...STEP2, district: 'Hoàn Kiếm', address: '25 Hàng Bài' });
    expect(await value(tabA, 'district')).toBe('Hoàn Kiếm');
    expect(await value(tabA, 'address')).toBe('25 Hàng Bài');
    expect(await tabA.locator('.sanh-cf').isVisible()).toBe(false);

    // Both change the province: tab A keeps its own but says what tab B wrote, with a button for it.
    await tabB.reload();
    await expect.poll(() => value(tabB, 'address')).toBe('25 Hàng Bài');
    await expect.poll(() => status(tabB).textContent(), { timeout: 5_000 }).toMatch(SAVED);
    stale.length = 0;
    await tabB.fill('#f-province', 'Hải Phòng');
    await expect.poll(async () => (await serverCopy(tabB, draftId)).view!.fields.province, { timeout: 8_000 }).toBe('Hải Phòng');
    await tabA.fill('#f-province', 'Đà Nẵng');
    await expect.poll(() => stale, { timeout: 8_000 }).toEqual([412, 200]);
    const notice = tabA.locator('.sanh-cf');
    await expect.poll(() => notice.isVisible()).toBe(true);
    expect(await notice.textContent()).toContain('Tỉnh/Thành phố — của bạn: Đà Nẵng; thiết bị kia: Hải Phòng');
    expect(await value(tabA, 'province')).toBe('Đà Nẵng');
    expect((await serverCopy(tabA, draftId)).view!.fields.province).toBe('Đà Nẵng');
    await notice.scrollIntoViewIfNeeded();
    await tabA.screenshot({ path: new URL('drafts-status-conflict.png', SCREENSHOTS).pathname, fullPage: true });

    await notice.getByRole('button', { name: 'Dùng giá trị kia' }).click();
    expect(await value(tabA, 'province')).toBe('Hải Phòng');
    await expect.poll(() => notice.isVisible()).toBe(false);
    await expect.poll(async () => (await serverCopy(tabA, draftId)).view!.fields.province, { timeout: 8_000 }).toBe('Hải Phòng');
    await tabB.close();
  });

  it('forgets the draft on the device and the server once the application is submitted', async () => {
    await tabA.reload();
    await expect.poll(() => value(tabA, 'province')).toBe('Hải Phòng');
    await tabA.click('button[type=submit]');
    await tabA.waitForURL('**/apply/step/3');
    await fill(tabA, { documents: 'Giấy xác nhận chỗ ở hợp pháp', phone: '0912345678' });
    await tabA.click('button[type=submit]');
    await tabA.waitForURL('**/apply/review');
    await tabA.click('button[type=submit]');
    await tabA.waitForSelector('#application-number');
    await expect.poll(async () => (await serverCopy(tabA, draftId)).status).toBe(404);
    expect(await localCopy(tabA)).toBeNull();
    await tabA.goto('/apply/step/1');
    expect(await value(tabA, 'fullName')).toBe('');
  });

  it("forgets the draft on a device from the status area (after a confirm), leaving the server's copy for the resume code", async () => {
    const page = await (await newDevice()).newPage();
    await page.goto('/apply');
    await page.waitForSelector(`form[data-sanh-draft="${FORM}"]`);
    await fill(page, STEP1);
    await expect.poll(() => status(page).textContent(), { timeout: 8_000 }).toMatch(SAVED);
    const id = (await localCopy(page))!.id;
    const forget = page.getByRole('button', { name: 'Xoá bản nháp trên thiết bị này' });
    const asked: string[] = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.accept();
    });
    await forget.click();
    expect(asked).toEqual(['Xoá bản nháp trên thiết bị này?']);
    await expect.poll(() => status(page).textContent()).toBe('Đã xoá khỏi thiết bị này');
    expect(await localCopy(page)).toBeNull();
    for (const name of Object.keys(STEP1)) expect(await value(page, name)).toBe('');
    expect(await forget.isVisible()).toBe(false);
    const kept = await serverCopy(page, id);
    expect(kept.status).toBe(200);
    expect(kept.view!.fields).toEqual(STEP1);
    await page.reload();
    await page.waitForSelector('.sanh-st', { state: 'attached' });
    expect(await value(page, 'fullName')).toBe('');
    expect(await localCopy(page)).toBeNull();
    await page.close();
  });
});
