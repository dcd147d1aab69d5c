import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Visitor, inProcess } from '../../tests/helpers/visitor.js';
import { createAdminApp } from '../admin/app.js';
import { createDashboard } from '../admin/dashboard/routes.js';
import { createLiveSettings } from '../admin/live.js';
import { createAdminMetrics } from '../admin/metrics.js';
import { createMemorySettingsStore } from '../admin/settings-store.js';
import { parseAdminTokens } from '../admin/tokens.js';
import { roomFigures } from '../admin/figures.js';
import { createApp } from '../app.js';
import { parseConfig } from '../config/load.js';
import { createDrafts } from '../drafts/index.js';
import { createMemoryDraftStore } from '../drafts/memory-store.js';
import type { OriginClient } from '../proxy/port.js';
import { createSubmissions } from '../submissions/index.js';
import { createMemorySubmissionStore } from '../submissions/memory-store.js';
import { renderNotKeptPage } from '../submissions/pages/kept.js';
import { createMemoryWaitingRoomStore } from '../waiting-room/memory-store.js';
import { createWaitingRoom } from '../waiting-room/index.js';
import { manualClock } from './clock.js';
import { SanhError } from './errors.js';
import { parseKeyRing } from './keyring.js';
import { silentLogger } from './logger.js';
import {
  API_SECURITY_HEADERS,
  cspHash,
  inlineBlocks,
  ORIGIN_ANSWER_MARK,
  PAGE_SCRIPT_HASHES,
  PAGE_STYLE_ATTRIBUTE_HASHES,
  PAGE_STYLE_HASHES,
  securityHeaderValues,
} from './security-headers.js';

