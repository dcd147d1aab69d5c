import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { gzipSync, gunzipSync } from 'node:zlib';
import { serve, type ServerType } from '@hono/node-server';
import type { AxeResults } from 'axe-core';
import { transformSync } from 'esbuild';
import { Hono } from 'hono';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SanhEnv } from '../../platform/http.js';
import { launchChromium } from '../../../tests/helpers/browser.js';
import { DRAFT_SCRIPT, DRAFT_SCRIPT_ETAG, draftScriptHandler } from './script.js';

describe('the draft script as served', () => {
  it('is plain ES5 (no let/const, arrow functions, template literals, classes) and small', () => {
    expect(() => transformSync(DRAFT_SCRIPT, { loader: 'js', target: 'es5' })).not.toThrow();
    expect(() => transformSync('let a = () => `x`;', { loader: 'js', target: 'es5' })).toThrow(/not supported/);
    expect(DRAFT_SCRIPT).not.toMatch(/\.catch\(|=>|`/);
    // Both languages' texts, the styles, the resume view, the forget button and the draft id for submissions; about 6.6 KB gzipped.
    expect(Buffer.byteLength(DRAFT_SCRIPT)).toBeLessThanOrEqual(15.5 * 1024);
    expect(gzipSync(DRAFT_SCRIPT).length).toBeLessThanOrEqual(6.75 * 1024);
  });

  it('is served as cacheable JavaScript with an ETag, and 304 when the browser has it', async () => {
    const app = new Hono<SanhEnv>();
    app.get('/_sanh/draft.js', draftScriptHandler);
    const first = await app.request('/_sanh/draft.js');
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    expect(first.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(first.headers.get('etag')).toBe(DRAFT_SCRIPT_ETAG);
    expect(DRAFT_SCRIPT_ETAG).toMatch(/^"draft-[0-9a-z]+-[0-9a-z]+"$/);
    expect(await first.text()).toBe(DRAFT_SCRIPT);
    for (const inm of [DRAFT_SCRIPT_ETAG, `W/${DRAFT_SCRIPT_ETAG}`, `"other", ${DRAFT_SCRIPT_ETAG}`, '*']) {
      const again = await app.request('/_sanh/draft.js', { headers: { 'If-None-Match': inm } });
      expect(again.status).toBe(304);
      expect(again.headers.get('etag')).toBe(DRAFT_SCRIPT_ETAG);
      expect(await again.text()).toBe('');
    }
    expect((await app.request('/_sanh/draft.js', { headers: { 'If-None-Match': '"old"' } })).status).toBe(200);
    const head = await app.request('/_sanh/draft.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('is sent gzip-compressed to clients that accept it, as its own representation', async () => {
    const app = new Hono<SanhEnv>();
    app.get('/_sanh/draft.js', draftScriptHandler);
    let zipped = await app.request('/_sanh/draft.js', { headers: { 'Accept-Encoding': 'gzip, deflate, br' } });
    for (let i = 0; i < 50 && zipped.headers.get('content-encoding') !== 'gzip'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      zipped = await app.request('/_sanh/draft.js', { headers: { 'Accept-Encoding': 'gzip, deflate, br' } });
    }
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    expect(zipped.headers.get('vary')).toBe('Accept-Encoding');
    const body = Buffer.from(await zipped.arrayBuffer());
    expect(body.length).toBeLessThan(7 * 1024);
    expect(gunzipSync(body).toString('utf8')).toBe(DRAFT_SCRIPT);
    const etag = zipped.headers.get('etag') ?? '';
    expect(etag).not.toBe(DRAFT_SCRIPT_ETAG);
    expect((await app.request('/_sanh/draft.js', { headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': etag } })).status).toBe(304);
    expect((await app.request('/_sanh/draft.js', { headers: { 'If-None-Match': etag } })).status).toBe(200);
    for (const refused of ['identity', 'gzip;q=0', 'br']) {
      const plain = await app.request('/_sanh/draft.js', { headers: { 'Accept-Encoding': refused } });
      expect(plain.headers.get('content-encoding')).toBeNull();
    }
  });
});

const AXE_SOURCE = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const FORM = 'all-kinds';
const KEY = `sanh-draft:${FORM}`;
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A form with every kind of field the script handles, and the ones it must never save (read-only
 * and disabled ones too). One checkbox is named "disabled": `form.disabled` is then that element,
 * which must not read as a disabled ancestor.
 */
function formPage(lang: string, extra = ''): string {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Form</title><script src="/_sanh/draft.js" defer></script></head><body><main><h1>Form</h1>
<form data-sanh-draft="${FORM}" method="post" action="/sent">
<label for="name">Full name</label><input id="name" name="name">
<label for="note">Note</label><textarea id="note" name="note"></textarea>
<label for="kind">Kind</label><select id="kind" name="kind"><option value="">-</option><option value="a">A</option><option value="b">B</option></select>
<label for="langs">Languages</label><select id="langs" name="langs" multiple><option>vi</option><option>en</option><option>fr</option></select>
<fieldset><legend>Documents</legend><label><input type="checkbox" name="docs" value="id"> ID card</label><label><input type="checkbox" name="docs" value="house"> House book</label></fieldset>
<label><input type="checkbox" name="agree" id="agree"> I agree</label>
<label><input type="checkbox" name="disabled" id="disability"> I live with a disability</label>
<fieldset><legend>Contact</legend><label><input type="radio" name="contact" value="phone"> Phone</label><label><input type="radio" name="contact" value="mail"> Mail</label></fieldset>
<label for="ro">Case number</label><input id="ro" name="ro" readonly value="RO-7">
<label for="off">Old number</label><input id="off" name="off" disabled value="OFF-8">
<fieldset disabled><legend>Locked</legend><label for="locked">Locked number</label><input id="locked" name="locked" value="LOCK-9"></fieldset>
<label for="pw">Password</label><input id="pw" type="password" name="pw">
<label for="scan">Scan</label><input id="scan" type="file" name="scan">
<input type="hidden" name="csrf" value="token-123">
<label for="nameless">No name</label><input id="nameless">
<div data-sanh-draft-skip><label for="secret">Secret</label><input id="secret" name="secret"></div>
<label for="otp">One-time code</label><input id="otp" name="otp" data-sanh-draft-skip>
<button type="submit" name="go" value="1">Send</button>
</form>${extra}</main></body></html>`;
}

describe('the draft script in Chromium, against a fake drafts API', () => {
  let fake: FakeDrafts;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    fake = await startFakeDrafts();
    fake.pages.set('/form', formPage('vi'));
    fake.pages.set('/en/form', formPage('en-GB'));
    // The same form with values the page itself fills in (what "forget" puts back).
    fake.pages.set(
      '/prefilled',
      formPage('vi')
        .replace('<input id="name" name="name">', '<input id="name" name="name" value="Tên in sẵn">')
        .replace('name="note"></textarea>', 'name="note">Ghi chú in sẵn</textarea>')
        .replace('<option value="a">', '<option value="a" selected>')
        .replace('<option>en</option>', '<option selected>en</option>')
        .replace('value="id">', 'value="id" checked>')
        .replace('value="phone">', 'value="phone" checked>'),
    );
    // Same origin, no script: where a test writes a device copy before the form page loads.
    fake.pages.set('/blank', '<!doctype html><html lang="vi"><head><title>Blank</title></head><body></body></html>');
    fake.pages.set(
      '/sent',
      `<!doctype html><html lang="vi"><head><script src="/_sanh/draft.js" defer></script></head><body><p data-sanh-draft-done="${FORM}">Đã nộp</p></body></html>`,
    );
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await fake?.close();
  });

  beforeEach(async () => {
    await context?.close();
    context = await browser.newContext({ baseURL: fake.url, viewport: { width: 390, height: 844 } });
    page = await context.newPage();
    fake.seen.length = 0;
    fake.faults.length = 0;
    fake.delays.length = 0;
    fake.resumeAnswer = 'off';
  });

  const status = (p: Page = page) => p.locator('.sanh-st');
  // biome-ignore lint/suspicious/noExplicitAny: the draft as the page stored it, read back field by field
  const local = async (p: Page = page) => JSON.parse((await p.evaluate((k) => localStorage.getItem(k), KEY)) ?? 'null') as Record<string, any> | null;
  const writes = () => fake.seen.filter((r) => r.method !== 'GET');
  /** Puts `copy` on the device as the script's copy of the form, before the form page is opened. */
  async function seed(copy: Record<string, unknown>, p: Page = page) {
    await p.goto('/blank');
    await p.evaluate(([k, v]) => localStorage.setItem(k, v), [KEY, JSON.stringify(copy)] as const);
  }

  async function fillAll(p: Page = page) {
    await p.fill('#name', 'Nguyễn Thị Hoa');
    await p.fill('#note', 'dòng 1\ndòng 2');
    await p.selectOption('#kind', 'b');
    await p.selectOption('#langs', ['vi', 'fr']);
    await p.check('input[name=docs][value=house]');
    await p.check('#agree');
    await p.check('input[name=contact][value=mail]');
    await p.fill('#pw', 'hunter2');
    await p.setInputFiles('#scan', { name: 'scan.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4') });
    await p.fill('#nameless', 'no name');
    await p.fill('#secret', 'inside skip');
    await p.fill('#otp', '123456');
  }
  const ALL = { name: 'Nguyễn Thị Hoa', note: 'dòng 1\ndòng 2', kind: 'b', langs: ['vi', 'fr'], docs: ['house'], agree: true, contact: 'mail' };

  it('saves every kind of field to the device and then the server, never the skipped ones, and restores them after a reload', async () => {
    await page.goto('/form');
    await fillAll();
    await expect.poll(async () => (await local())?.values).toEqual(ALL);
    await expect.poll(() => status().textContent(), { timeout: 5_000 }).toMatch(/^Đã lưu trên máy chủ lúc \d\d:\d\d$/);
    const saved = await local();
    expect(saved).toMatchObject({ id: expect.any(String), rev: expect.any(Number), base: ALL, values: ALL, dirty: [], code: expect.stringMatching(/^7KQ2M-/) });
    const posts = writes();
    expect(posts.map((r) => r.method)).toEqual(['POST']);
    expect(posts[0]!.body).toEqual({ formId: FORM, fields: ALL, returnTo: '/form' });
    const json = JSON.stringify(fake.seen) + JSON.stringify(saved);
    for (const secret of ['hunter2', 'scan.pdf', 'token-123', 'no name', 'inside skip', '123456', 'RO-7', 'OFF-8', 'LOCK-9'])
      expect(json).not.toContain(secret);

    // The status time is Vietnam's (UTC+7), from the server's updatedAt.
    const updatedAt = fake.drafts.get(saved!.id)!.updatedAt;
    const vn = new Date(updatedAt + 7 * 3_600_000);
    const hhmm = `${String(vn.getUTCHours()).padStart(2, '0')}:${String(vn.getUTCMinutes()).padStart(2, '0')}`;
    expect(await status().textContent()).toBe(`Đã lưu trên máy chủ lúc ${hhmm}`);

    fake.seen.length = 0;
    await page.reload();
    await expect.poll(() => page.inputValue('#name')).toBe('Nguyễn Thị Hoa');
    expect(await page.inputValue('#note')).toBe('dòng 1\ndòng 2');
    expect(await page.inputValue('#kind')).toBe('b');
    expect(await page.$eval('#langs', (s: HTMLSelectElement) => [...s.selectedOptions].map((o) => o.value))).toEqual(['vi', 'fr']);
    expect(await page.isChecked('input[name=docs][value=house]')).toBe(true);
    expect(await page.isChecked('input[name=docs][value=id]')).toBe(false);
    expect(await page.isChecked('#agree')).toBe(true);
    expect(await page.isChecked('input[name=contact][value=mail]')).toBe(true);
    expect(await page.inputValue('#pw')).toBe('');
    expect(await page.inputValue('#secret')).toBe('');
    // The server copy is read back (another device may have changed it); nothing to write.
    await expect.poll(() => fake.seen.map((r) => r.method)).toEqual(['GET']);
    await page.waitForTimeout(2_000);
    expect(writes()).toEqual([]);
  });

  it('puts the server draft id in a hidden sanh_draft field once there is one, for the submission to be known by', async () => {
    await page.goto('/form');
    expect(await page.locator('input[name=sanh_draft]').count()).toBe(0);
    await page.fill('#name', 'Lê Văn D');
    await expect.poll(async () => (await local())?.id, { timeout: 5_000 }).toBeTruthy();
    const id = (await local())!.id as string;
    await expect.poll(() => page.locator('input[name=sanh_draft]').inputValue()).toBe(id);
    expect(await page.locator('input[name=sanh_draft]').getAttribute('type')).toBe('hidden');
    expect(fake.drafts.get(id)!.fields).not.toHaveProperty('sanh_draft');
  });

  it('sends only the changed fields as a merge patch with If-Match, and clearing a checkbox group sends []', async () => {
    await page.goto('/form');
    await page.fill('#name', 'Lê Văn C');
    await expect.poll(() => writes().length, { timeout: 5_000 }).toBe(1);
    await expect.poll(async () => (await local())?.rev).toBe(1);
    await page.fill('#note', 'ghi chú');
    await page.check('input[name=docs][value=id]');
    await expect.poll(() => writes().length, { timeout: 5_000 }).toBe(2);
    const put = writes()[1]!;
    expect(put).toMatchObject({ method: 'PUT', ifMatch: '"1"', contentType: 'application/merge-patch+json', body: { note: 'ghi chú', docs: ['id'] } });
    await page.uncheck('input[name=docs][value=id]');
    await expect.poll(() => writes().length, { timeout: 5_000 }).toBe(3);
    expect(writes()[2]).toMatchObject({ ifMatch: '"2"', body: { docs: [] } });
    const id = (await local())!.id as string;
    expect(fake.drafts.get(id)!.fields).toEqual({ name: 'Lê Văn C', note: 'ghi chú', docs: [] });
  });

  it('backs off with jitter when the server fails, says so, and saves at once when the browser is back online', async () => {
    await page.goto('/form');
    fake.faults.push(503, 503);
    await page.fill('#name', 'Phạm D');
    await expect.poll(() => status().textContent(), { timeout: 5_000 }).toBe('Máy chủ đang bận — đã lưu trên thiết bị này');
    await expect.poll(() => writes().length, { timeout: 12_000 }).toBe(3);
    const [a, b, c] = writes().map((r) => r.at) as [number, number, number];
    expect(b - a).toBeGreaterThanOrEqual(1_900);
    expect(b - a).toBeLessThanOrEqual(2_700);
    expect(c - b).toBeGreaterThanOrEqual(2_900);
    expect(c - b).toBeLessThanOrEqual(5_200);
    expect(writes()[2]!.status).toBe(201);
    await expect.poll(() => status().textContent()).toMatch(/^Đã lưu trên máy chủ lúc/);

    await context.setOffline(true);
    await page.fill('#note', 'offline note');
    await expect.poll(() => status().textContent(), { timeout: 5_000 }).toBe('Mất kết nối — đã lưu trên thiết bị này');
    expect((await local())!.values.note).toBe('offline note');
    await page.waitForTimeout(2_500);
    const before = writes().length;
    const onlineAt = Date.now();
    await context.setOffline(false);
    await expect.poll(() => writes().length, { timeout: 3_000 }).toBe(before + 1);
    expect(writes().at(-1)!.at - onlineAt).toBeLessThan(1_000);
    expect(writes().at(-1)!.body).toEqual({ note: 'offline note' });
    await expect.poll(() => status().textContent()).toMatch(/^Đã lưu trên máy chủ lúc/);
  });

  it('waits for Retry-After on 429', async () => {
    await page.goto('/form');
    fake.faults.push(429);
    await page.fill('#name', 'Võ E');
    await expect.poll(() => status().textContent(), { timeout: 5_000 }).toBe('Máy chủ đang bận — đã lưu trên thiết bị này');
    await expect.poll(() => writes().length, { timeout: 8_000 }).toBe(2);
    const [a, b] = writes().map((r) => r.at) as [number, number];
    expect(b - a).toBeGreaterThanOrEqual(2_900); // Retry-After: 3, more than the first back-off step
    await expect.poll(() => status().textContent()).toMatch(/^Đã lưu trên máy chủ lúc/);
  });

  it("on 412 merges: takes the other device's changes, keeps its own, and shows a notice for a field both changed", async () => {
    await page.goto('/form');
    await page.fill('#name', 'Trần F');
    await page.fill('#note', 'gốc');
    await expect.poll(async () => (await local())?.rev, { timeout: 5_000 }).toBe(1);
    const id = (await local())!.id as string;
    fake.edit(id, { kind: 'a', note: 'từ máy kia', langs: ['en'] });
    await page.fill('#note', 'của tôi');
    await page.check('#agree');
    await expect.poll(() => fake.seen.filter((r) => r.status === 412).length, { timeout: 5_000 }).toBe(1);
    await expect.poll(() => fake.drafts.get(id)!.revision, { timeout: 5_000 }).toBe(3);
    expect(fake.drafts.get(id)!.fields).toEqual({ name: 'Trần F', note: 'của tôi', kind: 'a', langs: ['en'], agree: true });
    expect(await page.inputValue('#kind')).toBe('a');
    expect(await page.$eval('#langs', (s: HTMLSelectElement) => [...s.selectedOptions].map((o) => o.value))).toEqual(['en']);
    expect(await page.inputValue('#note')).toBe('của tôi');
    const notice = page.locator('.sanh-cf');
    await expect.poll(() => notice.isVisible()).toBe(true);
    expect(await notice.getAttribute('role')).toBe('alert');
    expect(await notice.textContent()).toContain('Note — của bạn: của tôi; thiết bị kia: từ máy kia');
    expect(await local()).toMatchObject({ rev: 3, cf: { note: 'từ máy kia' } });

    // The notice survives a reload until the citizen decides.
    await page.reload();
    await expect.poll(() => page.locator('.sanh-cf').isVisible()).toBe(true);
    await page.click('.sanh-cf button[data-k=note]');
    expect(await page.inputValue('#note')).toBe('từ máy kia');
    expect(await page.locator('.sanh-cf').isVisible()).toBe(false);
    await expect.poll(() => fake.drafts.get(id)!.fields.note, { timeout: 5_000 }).toBe('từ máy kia');
    expect((await local())!.cf).toEqual({});
  });

  it("starts a new draft from the device's values when the server no longer has it (404)", async () => {
    await page.goto('/form');
    await page.fill('#name', 'Đỗ G');
    await expect.poll(async () => (await local())?.id, { timeout: 5_000 }).toBeTruthy();
    const first = (await local())!.id as string;
    fake.drafts.delete(first);
    await page.fill('#note', 'sau khi hết hạn');
    await expect.poll(async () => (await local())?.id, { timeout: 5_000 }).not.toBe(first);
    const second = (await local())!.id as string;
    expect(fake.drafts.get(second)!.fields).toEqual({ name: 'Đỗ G', note: 'sau khi hết hạn' });
    expect(writes().map((r) => `${r.method} ${r.status}`)).toEqual(['POST 201', 'PUT 404', 'POST 201']);
  });

  it('when the server no longer has the draft (404) and nothing on the device is unsaved, drops the device copy and leaves the form as the page rendered it', async () => {
    await page.goto('/form');
    await page.fill('#name', 'Đã hết hạn');
    await page.check('#agree');
    await expect.poll(async () => (await local())?.dirty, { timeout: 5_000 }).toEqual([]);
    const id = (await local())!.id as string;
    fake.drafts.delete(id);
    fake.seen.length = 0;
    const drafts = fake.drafts.size;
    await page.reload();
    await expect.poll(() => fake.seen.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 404']);
    await expect.poll(() => page.inputValue('#name')).toBe('');
    expect(await page.isChecked('#agree')).toBe(false);
    expect(await local()).toBeNull();
    expect(await status().textContent()).toBe('');
    expect(await page.locator('.sanh-cont').isVisible()).toBe(false);
    expect(await page.locator('.sanh-fg').isVisible()).toBe(false);
    // Nothing goes back to the server: its expiry stands.
    await page.waitForTimeout(2_500);
    expect(fake.seen.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 404']);
    expect(fake.drafts.size).toBe(drafts);
    await page.reload();
    expect(await page.inputValue('#name')).toBe('');
  });

  it('when the server no longer has the draft (404) but the device has changes it never saved there, starts a new draft from them', async () => {
    const gone = 'draft-gone-unsaved';
    await seed({
      id: gone,
      rev: 2,
      base: { name: 'Lê H' },
      values: { name: 'Lê H', note: 'gõ khi mất mạng' },
      cf: {},
      dirty: ['note'],
      exp: iso(Date.now() + DAY),
      savedAt: iso(Date.now() - 60_000),
      code: '7KQ2M-9XD4T-RAW98',
      touched: Date.now() - 30_000,
    });
    fake.seen.length = 0;
    const before = new Set(fake.drafts.keys());
    await page.goto('/form');
    expect(await page.inputValue('#note')).toBe('gõ khi mất mạng');
    await expect.poll(() => fake.seen.map((r) => `${r.method} ${r.status}`), { timeout: 5_000 }).toEqual(['GET 404', 'POST 201']);
    expect(writes()[0]!.body).toMatchObject({ formId: FORM, fields: { name: 'Lê H', note: 'gõ khi mất mạng' } });
    const created = [...fake.drafts.keys()].filter((k) => !before.has(k));
    expect(created).toHaveLength(1);
    await expect.poll(async () => (await local())?.id).toBe(created[0]);
    expect(await local()).toMatchObject({ values: { name: 'Lê H', note: 'gõ khi mất mạng' }, dirty: [], code: expect.stringMatching(/^7KQ2M-/) });
  });

  it("drops a device copy whose draft has expired on load, without restoring or sending it; the server's expiry, not the last change, decides", async () => {
    const earlier = { name: 'Người trước', note: 'CCCD 079190001234' };
    await seed({
      id: 'draft-expired',
      rev: 4,
      base: earlier,
      values: earlier,
      cf: {},
      dirty: [],
      exp: iso(Date.now() - 60_000),
      savedAt: iso(Date.now() - 30 * DAY),
      code: '7KQ2M-9XD4T-RAW97',
      touched: Date.now() - 30 * DAY,
    });
    fake.seen.length = 0;
    await page.goto('/form');
    expect(await page.inputValue('#name')).toBe('');
    expect(await page.inputValue('#note')).toBe('');
    expect(await local()).toBeNull();
    expect(await status().textContent()).toBe('');
    expect(await page.locator('.sanh-cont').isVisible()).toBe(false);
    await page.waitForTimeout(2_000);
    expect(fake.seen).toEqual([]);

    // A copy whose draft is still live on the server is restored, however long ago it was changed.
    const live = (await (
      await fetch(`${fake.url}/_sanh/drafts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ formId: FORM, fields: { name: 'Còn hạn' } }),
      })
    ).json()) as { id: string };
    await seed({
      id: live.id,
      rev: 1,
      base: { name: 'Còn hạn' },
      values: { name: 'Còn hạn' },
      cf: {},
      dirty: [],
      exp: iso(Date.now() + DAY),
      savedAt: iso(Date.now() - 29 * DAY),
      code: '7KQ2M-9XD4T-RAW96',
      touched: Date.now() - 40 * DAY,
    });
    fake.seen.length = 0;
    await page.goto('/form');
    expect(await page.inputValue('#name')).toBe('Còn hạn');
    await expect.poll(() => fake.seen.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200']);
    expect((await local())!.id).toBe(live.id);
  });

  it('drops a device copy never saved to the server once untouched for 30 days, keeps a younger one, and records when it was last changed', async () => {
    await seed({ values: { name: 'Chưa gửi' }, base: {}, cf: {}, dirty: ['name'], touched: Date.now() - 31 * DAY });
    fake.seen.length = 0;
    await page.goto('/form');
    expect(await page.inputValue('#name')).toBe('');
    expect(await local()).toBeNull();
    await page.waitForTimeout(2_000);
    expect(fake.seen).toEqual([]);

    await seed({ values: { name: 'Tháng trước' }, base: {}, cf: {}, dirty: ['name'], touched: Date.now() - 29 * DAY });
    await page.goto('/form');
    expect(await page.inputValue('#name')).toBe('Tháng trước');
    await expect.poll(() => writes().map((r) => `${r.method} ${r.status}`), { timeout: 5_000 }).toEqual(['POST 201']);

    const before = Date.now();
    await page.fill('#note', 'hôm nay');
    await expect.poll(async () => (await local())?.values.note).toBe('hôm nay');
    expect((await local())!.touched).toBeGreaterThanOrEqual(before);
    expect((await local())!.touched).toBeLessThanOrEqual(Date.now());
  });

  it('neither saves nor restores read-only or disabled fields', async () => {
    await seed({ values: { name: 'Có', ro: 'đổi', off: 'đổi', locked: 'đổi' }, base: {}, cf: {}, dirty: [], touched: Date.now() });
    await page.goto('/form');
    expect(await page.inputValue('#name')).toBe('Có');
    expect(await page.inputValue('#ro')).toBe('RO-7');
    expect(await page.inputValue('#off')).toBe('OFF-8');
    expect(await page.inputValue('#locked')).toBe('LOCK-9');
    // Changed by the page's own script, they are still not saved.
    await page.evaluate(() => {
      for (const id of ['ro', 'off', 'locked']) {
        const e = document.getElementById(id) as HTMLInputElement;
        e.value = `${id} by the page`;
        e.dispatchEvent(new Event('input', { bubbles: true }));
      }
    });
    await page.fill('#note', 'ghi chú');
    await expect.poll(async () => (await local())?.values.note).toBe('ghi chú');
    expect(JSON.stringify(await local())).not.toContain('by the page');
  });

  it("forgets the draft on this device only, after a confirm: the page's own values come back and nothing is saved until the next change", async () => {
    await page.goto('/prefilled');
    await fillAll();
    const onServer = { ...ALL, docs: ['id', 'house'] };
    await expect.poll(async () => (await local())?.values).toEqual(onServer);
    await expect.poll(async () => (await local())?.dirty, { timeout: 5_000 }).toEqual([]);
    const id = (await local())!.id as string;
    await expect.poll(() => fake.drafts.get(id)?.fields, { timeout: 5_000 }).toEqual(onServer);
    await expect.poll(() => status().textContent(), { timeout: 5_000 }).toMatch(/^Đã lưu trên máy chủ lúc/);
    const forget = page.locator('.sanh-fg');
    expect(await forget.textContent()).toBe('Xoá bản nháp trên thiết bị này');

    // Cancelled: nothing happens.
    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(`${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
    await forget.click();
    expect(asked).toEqual(['confirm: Xoá bản nháp trên thiết bị này?']);
    expect((await local())!.id).toBe(id);
    expect(await page.inputValue('#name')).toBe('Nguyễn Thị Hoa');

    fake.seen.length = 0;
    page.once('dialog', (d) => void d.accept());
    await forget.click();
    await expect.poll(() => status().textContent()).toBe('Đã xoá khỏi thiết bị này');
    expect(await local()).toBeNull();
    expect(await page.inputValue('#name')).toBe('Tên in sẵn');
    expect(await page.inputValue('#note')).toBe('Ghi chú in sẵn');
    expect(await page.inputValue('#kind')).toBe('a');
    expect(await page.$eval('#langs', (s: HTMLSelectElement) => [...s.selectedOptions].map((o) => o.value))).toEqual(['en']);
    expect(await page.isChecked('input[name=docs][value=id]')).toBe(true);
    expect(await page.isChecked('input[name=docs][value=house]')).toBe(false);
    expect(await page.isChecked('#agree')).toBe(false);
    expect(await page.isChecked('input[name=contact][value=phone]')).toBe(true);
    expect(await forget.isVisible()).toBe(false);
    expect(await page.locator('.sanh-cont').isVisible()).toBe(false);
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('sanh-have');

    // Coming back online, hiding or leaving the page saves nothing; the server's draft is not deleted.
    await page.evaluate(() => {
      window.dispatchEvent(new Event('online'));
      window.dispatchEvent(new Event('pagehide'));
    });
    await page.waitForTimeout(2_500);
    expect(fake.seen).toEqual([]);
    expect(await local()).toBeNull();
    expect(fake.drafts.get(id)!.fields).toEqual(onServer);

    // The next change saves again, as a new draft (this device no longer knows the old one).
    await page.fill('#note', 'lần sau');
    await expect.poll(() => forget.isVisible()).toBe(true);
    await expect.poll(async () => (await local())?.id, { timeout: 5_000 }).toBeTruthy();
    const second = (await local())!.id as string;
    expect(second).not.toBe(id);
    expect(fake.drafts.get(second)!.fields).toEqual({ name: 'Tên in sẵn', note: 'lần sau', kind: 'a', langs: ['en'], docs: ['id'], contact: 'phone' });
    expect(fake.drafts.get(id)!.fields).toEqual(onServer);
    expect(fake.seen.map((r) => r.method)).toEqual(['POST']);
  });

  it('ignores the answer to a save that was under way when the draft was forgotten', async () => {
    await page.goto('/form');
    expect(await page.locator('.sanh-fg').isVisible()).toBe(false);
    fake.delays.push(1_500);
    await page.fill('#name', 'Đang gửi');
    await expect.poll(() => page.locator('.sanh-fg').isVisible()).toBe(true);
    await expect.poll(() => fake.seen.length, { timeout: 5_000 }).toBe(1);
    page.once('dialog', (d) => void d.accept());
    await page.click('.sanh-fg');
    expect(await page.inputValue('#name')).toBe('');
    await expect.poll(() => fake.seen[0]!.status, { timeout: 5_000 }).toBe(201);
    await page.waitForTimeout(2_000);
    expect(await local()).toBeNull();
    expect(await status().textContent()).toBe('Đã xoá khỏi thiết bị này');
    expect(await page.locator('.sanh-cont').isVisible()).toBe(false);
    expect(fake.seen.map((r) => r.method)).toEqual(['POST']);
  });

  it('says it could not save, and why, on 413 and 422, and tries again after the next change (English page)', async () => {
    await page.goto('/en/form');
    fake.faults.push(413);
    await page.fill('#name', 'Big');
    await expect.poll(() => status().textContent(), { timeout: 5_000 }).toBe('Could not save: the form is too large');
    expect(await status().getAttribute('class')).toContain('sanh-err');
    await page.waitForTimeout(2_500);
    expect(writes().length).toBe(1);
    fake.faults.push(422);
    await page.fill('#name', 'Bad');
    await expect.poll(() => status().textContent(), { timeout: 5_000 }).toBe('Could not save: the server did not accept it');
    await page.fill('#name', 'Fine');
    await expect.poll(() => status().textContent(), { timeout: 5_000 }).toMatch(/^Saved on the server at \d\d:\d\d$/);
    expect(writes().map((r) => r.status)).toEqual([413, 422, 201]);
  });

  it('shows the resume code with copy and print, asks for a secret answer first when the form requires one, and passes axe', async () => {
    fake.resumeAnswer = 'required';
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.goto('/en/form');
    await page.fill('#name', 'Answer first');
    await expect.poll(() => page.locator('.sanh-cont').isVisible(), { timeout: 5_000 }).toBe(true);
    await page.click('.sanh-cont');
    expect(await page.getAttribute('.sanh-cont', 'aria-expanded')).toBe('true');
    expect(await page.locator('.sanh-code').isVisible()).toBe(false);
    expect(await page.locator('.sanh-need').textContent()).toBe('Choose a secret answer before the code is shown.');
    await page.getByLabel('A secret answer (asked when you continue)').fill('con mèo mướp');
    await page.click('.sanh-save');
    await expect.poll(() => page.locator('.sanh-code').isVisible()).toBe(true);
    const id = (await local())!.id as string;
    expect(fake.drafts.get(id)!.answer).toBe('con mèo mướp');
    expect(await page.locator('.sanh-code').textContent()).toBe(fake.drafts.get(id)!.resumeCode);
    expect(await page.locator('.sanh-url').textContent()).toBe(`${fake.url}/_sanh/drafts/resume`);
    expect(await page.locator('.sanh-until').textContent()).toMatch(/^The code works until \d\d\/\d\d\/20\d\d$/);
    expect(await page.locator('.sanh-ans').isVisible()).toBe(false);
    expect(await page.getAttribute('.sanh-have', 'href')).toBe('/_sanh/drafts/resume?lang=en');
    await page.click('.sanh-copy');
    await expect.poll(() => page.locator('.sanh-msg').textContent()).toBe('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(fake.drafts.get(id)!.resumeCode);

    await page.addScriptTag({ content: await AXE_SOURCE });
    const results = await page.evaluate(() => (window as unknown as { axe: { run(): Promise<AxeResults> } }).axe.run());
    expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`)).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    // Print shows the code and the address only.
    await page.emulateMedia({ media: 'print' });
    const visible = await page.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter((e) => getComputedStyle(e).visibility === 'visible' && getComputedStyle(e).display !== 'none' && e.getClientRects().length > 0)
        .filter((e) => e.children.length === 0)
        .map((e) => e.textContent?.trim())
        .filter(Boolean),
    );
    expect(visible).toEqual([
      'On the other device, open this address and enter the code:',
      `${fake.url}/_sanh/drafts/resume`,
      fake.drafts.get(id)!.resumeCode,
      expect.stringMatching(/^The code works until /),
    ]);
    await page.emulateMedia({ media: 'screen' });
    let printed = false;
    await page.exposeFunction('sawPrint', () => (printed = true));
    await page.evaluate(() => (window.print = () => (window as unknown as { sawPrint(): void }).sawPrint()));
    await page.click('.sanh-print');
    await expect.poll(() => printed).toBe(true);
    await page.click('text=Close');
    expect(await page.locator('.sanh-pr').isVisible()).toBe(false);

    // Forgetting it here, in English.
    expect(await page.locator('.sanh-fg').textContent()).toBe('Forget this draft on this device');
    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(d.message());
      void d.accept();
    });
    await page.click('.sanh-fg');
    expect(asked).toEqual(['Forget this draft on this device?']);
    await expect.poll(() => status().textContent()).toBe('Removed from this device');
    expect(await local()).toBeNull();
    expect(await page.inputValue('#name')).toBe('');
    expect(fake.drafts.has(id)).toBe(true);
  });

  it("adopts the draft named in #sanh-draft=<id> (the resume page's redirect) and drops the fragment", async () => {
    await page.goto('/form');
    await page.fill('#name', 'Thiết bị này');
    await page.fill('#note', 'chỉ ở đây');
    await expect.poll(async () => (await local())?.id, { timeout: 5_000 }).toBeTruthy();
    const other = (await (
      await fetch(`${fake.url}/_sanh/drafts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ formId: FORM, fields: { name: 'Từ máy kia', kind: 'a', docs: ['id', 'house'] } }),
      })
    ).json()) as { id: string };
    fake.seen.length = 0;
    await page.goto('about:blank');
    await page.goto(`${fake.url}/form#sanh-draft=${other.id}`);
    await expect.poll(() => page.inputValue('#name')).toBe('Từ máy kia');
    expect(await page.inputValue('#note')).toBe('');
    expect(await page.inputValue('#kind')).toBe('a');
    expect(await page.isChecked('input[name=docs][value=id]')).toBe(true);
    expect(page.url()).toBe(`${fake.url}/form`);
    expect(await local()).toMatchObject({ id: other.id, values: { name: 'Từ máy kia', kind: 'a', docs: ['id', 'house'] } });
    await page.fill('#note', 'tiếp tục');
    await expect.poll(() => fake.drafts.get(other.id)!.fields.note, { timeout: 5_000 }).toBe('tiếp tục');
  });

  it('deletes the draft on the page marked data-sanh-draft-done, on the server and on the device', async () => {
    await page.goto('/form');
    await page.fill('#name', 'Nộp xong');
    await expect.poll(async () => (await local())?.id, { timeout: 5_000 }).toBeTruthy();
    const id = (await local())!.id as string;
    await page.goto('/sent');
    await expect.poll(() => fake.drafts.has(id)).toBe(false);
    expect(await local()).toBeNull();
    await page.goto('/form');
    expect(await page.inputValue('#name')).toBe('');
  });

  it('saves at once with keepalive when the page is left before the debounce', async () => {
    await page.goto('/form');
    await page.fill('#name', 'Rời trang');
    await expect.poll(async () => (await local())?.rev, { timeout: 5_000 }).toBe(1);
    const id = (await local())!.id as string;
    await page.fill('#note', 'gõ rồi đi ngay');
    await page.goto('/sent-elsewhere-404');
    await expect.poll(() => fake.drafts.get(id)!.fields.note, { timeout: 3_000 }).toBe('gõ rồi đi ngay');
  });
});

/** One draft as the fake keeps it. */
interface FakeDraft {
  id: string;
  formId: string;
  revision: number;
  fields: Record<string, unknown>;
  resumeCode: string;
  resumeAnswer: 'off' | 'optional' | 'required';
  answer: string | undefined;
  returnTo: string | undefined;
  updatedAt: number;
}

/** One request to `/_sanh/drafts…` as the fake saw it. */
interface SeenRequest {
  method: string;
  path: string;
  at: number;
  ifMatch: string | undefined;
  contentType: string | undefined;
  body: unknown;
  status: number;
}

/** The fake server, its state and its knobs. */
interface FakeDrafts {
  url: string;
  drafts: Map<string, FakeDraft>;
  seen: SeenRequest[];
  /** Statuses the next draft API requests get instead of their answer, first first (0: the connection is dropped). */
  faults: number[];
  /** Milliseconds the next draft API requests are held before they are answered, first first. */
  delays: number[];
  /** Pages served as is: path → HTML. */
  pages: Map<string, string>;
  /** `resumeAnswer` of the drafts created from now on. */
  resumeAnswer: FakeDraft['resumeAnswer'];
  /** Changes a draft as another device would (a new revision). */
  edit(id: string, fields: Record<string, unknown>): void;
  close(): Promise<void>;
}

const view = (d: FakeDraft) => ({
  id: d.id,
  formId: d.formId,
  revision: d.revision,
  createdAt: new Date(d.updatedAt).toISOString(),
  updatedAt: new Date(d.updatedAt).toISOString(),
  expiresAt: new Date(d.updatedAt + 30 * 86_400_000).toISOString(),
  resumeCode: d.resumeCode,
  resumeAnswer: d.resumeAnswer,
  resumeAnswerSet: d.answer !== undefined,
  returnTo: d.returnTo,
  fields: d.fields,
  attachments: [],
});

const error = (code: string) => ({ error: { code, message: code.replace(/_/g, ' '), requestId: 'fake' } });

/** Starts the fake on a free loopback port. */
async function startFakeDrafts(): Promise<FakeDrafts> {
  const drafts = new Map<string, FakeDraft>();
  const seen: SeenRequest[] = [];
  const faults: number[] = [];
  const delays: number[] = [];
  const pages = new Map<string, string>();
  let counter = 0;
  const app = new Hono();
  const fake = { resumeAnswer: 'off' as FakeDraft['resumeAnswer'] };

  app.get('/_sanh/draft.js', draftScriptHandler);
  app.use('/_sanh/drafts/*', async (c, next) => {
    const text = c.req.method === 'GET' || c.req.method === 'DELETE' ? '' : await c.req.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* kept as text */
    }
    const entry: SeenRequest = {
      method: c.req.method,
      path: new URL(c.req.url).pathname,
      at: Date.now(),
      ifMatch: c.req.header('if-match'),
      contentType: c.req.header('content-type'),
      body,
      status: 0,
    };
    seen.push(entry);
    c.set('fakeBody' as never, body as never);
    const fault = faults.shift();
    if (fault === 0) {
      // Drop the connection: the browser sees a network error.
      const incoming = (c.env as { incoming?: { socket: { destroy(): void } } }).incoming;
      incoming?.socket.destroy();
      return new Response(null, { status: 599 });
    }
    if (fault !== undefined) {
      entry.status = fault;
      return c.json(error(`fault_${fault}`), fault as 500, fault === 429 ? { 'Retry-After': '3' } : {});
    }
    const delay = delays.shift();
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
    await next();
    entry.status = c.res.status;
  });
  const bodyOf = (c: { get(key: never): unknown }) => c.get('fakeBody' as never) as Record<string, unknown> | undefined;
  app.post('/_sanh/drafts', (c) => {
    const body = bodyOf(c);
    if (!body || typeof body.formId !== 'string') return c.json(error('bad_request'), 400);
    counter += 1;
    const id = `draft${String(counter).padStart(17, '0')}`;
    const d: FakeDraft = {
      id,
      formId: body.formId,
      revision: 1,
      fields: (body.fields as Record<string, unknown>) ?? {},
      resumeCode: `7KQ2M-9XD4T-RAW${String(counter % 100).padStart(2, '0')}`,
      resumeAnswer: fake.resumeAnswer,
      answer: undefined,
      returnTo: typeof body.returnTo === 'string' ? body.returnTo : undefined,
      updatedAt: Date.now(),
    };
    drafts.set(id, d);
    return c.json(view(d), 201, { ETag: '"1"', Location: `/_sanh/drafts/${id}` });
  });
  app.get('/_sanh/drafts/:id', (c) => {
    const d = drafts.get(c.req.param('id'));
    if (!d) return c.json(error('draft_not_found'), 404);
    return c.json(view(d), 200, { ETag: `"${d.revision}"`, 'Cache-Control': 'no-store' });
  });
  app.put('/_sanh/drafts/:id', (c) => {
    const d = drafts.get(c.req.param('id'));
    if (!d) return c.json(error('draft_not_found'), 404);
    const ifMatch = c.req.header('if-match');
    if (!ifMatch) return c.json(error('precondition_required'), 428);
    if (ifMatch !== `"${d.revision}"`) return c.json({ ...error('draft_stale'), revision: d.revision }, 412, { ETag: `"${d.revision}"` });
    const body = bodyOf(c) ?? {};
    if (c.req.header('content-type')?.startsWith('application/merge-patch+json')) {
      for (const [k, v] of Object.entries(body)) {
        if (v === null) delete d.fields[k];
        else d.fields[k] = v;
      }
    } else d.fields = body;
    d.revision += 1;
    d.updatedAt = Date.now();
    return c.json({ id: d.id, revision: d.revision, updatedAt: new Date(d.updatedAt).toISOString(), expiresAt: view(d).expiresAt }, 200, {
      ETag: `"${d.revision}"`,
    });
  });
  app.delete('/_sanh/drafts/:id', (c) => {
    drafts.delete(c.req.param('id'));
    return c.body(null, 204);
  });
  app.put('/_sanh/drafts/:id/resume-answer', (c) => {
    const d = drafts.get(c.req.param('id'));
    if (!d) return c.json(error('draft_not_found'), 404);
    const answer = bodyOf(c)?.answer;
    if (typeof answer !== 'string' || answer.length < 1 || answer.length > 100) return c.json(error('invalid_answer'), 422);
    d.answer = answer;
    return c.body(null, 204);
  });
  app.get('*', (c) => {
    const page = pages.get(new URL(c.req.url).pathname);
    return page === undefined ? c.text('not found', 404) : c.html(page);
  });

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    drafts,
    seen,
    faults,
    delays,
    pages,
    get resumeAnswer() {
      return fake.resumeAnswer;
    },
    set resumeAnswer(value) {
      fake.resumeAnswer = value;
    },
    edit(id, fields) {
      const d = drafts.get(id);
      if (!d) throw new Error(`no draft ${id}`);
      for (const [k, v] of Object.entries(fields)) {
        if (v === null) delete d.fields[k];
        else d.fields[k] = v;
      }
      d.revision += 1;
      d.updatedAt = Date.now();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
