import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { AxeResults } from 'axe-core';
import { Hono } from 'hono';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { RoomConfig } from '../../src/config/schema.js';
import { LANGS, type Lang } from '../../src/platform/i18n.js';
import { RESUME_PROBLEMS, renderResumePage } from '../../src/drafts/pages/resume.js';
import { renderWaitingPage, type WaitingNotice } from '../../src/waiting-room/page.js';
import { renderClosedPage } from '../../src/waiting-room/pages/closed.js';
import { renderCountdownPage } from '../../src/waiting-room/pages/countdown.js';
import { templateProblems } from '../../src/waiting-room/template.js';
import type { QueueStatus } from '../../src/waiting-room/visit.js';
import { launchChromium } from '../helpers/browser.js';

const SCREENSHOTS = new URL('./screenshots/', import.meta.url);
const AXE_SOURCE = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

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

type PageName = 'queued' | 'paused' | 'store' | 'closed' | 'prequeue' | 'template' | 'resume' | 'resume-problem';

function render(name: PageName, lang: Lang, url: URL): string {
  const path = url.pathname;
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
      return renderClosedPage({ lang, room, message: MESSAGE[lang], reopensAt: Date.parse('2026-12-01T08:00:00+07:00'), otherLangUrl, now: Date.parse('2026-11-30T21:15:00+07:00') });
    case 'resume':
      return renderResumePage({ lang, otherLangUrl });
    case 'resume-problem':
      return renderResumePage({ lang, code: '7kq2m 9xd4t rawh', problem: RESUME_PROBLEMS[lang].resume_code_invalid!, otherLangUrl });
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

  async function axeViolations(page: Page): Promise<string[]> {
    await page.addScriptTag({ content: await AXE_SOURCE });
    const results = await page.evaluate(() => (window as unknown as { axe: { run(): Promise<AxeResults> } }).axe.run());
    return results.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.html).join(' | ')}`);
  }

  const SHOTS: Record<PageName, string> = {
    queued: 'queued',
    paused: 'paused',
    store: 'store-unavailable',
    closed: 'closed',
    prequeue: 'prequeue',
    template: 'template',
    resume: 'drafts-resume-page',
    'resume-problem': 'drafts-resume-page-problem',
  };
  const NAMES: PageName[] = ['queued', 'paused', 'store', 'closed', 'prequeue', 'template', 'resume', 'resume-problem'];

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
