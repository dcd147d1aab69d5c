import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { RoomConfig } from '../../src/config/schema.js';
import { LANGS, type Lang } from '../../src/platform/i18n.js';
import { RESUME_PROBLEMS, renderResumePage } from '../../src/drafts/pages/resume.js';
import { renderWaitingPage, type WaitingNotice } from '../../src/waiting-room/page.js';
import { renderClosedPage } from '../../src/waiting-room/pages/closed.js';
import { renderCountdownPage } from '../../src/waiting-room/pages/countdown.js';
import type { ReceiptRecord } from '../../src/submissions/core.js';
import { renderReceiptPage } from '../../src/submissions/pages/receipt.js';
import { receiptView, type ReceiptView } from '../../src/submissions/view.js';
import { templateProblems } from '../../src/waiting-room/template.js';
import type { QueueStatus } from '../../src/waiting-room/visit.js';
import { axeViolations } from '../helpers/axe.js';
import { launchChromium } from '../helpers/browser.js';

const SCREENSHOTS = new URL('./screenshots/', import.meta.url);

const room: RoomConfig = parseConfig({
  rooms: [
    {
      id: 'residence',
      name: { vi: 'Đăng ký thường trú', en: 'Permanent residence registration' },
      match: ['/apply'],
      maxActive: 1,
      admitPerMinute: 1,
    },
  ],
}).rooms[0]!;

const MESSAGE: Record<Lang, string> = {
  vi: 'Chúng tôi đang nâng cấp hệ thống để phục vụ bạn tốt hơn. Xin cảm ơn bạn đã kiên nhẫn.',
  en: 'We are upgrading the system to serve you better. Thank you for your patience.',
};

/** An operator template a portal might ship: its own look, every figure live. */
const TEMPLATE = `<!doctype html>
<html lang="{{lang}}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} · {{roomName}}</title>
<style>body{margin:0;font:17px/1.5 Arial,sans-serif;background:#fff;color:#222}header{background:#8b0000;color:#fff;padding:.75rem 1rem}
main{padding:1rem}.pos{font-size:2.75rem;font-weight:700}footer{padding:1rem;font-size:.9rem}a{color:#004a99}</style></head>
<body><header><p>{{roomName}}</p></header>
<main><h1>{{title}}</h1><p>{{notice}}</p>
<p>Số thứ tự / Place: <span class="pos" id="sanh-pos">{{position}}</span></p>
<p id="sanh-ahead">{{ahead}}</p>
<p>Thời gian chờ / Wait: <span id="sanh-eta">{{eta}}</span> (<span id="sanh-time">{{updated}}</span>)</p></main>
<footer><a href="{{otherLangUrl}}" hreflang="{{otherLang}}" lang="{{otherLang}}">{{otherLangLabel}}</a></footer>
{{sanhScript}}</body></html>`;

/** What the status address answers (the poller's view of the line). */
let statusBody: Record<string, unknown> = { state: 'queued', position: 3, ahead: 2, etaSeconds: 90, pollAfterSeconds: 5 };

function queued(position: number | null): QueueStatus {
  return { position, ahead: position === null ? null : position - 1, etaSeconds: position === null ? null : 240, pollAfterSeconds: 5, updatedAt: Date.now() };
}