const KEYS = parseKeyRing(`k1:${'a'.repeat(40)}`);
const OPERATE = 'o'.repeat(32);
const NOW = Date.UTC(2030, 4, 6, 2, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

/** Node's own SHA-256, to check the middleware's own implementation (runtime-free) against. */
const sha256 = (text: string) => `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;

/** Checks the four headers and that the CSP allows exactly what the page needs inline: every block's hash is pinned. */
async function expectProtectedPage(kind: string, response: Response, referrerPolicies = ['strict-origin-when-cross-origin', 'no-referrer']): Promise<void> {
  const csp = response.headers.get('content-security-policy') ?? '';
  const type = response.headers.get('content-type') ?? '';
  if (!type.startsWith('text/html')) {
    // Not a page: the short policy under which nothing loads, runs or frames it.
    expect({ kind, csp }).toEqual({ kind, csp: API_SECURITY_HEADERS['content-security-policy'] });
    expect(response.headers.get('x-content-type-options'), kind).toBe('nosniff');
    expect(response.headers.get('x-frame-options'), kind).toBe('DENY');
    expect(response.headers.has(ORIGIN_ANSWER_MARK), kind).toBe(false);
    return;
  }
  expect({ kind, csp: csp.includes("frame-ancestors 'none'") }).toEqual({ kind, csp: true });
  expect(csp, kind).toContain("default-src 'none'");
  expect(csp, kind).not.toContain("'unsafe-inline'");
  expect(csp, kind).not.toContain("'unsafe-eval'");
  expect(response.headers.get('x-content-type-options'), kind).toBe('nosniff');
  expect(response.headers.get('x-frame-options'), kind).toBe('DENY');
  // the default, or the stricter one a route (the gate's answers, receipts) sets itself
  expect(referrerPolicies, kind).toContain(response.headers.get('referrer-policy'));
  expect(response.headers.has(ORIGIN_ANSWER_MARK), kind).toBe(false);
  const { scripts, styles, attributes } = inlineBlocks(await response.text());
  const missing = [
    ...scripts
      .map(sha256)
      .filter((h) => !PAGE_SCRIPT_HASHES.includes(h))
      .map((h) => `script ${h}`),
    ...styles
      .map(sha256)
      .filter((h) => !PAGE_STYLE_HASHES.includes(h))
      .map((h) => `style ${h}`),
    ...attributes
      .map(sha256)
      .filter((h) => !PAGE_STYLE_ATTRIBUTE_HASHES.includes(h))
      .map((h) => `style attribute ${h}`),
  ];
  expect(missing, `${kind}: inline blocks whose hash is not pinned in src/platform/security-headers.ts`).toEqual([]);
  for (const hash of [...scripts, ...styles, ...attributes].map(sha256)) expect(csp, kind).toContain(`'${hash}'`);
}

/** A portal that answers with its own headers (and a CSP of its own on /own-csp), or fails on /down. */
const origin: OriginClient = {
  async forward(request) {
    if (request.pathAndQuery.startsWith('/down')) throw new SanhError('origin_unreachable', 'The portal could not be reached.');
    const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8' };
    if (request.pathAndQuery.startsWith('/own-csp')) headers['content-security-policy'] = 'script-src https://cdn.portal.example';
    return new Response('<!doctype html><p>portal</p><script>portalCode()</script>', { headers });
  },
  close: async () => undefined,
};

/** An operator's template with its own style sheet and style attribute, and a script block that holds a placeholder (never allowed). */
const TEMPLATE = `<!doctype html><html lang="{{lang}}"><head><meta charset="utf-8"><title>{{title}}</title>
<style>body{font:17px Arial,sans-serif;background:#fff}.pos{font-size:2.75rem}</style></head>
<body><h1 style="color:#8b0000">{{title}}</h1><p class="pos" id="sanh-pos">{{position}}</p>
<script>window.place = "{{position}}";</script>
{{sanhScript}}</body></html>`;

async function publicApp() {
  const clock = manualClock(NOW);
  const config = parseConfig({
    rooms: [
      { id: 'main', match: ['/'], maxActive: 1, admitPerMinute: 60 },
      {
        id: 'event',
        match: ['/event'],
        maxActive: 5,
        admitPerMinute: 60,
        events: [{ id: 'launch', preQueueFrom: iso(NOW - 60_000), opensAt: iso(NOW + 3_600_000) }],
      },
      {
        id: 'shut',
        match: ['/shut'],
        maxActive: 5,
        admitPerMinute: 60,
        mode: 'closed',
        reopensAt: iso(NOW + 7_200_000),
        message: { vi: 'Đóng để bảo trì.', en: 'Closed for maintenance.' },
      },
      { id: 'held', match: ['/held'], maxActive: 5, admitPerMinute: 60, mode: 'paused' },
      { id: 'guarded', match: ['/guarded'], maxActive: 5, admitPerMinute: 60, challenge: { enabled: true, difficultyBits: 4 } },
      { id: 'styled', match: ['/styled'], maxActive: 1, admitPerMinute: 60, templateHtml: TEMPLATE },
      {
        id: 'forms',
        match: ['/apply', '/own-csp', '/down'],
        maxActive: 50,
        admitPerMinute: 6_000,
        submissions: { routes: [{ path: '/apply/urgent', defer: 'always' }] },
      },
    ],
  });
  const waitingRoom = createWaitingRoom({ rooms: config.rooms, store: createMemoryWaitingRoomStore({ clock }), keyRing: KEYS, clock });
  await waitingRoom.snapshots.refresh();
  const drafts = createDrafts({ config: config.drafts, store: createMemoryDraftStore({ clock }), keyRing: KEYS, clientAddress: () => '192.0.2.1' });
  const submissions = createSubmissions({
    config: config.submissions,
    rooms: config.rooms,
    originTimeoutSeconds: 5,
    store: createMemorySubmissionStore({ clock }),
    keyRing: KEYS,
    origin,
    logger: silentLogger,
    idleMs: 10,
  });
  const app = createApp({ waitingRoom, drafts, submissions, origin, logger: silentLogger, pageTemplates: [TEMPLATE] });
  return { app, visitor: () => new Visitor(inProcess(app)), stop: () => submissions.stop() };
}

describe("securityHeaders: every page Sảnh draws, never the origin's", () => {
  it('protects the citizen pages: waiting, countdown, closed, paused, challenge, drafts, receipts and errors', async () => {
    const { app, visitor, stop } = await publicApp();
    try {
      const first = visitor();
      expect((await first.page('/')).headers.get('sanh-state')).toBe('admitted');
      for (const lang of ['vi', 'en']) {
        const waiting = await visitor().page(`/?lang=${lang}`);
        expect(waiting.headers.get('sanh-state')).toBe('queued');
        await expectProtectedPage(`waiting page (${lang})`, waiting);
      }
      const countdown = await visitor().page('/event');
      expect(countdown.headers.get('sanh-state')).toBe('prequeue');
      await expectProtectedPage('countdown page', countdown);
      const closed = await visitor().page('/shut');
      expect(closed.headers.get('sanh-state')).toBe('closed');
      await expectProtectedPage('closed page', closed);
      await expectProtectedPage('paused page', await visitor().page('/held'));
      const challenge = await visitor().page('/guarded');
      expect(challenge.status).toBe(403);
      await expectProtectedPage('challenge page', challenge);
      await expectProtectedPage('draft resume page', await visitor().page('/_sanh/drafts/resume'));
      await expectProtectedPage('draft resume page (en)', await visitor().page('/_sanh/drafts/resume?lang=en'));

      const citizen = visitor();
      const caught = await citizen.request('/apply/urgent', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
        body: 'name=Lan',
      });
      expect(caught.status).toBe(202);
      const statusUrl = caught.headers.get('location') ?? '';
      await expectProtectedPage('receipt page (just accepted)', caught);
      expect(statusUrl).toMatch(/^\/_sanh\/receipts\//);
      await expectProtectedPage('receipt status page', await citizen.page(statusUrl));
      await expectProtectedPage('receipt status JSON', await citizen.request(statusUrl, { headers: { accept: 'application/json' } }));

      await expectProtectedPage('error page: no such Sảnh endpoint', await visitor().page('/_sanh/nowhere'));
      await expectProtectedPage('error JSON', await app.request('/_sanh/nowhere', { headers: { accept: 'application/json' } }));
      const down = await visitor().page('/down');
      expect(down.status).toBe(502);
      await expectProtectedPage('error page: portal unreachable', down);
      await expectProtectedPage('draft script', await app.request('/_sanh/draft.js'));
    } finally {
      await stop();
    }
  });

  it('pins every inline block of the kept-submission page, in both languages, with and without the kept form', async () => {
    for (const lang of ['vi', 'en'] as const) {
      for (const resend of [{ action: '/apply', fields: [['name', 'Lan']] as const }, undefined]) {
        const html = renderNotKeptPage({
          lang,
          reason: 'full',
          retryAfterSeconds: 30,
          ...(resend ? { resend } : {}),
          hasDraft: true,
          otherLangUrl: '/_sanh/kept',
        });
        await expectProtectedPage(
          `kept page ${lang}${resend ? '' : ' (no form)'}`,
          new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8', ...securityHeaderValues() } }),
        );
      }
    }
  });

  it("allows an operator template's own static inline style, never its blocks that hold a placeholder", async () => {
    const { visitor, stop } = await publicApp();
    try {
      expect((await visitor().page('/styled')).headers.get('sanh-state')).toBe('admitted');
      const page = await visitor().page('/styled');
      expect(page.headers.get('sanh-state')).toBe('queued');
      const csp = page.headers.get('content-security-policy') ?? '';
      const html = await page.text();
      const { scripts, styles, attributes } = inlineBlocks(html);
      expect(csp).toContain(`'${sha256(styles[0] ?? '')}'`);
      expect(csp).toContain(`'${sha256(attributes[0] ?? '')}'`);
      const placeholderScript = scripts.find((script) => script.includes('window.place')) ?? '';
      expect(placeholderScript).not.toBe('');
      expect(csp).not.toContain(sha256(placeholderScript));
      expect(scripts.filter((script) => script !== placeholderScript).every((script) => PAGE_SCRIPT_HASHES.includes(sha256(script)))).toBe(true);
      for (const text of ['', 'body{}', 'Sảnh chờ', 'x'.repeat(55), 'x'.repeat(56), 'x'.repeat(64), 'x'.repeat(1_000)])
        expect(cspHash(text)).toBe(sha256(text));
    } finally {
      await stop();
    }
  });

  it("leaves the origin's answers as the portal sent them, its own policy included", async () => {
    const { visitor, stop } = await publicApp();
    try {
      const plain = await visitor().page('/apply');
      expect(plain.headers.get('sanh-state')).toBe('admitted');
      expect(await plain.text()).toContain('portal');
      for (const name of ['content-security-policy', 'x-frame-options', 'x-content-type-options', 'referrer-policy', ORIGIN_ANSWER_MARK])
        expect(plain.headers.has(name), name).toBe(false);
      const own = await visitor().page('/own-csp');
      expect(own.headers.get('content-security-policy')).toBe('script-src https://cdn.portal.example');
      expect(own.headers.has('x-frame-options')).toBe(false);
    } finally {
      await stop();
    }
  });

  it('protects every dashboard page and the admin API (no referrer at all there)', async () => {
    const config = parseConfig({ rooms: [{ id: 'main', name: { vi: 'Cổng', en: 'Portal' }, match: ['/'], maxActive: 5, admitPerMinute: 60 }] });
    const clock = manualClock(NOW);
    const tokens = parseAdminTokens(`ops:operate:${OPERATE}`);
    const waitingRoom = createWaitingRoom({ rooms: config.rooms, store: createMemoryWaitingRoomStore({ clock }), keyRing: KEYS, clock });
    const store = createMemorySettingsStore({ clock });
    const settings = createLiveSettings({ rooms: config.rooms, store, logger: silentLogger, clock });
    await settings.start();
    const dashboard = createDashboard({
      tokens,
      rooms: config.rooms,
      figures: (room) => roomFigures(room, waitingRoom.snapshots, { backlog: () => undefined }),
      settings,
      sessions: store,
      logger: silentLogger,
      clock,
    });
    const admin = createAdminApp({
      tokens,
      rooms: config.rooms,
      snapshots: waitingRoom.snapshots,
      backlog: () => undefined,
      metrics: createAdminMetrics({
        backlog: () => undefined,
        rooms: config.rooms,
        snapshots: waitingRoom.snapshots,
        counters: waitingRoom.counters,
        waits: waitingRoom.waits,
        clock,
      }),
      settings,
      settingsStore: store,
      dashboard,
      logger: silentLogger,
      clock,
    });
    try {
      const page = (kind: string, response: Response | Promise<Response>) =>
        Promise.resolve(response).then((r) => expectProtectedPage(kind, r, ['no-referrer']));
      await page('dashboard sign-in', admin.request('/dashboard/login?lang=vi'));
      await page('dashboard sign-in refused', admin.request('/dashboard/login', { method: 'POST', body: new URLSearchParams({ token: 'wrong', lang: 'en' }) }));
      const signedIn = await admin.request('/dashboard/login', { method: 'POST', body: new URLSearchParams({ token: OPERATE, lang: 'en' }) });
      await page('dashboard sign-in redirect', signedIn);
      const cookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const board = await admin.request('/dashboard?lang=en', { headers: { cookie } });
      const html = await board.clone().text();
      await page('dashboard', board);
      const form = /name="form" value="([^"]+)"/.exec(html)?.[1] ?? '';
      const version = /name="version" value="(\d+)"/.exec(html)?.[1] ?? '0';
      const was = { version, was_maxActive: '5', was_admitPerMinute: '60', was_mode: 'open', was_message_vi: '', was_message_en: '' };
      await page(
        'dashboard confirmation',
        admin.request('/dashboard/rooms/main/review', {
          method: 'POST',
          headers: { cookie },
          body: new URLSearchParams({ form, lang: 'en', ...was, maxActive: '9', admitPerMinute: '60', mode: 'open', message_vi: '', message_en: '' }),
        }),
      );
      await page(
        'dashboard problem page',
        admin.request('/dashboard/rooms/main/apply', { method: 'POST', headers: { cookie }, body: new URLSearchParams({ form: 'forged', lang: 'en' }) }),
      );
      await page('dashboard script', admin.request('/dashboard/app.js'));
      await page('admin API error', admin.request('/api/rooms'));
      await page('admin API', admin.request('/api/rooms', { headers: { authorization: `Bearer ${OPERATE}` } }));
    } finally {
      settings.stop();
    }
  });
});