/** Receipts of store-and-forward submissions, one per state a citizen may find theirs in. */
const ACCEPTED_AT = Date.parse('2026-03-14T09:05:00+07:00');
function receipt(id: string, record: Partial<ReceiptRecord>, minutesLater = 0): ReceiptView {
  const base: ReceiptRecord = {
    id: `residence.${id.padEnd(22, 'x')}`,
    room: 'residence',
    number: '260314-000123',
    state: 'accepted',
    acceptedAt: ACCEPTED_AT,
    updatedAt: ACCEPTED_AT + minutesLater * 60_000,
    attempts: 0,
    deadlineAt: ACCEPTED_AT + 86_400_000,
    hasAnswer: false,
  };
  return receiptView({ ...base, ...record }, ACCEPTED_AT + minutesLater * 60_000);
}
const RECEIPTS = {
  'receipt-accepted': receipt('accepted', {}),
  'receipt-delivering': receipt('delivering', { state: 'retrying', attempts: 3, problem: 'status 503', nextAttemptAt: ACCEPTED_AT + 25 * 60_000 }, 20),
  'receipt-delivered': receipt(
    'delivered',
    { state: 'delivered', attempts: 2, deliveredAt: ACCEPTED_AT + 47 * 60_000, originStatus: 201, applicationNumber: 'G22.103-260314-0457', hasAnswer: true },
    47,
  ),
  'receipt-rejected': receipt('rejected', { state: 'failed', attempts: 1, failure: 'rejected', originStatus: 400, hasAnswer: true }, 12),
  'receipt-attempts': receipt('attempts', { state: 'failed', attempts: 8, failure: 'attempts', problem: 'timeout' }, 300),
  'receipt-dropped': receipt('dropped', { state: 'failed', attempts: 8, failure: 'dropped' }, 600),
  'receipt-again': receipt('again', { state: 'retrying', attempts: 1, problem: 'unreachable', nextAttemptAt: ACCEPTED_AT + 2 * 60_000 }, 1),
} satisfies Record<string, ReceiptView>;
type ReceiptName = keyof typeof RECEIPTS;
const RECEIPT_NAMES = Object.keys(RECEIPTS) as ReceiptName[];

/** What the receipts' status address answers as JSON, by receipt id (a test may change one). */
const receiptBodies = new Map<string, ReceiptView>(Object.values(RECEIPTS).map((v) => [v.receiptId, v]));

type PageName = 'queued' | 'paused' | 'store' | 'closed' | 'prequeue' | 'template' | 'resume' | 'resume-problem' | ReceiptName;

function render(name: PageName, lang: Lang, url: URL): string {
  const path = url.pathname;
  // `?poll=N`: a receipt that is not final asks again after N seconds (to keep the tests short).
  const poll = url.searchParams.get('poll');
  const receiptPage = (view: ReceiptView, justAccepted: boolean, notice?: 'already-submitted') =>
    renderReceiptPage({
      lang,
      view: poll && view.pollAfterSeconds !== null ? { ...view, pollAfterSeconds: Number(poll) } : view,
      otherLangUrl,
      justAccepted,
      ...(notice ? { notice } : {}),
    });
  const otherLangUrl = `${path}?lang=${lang === 'vi' ? 'en' : 'vi'}`;
  const returnTo = url.searchParams.get('back') ?? '/apply/step/1';
  const waiting = (status: QueueStatus, notice?: WaitingNotice, r: RoomConfig = room) =>
    renderWaitingPage({ lang, room: r, status, returnTo, otherLangUrl, ...(notice ? { notice } : {}) });
  switch (name) {
    case 'queued':
      return waiting(queued(128));
    case 'paused':
      return waiting(queued(57), { kind: 'paused', message: MESSAGE[lang] });
    case 'store':
      return waiting(queued(null), { kind: 'store-unavailable' });
    case 'template':
      return waiting(queued(12), undefined, { ...room, templateHtml: TEMPLATE });
    case 'closed':
      return renderClosedPage({
        lang,
        room,
        message: MESSAGE[lang],
        reopensAt: Date.parse('2026-12-01T08:00:00+07:00'),
        otherLangUrl,
        now: Date.parse('2026-11-30T21:15:00+07:00'),
      });
    case 'resume':
      return renderResumePage({ lang, otherLangUrl });
    case 'resume-problem':
      return renderResumePage({ lang, code: '7kq2m 9xd4t rawh', problem: RESUME_PROBLEMS[lang].resume_code_invalid!, otherLangUrl });
    case 'receipt-accepted':
      return receiptPage(RECEIPTS[name], true);
    case 'receipt-again':
      return receiptPage(RECEIPTS[name], true, 'already-submitted');
    case 'receipt-delivering':
    case 'receipt-delivered':
    case 'receipt-rejected':
    case 'receipt-attempts':
    case 'receipt-dropped':
      return receiptPage(RECEIPTS[name], false);
    case 'prequeue': {
      const now = Date.now();
      const inSeconds = Number(url.searchParams.get('in') ?? 2 * 3600 + 15 * 60 + 42);
      return renderCountdownPage({
        lang,
        room,
        opensAt: now + inSeconds * 1000,
        now,
        entry: 'K7Q2-9XWD-M3PA',
        commitment: '3f79bb7b435b05321651daefd374cdc681dc06faa65e374e38337b88ca046dea',
        statusUrl: '/_sanh/status?room=residence',
        returnTo,
        otherLangUrl,
        ...(url.searchParams.has('in') ? { jitterMs: 0 } : {}),
      });
    }
  }
}

const app = new Hono();
app.get('/_sanh/status', (c) => c.json(statusBody));
app.get('/apply/step/1', (c) => c.html('<!doctype html><html lang="vi"><title>Đăng ký</title><main><h1>Đăng ký thường trú</h1></main></html>'));
app.get('/_sanh/receipts/:id', (c) => {
  const view = receiptBodies.get(c.req.param('id'));
  if (!view) return c.notFound();
  if (c.req.header('accept')?.includes('application/json')) return c.json(view);
  const lang = c.req.query('lang') === 'en' ? 'en' : 'vi';
  return c.html(renderReceiptPage({ lang, view, otherLangUrl: `${view.statusUrl}?lang=${lang === 'vi' ? 'en' : 'vi'}`, justAccepted: false }));
});
app.get('/page/:name', (c) => {
  const lang = c.req.query('lang') === 'en' ? 'en' : 'vi';
  return c.html(render(c.req.param('name') as PageName, lang, new URL(c.req.url)));
});

describe('every page a visitor can see, in Chromium at 320 px', () => {
  let server: ServerType;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 320, height: 640 }, baseURL: base });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  const SHOTS: Record<PageName, string> = {
    queued: 'queued',
    paused: 'paused',
    store: 'store-unavailable',
    closed: 'closed',
    prequeue: 'prequeue',
    template: 'template',
    resume: 'drafts-resume-page',
    'resume-problem': 'drafts-resume-page-problem',
    'receipt-accepted': 'receipt-accepted',
    'receipt-delivering': 'receipt-delivering',
    'receipt-delivered': 'receipt-delivered',
    'receipt-rejected': 'receipt-failed',
    'receipt-attempts': 'receipt-failed-attempts',
    'receipt-dropped': 'receipt-failed-dropped',
    'receipt-again': 'receipt-already-submitted',
  };
  const NAMES: PageName[] = ['queued', 'paused', 'store', 'closed', 'prequeue', 'template', 'resume', 'resume-problem', ...RECEIPT_NAMES];

  for (const name of NAMES) {
    for (const lang of LANGS) {
      it(`${name} (${lang}): no axe violations, no sideways scroll, under 20 KB`, async () => {
        statusBody = { state: 'queued', position: 3, ahead: 2, etaSeconds: 90, pollAfterSeconds: 5 };
        const page = await context.newPage();
        try {
          const response = await page.goto(`/page/${name}?lang=${lang}`);
          const html = (await response?.text()) ?? '';
          expect(Buffer.byteLength(html)).toBeLessThan(20 * 1024);
          expect(await page.getAttribute('html', 'lang')).toBe(lang);
          expect(await axeViolations(page)).toEqual([]);
          expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
          await page.screenshot({ path: new URL(`${SHOTS[name]}-${lang}.png`, SCREENSHOTS).pathname, fullPage: true });
        } finally {
          await page.close();
        }
      });
    }
  }

  for (const name of RECEIPT_NAMES) {
    for (const lang of LANGS) {
      it(`${name} (${lang}): the receipt number is visible, refreshes onto the status page only while not final, prints without the language switch`, async () => {
        const view = RECEIPTS[name];
        const page = await context.newPage();
        try {
          const html = (await (await page.goto(`/page/${name}?lang=${lang}`))?.text()) ?? '';
          const number = page.locator('#sanh-number');
          expect(await number.isVisible()).toBe(true);
          expect((await number.innerText()).trim()).toBe(view.receiptNumber);
          expect(await page.locator('main').innerText()).toContain(view.receiptNumber);
          const refreshes = [...html.matchAll(/<meta http-equiv="refresh" content="([^"]*)"/g)].map((m) => m[1]);
          expect(refreshes).toEqual(view.pollAfterSeconds === null ? [] : [`${view.pollAfterSeconds};url=${view.statusUrl}?lang=${lang}`]);
          expect(await page.locator(`a[href="${view.statusUrl}?lang=${lang}"]`).count()).toBe(1);
          expect(await page.isVisible('#sanh-print')).toBe(true);
          expect(await page.isVisible('nav')).toBe(true);
          await page.emulateMedia({ media: 'print' });
          expect(await page.isVisible('nav')).toBe(false);
          expect(await page.isVisible('#sanh-print')).toBe(false);
          expect(await number.isVisible()).toBe(true);
          expect(await page.evaluate(() => getComputedStyle(document.querySelector('.card')!).borderTopStyle)).toBe('none');
        } finally {
          await page.close();
        }
      });
    }
  }

  it("the receipt's texts follow its state", async () => {
    const page = await context.newPage();
    try {
      const text = async (name: ReceiptName, lang: Lang) => {
        await page.goto(`/page/${name}?lang=${lang}`);
        return page.locator('main').innerText();
      };
      expect(await text('receipt-accepted', 'vi')).toContain('Hồ sơ của bạn đã được tiếp nhận');
      expect(await text('receipt-accepted', 'en')).toContain('You do not need to submit again. You may close this page.');
      const delivering = await text('receipt-delivering', 'en');
      expect(delivering).toContain('the portal is busy, code 503');
      expect(delivering).toContain('Next try at 09:30');
      const delivered = await text('receipt-delivered', 'vi');
      expect(delivered).toContain('Mã hồ sơ của cổng');
      expect(delivered).toContain('G22.103-260314-0457');
      expect(await page.locator(`a[href="${RECEIPTS['receipt-delivered'].answerUrl}?lang=vi"]`).innerText()).toBe('Xem trả lời của cổng');
      expect(await text('receipt-rejected', 'en')).toContain('answer code 400');
      expect(await page.locator(`a[href="${RECEIPTS['receipt-rejected'].answerUrl}?lang=en"]`).count()).toBe(1);
      expect(await text('receipt-attempts', 'en')).toContain('The portal did not confirm receiving it.');
      expect(await text('receipt-dropped', 'en')).toContain('withdrew');
      expect(await text('receipt-again', 'vi')).toContain('Hồ sơ không bị gửi hai lần.');
      expect(await text('receipt-accepted', 'vi')).not.toContain('Hồ sơ không bị gửi hai lần.');
    } finally {
      await page.close();
    }
  });

  it('without JavaScript, a receipt that is not final refreshes onto its status page', async () => {
    const noJs = await browser.newContext({ viewport: { width: 320, height: 640 }, baseURL: base, javaScriptEnabled: false });
    try {
      const page = await noJs.newPage();
      await page.goto('/page/receipt-accepted?lang=en&poll=1');
      expect(await page.isVisible('#sanh-print')).toBe(false);
      await page.waitForURL(`**${RECEIPTS['receipt-accepted'].statusUrl}?lang=en`, { timeout: 10_000 });
      expect(await page.textContent('h1')).toBe('Your submission has been received');
    } finally {
      await noJs.close();
    }
  });

  it('with JavaScript, a receipt moves to its status page once its state changed, and not before', async () => {
    const accepted = RECEIPTS['receipt-accepted'];
    const page = await context.newPage();
    try {
      const asked: string[] = [];
      page.on('request', (r) => r.url().includes('/_sanh/receipts/') && asked.push(r.headers().accept ?? ''));
      receiptBodies.set(accepted.receiptId, { ...accepted, pollAfterSeconds: 1 });
      await page.goto('/page/receipt-accepted?lang=vi&poll=1');
      await expect.poll(() => asked.length, { timeout: 10_000, interval: 250 }).toBeGreaterThanOrEqual(2);
      expect(asked.every((accept) => accept.includes('application/json'))).toBe(true);
      expect(new URL(page.url()).pathname).toBe('/page/receipt-accepted');
      receiptBodies.set(accepted.receiptId, { ...RECEIPTS['receipt-delivered'], receiptId: accepted.receiptId, statusUrl: accepted.statusUrl });
      await page.waitForURL(`**${accepted.statusUrl}?lang=vi`, { timeout: 10_000 });
      expect(await page.textContent('h1')).toBe('Hồ sơ của bạn đã được gửi đến cổng');
    } finally {
      receiptBodies.set(accepted.receiptId, accepted);
      await page.close();
    }
  });

  it('the axe check does find violations (on a page made to have them)', async () => {
    const page = await context.newPage();
    try {
      await page.setContent('<html><body><img src="x.png"><p style="color:#ccc">faint</p></body></html>');
      const found = (await axeViolations(page)).map((v) => v.split(' ')[0]);
      expect(found).toEqual(expect.arrayContaining(['html-has-lang', 'image-alt', 'color-contrast']));
    } finally {
      await page.close();
    }
  });

  it('the sample template is valid', () => {
    expect(templateProblems(TEMPLATE)).toEqual([]);
  });

  it('the poller shows a dash and the store notice while the place is unknown, and the figures when they are back', async () => {
    statusBody = { state: 'queued', position: null, ahead: null, etaSeconds: null, pollAfterSeconds: 1 };
    const page = await context.newPage();
    try {
      await page.goto('/page/queued?lang=en');
      expect((await page.textContent('#sanh-pos'))?.trim()).toBe('128');
      expect(await page.isVisible('#sanh-nostore')).toBe(false);
      await page.waitForFunction(() => document.getElementById('sanh-pos')?.textContent === '—', undefined, { timeout: 10_000 });
      expect(await page.textContent('#sanh-ahead')).toBe('');
      expect(await page.textContent('#sanh-eta')).toBe('not yet known');
      expect(await page.isVisible('#sanh-nostore')).toBe(true);
      statusBody = { state: 'queued', position: 2, ahead: 1, etaSeconds: 5400, pollAfterSeconds: 1 };
      await page.waitForFunction(() => document.getElementById('sanh-pos')?.textContent === '2', undefined, { timeout: 10_000 });
      expect(await page.textContent('#sanh-ahead')).toBe('1 person is ahead of you.');
      expect(await page.textContent('#sanh-eta')).toBe('about 1 hour 30 min');
      expect(await page.isVisible('#sanh-nostore')).toBe(false);
      statusBody = { state: 'admitted', position: 0, ahead: 0, etaSeconds: 0, pollAfterSeconds: null };
      await page.waitForURL('**/apply/step/1', { timeout: 10_000 });
    } finally {
      await page.close();
    }
  });

  it("the template's figures are live too", async () => {
    statusBody = { state: 'queued', position: 4, ahead: 3, etaSeconds: 30, pollAfterSeconds: 1 };
    const page = await context.newPage();
    try {
      await page.goto('/page/template?lang=vi');
      expect((await page.textContent('#sanh-pos'))?.trim()).toBe('12');
      await page.waitForFunction(() => document.getElementById('sanh-pos')?.textContent === '4', undefined, { timeout: 10_000 });
      expect(await page.textContent('#sanh-ahead')).toBe('Có 3 người trước bạn.');
      expect(await page.textContent('#sanh-eta')).toBe('dưới 1 phút');
    } finally {
      await page.close();
    }
  });

  it('the countdown counts down and moves on at opening', async () => {
    statusBody = { state: 'none', position: null, ahead: null, etaSeconds: null, pollAfterSeconds: null };
    const page = await context.newPage();
    try {
      await page.goto('/page/prequeue?lang=vi&in=3');
      expect(await page.textContent('#sanh-left')).toMatch(/^00:00:0[23]$/);
      await page.waitForFunction(() => document.getElementById('sanh-left')?.textContent === '00:00:01', undefined, { timeout: 5_000 });
      await page.waitForURL('**/apply/step/1', { timeout: 6_000 });
    } finally {
      await page.close();
    }
  });

  it('without JavaScript, the waiting page and a template refresh themselves', async () => {
    const noJs = await browser.newContext({ viewport: { width: 320, height: 640 }, baseURL: base, javaScriptEnabled: false });
    try {
      for (const name of ['queued', 'template'] as const) {
        const page = await noJs.newPage();
        const loads: number[] = [];
        page.on('load', () => loads.push(Date.now()));
        await page.goto(`/page/${name}?lang=vi`);
        await expect.poll(() => loads.length, { timeout: 12_000, interval: 250 }).toBeGreaterThanOrEqual(2);
        await page.close();
      }
    } finally {
      await noJs.close();
    }
  });
});
