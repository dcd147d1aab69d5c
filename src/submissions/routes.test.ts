import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { Visitor, inProcess } from '../../tests/helpers/visitor.js';
import { createApp } from '../app.js';
import { parseConfig } from '../config/load.js';
import type { ConfigInput } from '../config/schema.js';
import { SanhError } from '../platform/errors.js';
import { parseKeyRing } from '../platform/keyring.js';
import { cspHash, inlineBlocks, PAGE_STYLE_HASHES } from '../platform/security-headers.js';
import { silentLogger } from '../platform/logger.js';
import type { OriginClient } from '../proxy/port.js';
import { createMemoryWaitingRoomStore } from '../waiting-room/memory-store.js';
import { createWaitingRoom } from '../waiting-room/index.js';
import { STYLE as CHALLENGE_STYLE } from '../waiting-room/challenge/page.js';
import { createSubmissions, type Submissions } from './index.js';
import { createMemorySubmissionStore } from './memory-store.js';
import type { ReceiptView } from './view.js';
import { until } from '../../tests/helpers/until.js';

const KEYS = parseKeyRing(`k1:${'a'.repeat(40)}`);
const FORM = 'fullName=Nguy%E1%BB%85n+Th%E1%BB%8B+Hoa&nationalId=001148012345';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A portal in-process: it files applications once per Idempotency-Key and can be made to fail. */
function testPortal() {
  const received: { key: string | null; body: string; cookie: string | null; receipt: string | null }[] = [];
  const filed = new Map<string, string>();
  let failWith: number | undefined;
  let unreachable = false;
  let holdMs = 0;
  const app = new Hono();
  app.get('/apply', (c) => c.html('<p>form</p>'));
  app.post('/apply/:kind{submit|urgent}', async (c) => {
    const body = await c.req.text();
    received.push({
      key: c.req.header('idempotency-key') ?? null,
      body,
      cookie: c.req.header('cookie') ?? null,
      receipt: c.req.header('sanh-receipt') ?? null,
    });
    if (holdMs > 0) await sleep(holdMs);
    if (failWith) return c.text('busy', failWith as 503, { 'retry-after': '1' });
    if (body.includes('invalid')) return c.html('<p>Số CCCD không hợp lệ</p>', 400);
    if (body.includes('redirect=1')) return c.redirect('http://portal.internal/status/HS-2026-000001?from=portal', 303);
    const key = c.req.header('idempotency-key') ?? String(received.length);
    const number = filed.get(key) ?? `HS-2026-${String(filed.size + 1).padStart(6, '0')}`;
    filed.set(key, number);
    return c.html(`<h1>Đã nộp hồ sơ ${number}</h1>`, 200, { 'sanh-application-number': number });
  });
  const origin: OriginClient = {
    async forward(request) {
      if (unreachable) throw new SanhError('origin_unreachable', 'The portal could not be reached.', { cause: new Error('connect ECONNREFUSED') });
      const body = request.body instanceof Uint8Array ? new Uint8Array(request.body) : null;
      return app.request(request.pathAndQuery, { method: request.method, headers: request.headers, body });
    },
    close: async () => undefined,
  };
  return {
    origin,
    received,
    filed,
    fail: (status: number | undefined) => void (failWith = status),
    down: (value: boolean) => void (unreachable = value),
    hold: (ms: number) => void (holdMs = ms),
  };
}

const ROOM = { id: 'main', match: ['/'], maxActive: 1, admitPerMinute: 6_000 } as const;

function build(options: { room?: Partial<ConfigInput['rooms'] extends (infer R)[] | undefined ? R : never>; submissions?: ConfigInput['submissions'] } = {}) {
  const config = parseConfig({
    rooms: [
      {
        ...ROOM,
        submissions: {
          routes: [
            { path: '/apply/submit', sessionCookies: ['portal_session'] },
            { path: '/apply/urgent', defer: 'always', sessionCookies: ['portal_session'] },
          ],
          deliverPerMinute: 60_000,
        },
        ...options.room,
      },
    ],
    submissions: options.submissions ?? {},
  });
  const portal = testPortal();
  const waitingRoom = createWaitingRoom({ rooms: config.rooms, store: createMemoryWaitingRoomStore(), keyRing: KEYS });
  const store = createMemorySubmissionStore();
  const submissions = createSubmissions({
    config: { ...config.submissions, delivery: { ...config.submissions.delivery, initialBackoff: 0.05, maxBackoff: 0.2 } },
    rooms: config.rooms,
    originTimeoutSeconds: config.origin.timeoutSeconds,
    store,
    keyRing: KEYS,
    origin: portal.origin,
    logger: silentLogger,
    idleMs: 10,
  });
  const app = createApp({ waitingRoom, submissions, origin: portal.origin, logger: silentLogger });
  return {
    app,
    portal,
    store,
    submissions,
    waitingRoom,
    visitor: (cookie?: string) => {
      const v = new Visitor(inProcess(app));
      if (cookie) v.jar.set('portal_session', cookie);
      return v;
    },
  };
}

let running: Submissions[] = [];
afterEach(async () => {
  await Promise.all(running.map((s) => s.stop()));
  running = [];
});

function submit(v: Visitor, options: { body?: string; key?: string; json?: boolean; path?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: options.json ? 'application/json' : 'text/html' };
  if (options.key !== undefined) headers['idempotency-key'] = options.key;
  return v.request(options.path ?? '/apply/submit', { method: 'POST', headers, body: options.body ?? FORM });
}

const decodeHtml = (text: string) =>
  text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** The hidden fields of a kept page's form, as a browser would read them. */
function hiddenFields(html: string): [string, string][] {
  return [...html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)"\/>/g)].map((m) => [decodeHtml(m[1] ?? ''), decodeHtml(m[2] ?? '')]);
}

/** A page's language switch: where it goes, in what language, and whether it submits the page's form. */
function languageSwitchOf(html: string): { url: string; lang: string; label: string; inForm: boolean } {
  const nav = /<nav aria-label="[^"]*">([\s\S]*?)<\/nav>/.exec(html)?.[1] ?? '';
  const button = /<input type="submit" formaction="([^"]*)" value="([^"]*)" lang="([^"]*)"\/>/.exec(nav);
  if (button) return { url: decodeHtml(button[1] ?? ''), label: button[2] ?? '', lang: button[3] ?? '', inForm: html.indexOf('</form>') > html.indexOf(nav) };
  const link = /<a href="([^"]*)" hreflang="([^"]*)" lang="[^"]*">([^<]*)<\/a>/.exec(nav);
  return { url: decodeHtml(link?.[1] ?? ''), lang: link?.[2] ?? '', label: link?.[3] ?? '', inForm: false };
}

/** A room whose one slot is taken: the next visitor would be seated. */
async function fullRoom(t: ReturnType<typeof build>) {
  await t.waitingRoom.snapshots.refresh();
  const holder = t.visitor('holder');
  expect((await holder.page('/apply')).headers.get('sanh-state')).toBe('admitted');
  return holder;
}

describe('deferrable submissions', () => {
  it('go straight through while the portal has room, with an Idempotency-Key, and a retry does not file twice', async () => {
    const t = build();
    const v = t.visitor('s1');
    const first = await submit(v, { key: 'k-1' });
    expect(first.status).toBe(200);
    expect(first.headers.get('sanh-state')).toBe('admitted');
    expect(await first.text()).toContain('HS-2026-000001');
    expect(t.portal.received).toHaveLength(1);
    expect(t.portal.received[0]?.key).toMatch(/^"[0-9a-f]{64}"$/);
    expect(t.portal.received[0]?.body).toBe(FORM);
    const receiptId = first.headers.get('sanh-receipt');
    expect(receiptId).toMatch(/^main\.[\w-]{22}$/);
    const again = await submit(v, { key: 'k-1', json: true });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toMatchObject({ receiptId, state: 'delivered', origin: { status: 200 } });
    expect(t.portal.received).toHaveLength(1);
  });

  it('are accepted with 202 and a receipt when the room is at capacity, and delivered when it has room', async () => {
    const t = build();
    await fullRoom(t);
    const v = t.visitor('s2');
    const answer = await submit(v);
    expect(answer.status).toBe(202);
    expect(answer.headers.get('sanh-state')).toBe('deferred');
    expect(answer.headers.get('content-type')).toContain('text/html');
    const receiptId = answer.headers.get('sanh-receipt') as string;
    expect(answer.headers.get('location')).toBe(`/_sanh/receipts/${receiptId}`);
    expect(v.jar.has('sanh_ticket_main')).toBe(true);
    const page = await answer.text();
    expect(page).toMatch(/\d{6}-000001/);
    expect(t.portal.received).toHaveLength(0);

    const status = (await (await v.request(`/_sanh/receipts/${receiptId}`, { headers: { accept: 'application/json' } })).json()) as ReceiptView;
    expect(status).toMatchObject({ receiptId, state: 'accepted', statusUrl: `/_sanh/receipts/${receiptId}`, origin: null });

    t.submissions.start();
    running.push(t.submissions);
    await until(
      async () =>
        ((await (await v.request(`/_sanh/receipts/${receiptId}`, { headers: { accept: 'application/json' } })).json()) as ReceiptView).state === 'delivered',
    );
    const delivered = (await (await v.request(`/_sanh/receipts/${receiptId}`, { headers: { accept: 'application/json' } })).json()) as ReceiptView;
    expect(delivered).toMatchObject({
      state: 'delivered',
      origin: { status: 200, applicationNumber: 'HS-2026-000001' },
      answerUrl: `/_sanh/receipts/${receiptId}/answer`,
    });
    expect(t.portal.received).toHaveLength(1);
    expect(t.portal.received[0]).toMatchObject({ body: FORM, cookie: 'portal_session=s2', receipt: receiptId });
    const shown = await v.request(delivered.answerUrl as string);
    expect(shown.status).toBe(200);
    expect(shown.headers.get('content-security-policy')).toContain('sandbox');
    expect(shown.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await shown.text()).toContain('Đã nộp hồ sơ HS-2026-000001');
    const html = await (await v.page(`/_sanh/receipts/${receiptId}?lang=en`)).text();
    expect(html).toContain('HS-2026-000001');
  });

  it('answer JSON clients with { receiptId, statusUrl, state }', async () => {
    const t = build();
    await fullRoom(t);
    const answer = await submit(t.visitor('s3'), { json: true });
    expect(answer.status).toBe(202);
    const body = (await answer.json()) as ReceiptView;
    expect(body.state).toBe('accepted');
    expect(body.statusUrl).toBe(`/_sanh/receipts/${body.receiptId}`);
    expect(body.receiptNumber).toMatch(/^\d{6}-\d{6}$/);
  });

  it('give back the same receipt for the same key and body, 422 for another body, 400 for a bad key', async () => {
    const t = build();
    await fullRoom(t);
    const v = t.visitor('s4');
    const first = (await (await submit(v, { key: 'abc', json: true })).json()) as ReceiptView;
    const again = await submit(v, { key: 'abc', json: true });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as ReceiptView).receiptId).toBe(first.receiptId);
    const other = await submit(v, { key: 'abc', json: true, body: `${FORM}&changed=1` });
    expect(other.status).toBe(422);
    const refused = (await other.json()) as Record<string, unknown>;
    expect(refused).toMatchObject({ error: { code: 'idempotency_key_reused' } });
    expect(refused).not.toHaveProperty('receiptId');
    const quoted = await submit(v, { key: '"abc"', json: true });
    expect(((await quoted.json()) as ReceiptView).receiptId).toBe(first.receiptId);
    expect((await submit(v, { key: '', json: true })).status).toBe(400);
    expect((await submit(v, { key: 'x'.repeat(256), json: true })).status).toBe(400);
    expect((await submit(v, { key: 'a\tb', json: true })).status).toBe(400);
    expect(await t.store.backlog('main')).toMatchObject({ waiting: 1 });
  });

  it('scope keys to the visitor: another session with the same key gets its own receipt', async () => {
    const t = build();
    await fullRoom(t);
    const a = (await (await submit(t.visitor('alice'), { key: 'same', json: true })).json()) as ReceiptView;
    const b = (await (await submit(t.visitor('bob'), { key: 'same', json: true })).json()) as ReceiptView;
    expect(a.receiptId).not.toBe(b.receiptId);
  });

  it('keep a double click from making two submissions, without a key: by body, or by the draft id', async () => {
    const t = build();
    await fullRoom(t);
    const v = t.visitor('s5');
    const [one, two] = await Promise.all([submit(v, { json: true }), submit(v, { json: true })]);
    expect([one.status, two.status].sort()).toEqual([202, 409]);
    const once = (await (await submit(v, { json: true })).json()) as ReceiptView;
    expect(once.receiptId).toBe(((await (one.status === 202 ? one : two).json()) as ReceiptView).receiptId);
    const withDraft = (await (await submit(v, { json: true, body: `${FORM}&sanh_draft=draft123` })).json()) as ReceiptView;
    const edited = await submit(v, { json: true, body: `${FORM}&x=2&sanh_draft=draft123` });
    expect(edited.status).toBe(422);
    expect(withDraft.state).toBe('accepted');
    expect(await t.store.backlog('main')).toMatchObject({ waiting: 2 });
  });

  it('scope a body sent without a key to the visitor: two citizens behind one address with the same form both get their own receipt', async () => {
    const t = build();
    await fullRoom(t);
    // No portal session: only their places in line (Sảnh tickets) tell them apart; one address (in-process).
    const lan = t.visitor();
    const hoa = t.visitor();
    for (const citizen of [lan, hoa]) {
      expect((await citizen.page('/apply')).headers.get('sanh-state')).toBe('queued');
      expect(citizen.jar.has('sanh_ticket_main')).toBe(true);
    }
    const first = await submit(lan, { json: true });
    const second = await submit(hoa, { json: true });
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    const [a, b] = [(await first.json()) as ReceiptView, (await second.json()) as ReceiptView];
    expect(a.receiptId).not.toBe(b.receiptId);
    // The same citizen's double click (and a later retry) still gives one receipt.
    const [one, two] = await Promise.all([submit(lan, { json: true }), submit(lan, { json: true })]);
    for (const again of [one, two]) {
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(((await again.json()) as ReceiptView).receiptId).toBe(a.receiptId);
    }
    expect(await t.store.backlog('main')).toMatchObject({ waiting: 2 });
    // Both reach the portal, each once.
    t.submissions.start();
    running.push(t.submissions);
    await until(async () => t.portal.received.filter((r) => r.body === FORM).length >= 2);
    expect(new Set(t.portal.received.map((r) => r.receipt))).toEqual(new Set([a.receiptId, b.receiptId]));
    expect(new Set(t.portal.received.map((r) => r.key)).size).toBe(2);
  });

  it('de-duplicate a body sent without a key only for a known visitor: without a pass, ticket or session there is nothing to tie two posts together', async () => {
    const t = build({ room: { submissions: { routes: [{ path: '/apply/submit', defer: 'always' }] } } });
    const a = (await (await submit(t.visitor(), { json: true })).json()) as ReceiptView;
    const b = (await (await submit(t.visitor(), { json: true })).json()) as ReceiptView;
    expect(a.receiptId).not.toBe(b.receiptId);
    // A double click with a place in line is still one submission.
    const v = t.visitor();
    await v.page('/apply');
    const [one, two] = await Promise.all([submit(v, { json: true }), submit(v, { json: true })]);
    expect(((await one.json()) as ReceiptView).receiptId).toBe(((await two.json()) as ReceiptView).receiptId);
  });

  it('answer a browser that cannot be kept right now with a page that keeps its form and sends it again, without blame', async () => {
    const t = build({
      room: { submissions: { routes: [{ path: '/apply/submit', defer: 'always', sessionCookies: ['portal_session'] }] } },
      submissions: { acceptPerMinute: 1 },
    });
    const v = t.visitor('k1');
    expect((await submit(v, { body: 'a=1' })).status).toBe(202);
    const body = 'fullName=Nguy%E1%BB%85n+Th%E1%BB%8B+Hoa&note=%3Cscript%3Ealert(1)%3C%2Fscript%3E&sanh_draft=draft77';
    const limited = await v.request('/apply/submit?step=2', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', 'accept-language': 'en', referer: 'http://localhost/apply?step=2' },
      body,
    });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(50);
    expect(limited.headers.get('cache-control')).toBe('no-store');
    expect(limited.headers.get('sanh-room')).toBe('main');
    const html = await limited.text();
    expect(html).toContain('You did nothing wrong');
    expect(html).not.toMatch(/too many requests/i);
    expect(html).toContain('The draft of your form is still saved');
    expect(html).toContain('<form method="post" action="/apply/submit?step=2" id="sanh-again">');
    expect(html).toContain('<input type="hidden" name="fullName" value="Nguyễn Thị Hoa"/>');
    expect(html).toContain('<input type="hidden" name="note" value="&lt;script&gt;alert(1)&lt;/script&gt;"/>');
    expect(html).toContain('<input type="hidden" name="sanh_draft" value="draft77"/>');
    expect(html).not.toContain('data-sanh-draft-done');
    // Not kept: nothing was taken, and once the minute is over the same form goes in.
    expect(await t.store.backlog('main')).toMatchObject({ waiting: 1 });
    // Another site's page posting to the form: its fields are never offered to send again from this site (CSRF).
    const crossSites: Record<string, string>[] = [{ 'sec-fetch-site': 'cross-site' }, { origin: 'https://evil.example' }];
    for (const crossSite of crossSites) {
      const forged = await v.request('/apply/submit?step=2', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', ...crossSite },
        body: 'fullName=Mallory',
      });
      expect(forged.status).toBe(429);
      const forgedHtml = await forged.text();
      expect(forgedHtml).not.toContain('id="sanh-again"');
      expect(forgedHtml).not.toContain('Mallory');
    }
    // JSON clients get the uniform error.
    const json = await submit(v, { json: true, body: 'a=3' });
    expect(json.status).toBe(429);
    expect(await json.json()).toEqual({ error: { code: 'rate_limited', message: expect.any(String), requestId: expect.any(String) } });
    // A full room says so in Vietnamese, and a body that is not url-encoded is not carried (back to the form instead).
    const full = build({ room: { submissions: { routes: [{ path: '/apply/submit', defer: 'always' }], maxWaiting: 1 } } });
    expect((await submit(full.visitor(), { body: 'a=1' })).status).toBe(202);
    const page = await full
      .visitor()
      .request('/apply/submit', { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x', accept: 'text/html' }, body: '--x--' });
    expect(page.status).toBe(503);
    expect(page.headers.get('retry-after')).toBe('60');
    const text = await page.text();
    expect(text).toContain('những gì bạn đã điền vẫn còn');
    expect(text).toContain('Vui lòng quay lại biểu mẫu');
    expect(text).not.toContain('id="sanh-again"');
  });

  it("give the kept page Sảnh's primary button and a language switch that posts the kept form to the page in the other language, sending nothing", async () => {
    const t = build({ room: { submissions: { routes: [{ path: '/apply/submit', defer: 'always' }], maxWaiting: 1 } } });
    expect((await submit(t.visitor(), { body: 'a=1' })).status).toBe(202);
    const typed: [string, string][] = [
      ['fullName', 'Nguyễn Thị Hoa'],
      ['address', '12 Tôn Đức Thắng\nĐống Đa, Hà Nội'],
      ['note', '<b>"x" & \'y\'</b>'],
    ];
    const refused = await t.visitor().request('/apply/submit?step=2', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'text/html',
        'accept-language': 'vi',
        host: 'localhost',
        referer: 'http://localhost/apply?step=2',
      },
      body: new URLSearchParams(typed).toString(),
    });
    expect(refused.status).toBe(503);
    const vi = await refused.text();
    expect(vi).toContain('<button type="submit">Gửi lại</button>');
    // The primary button's look is a style sheet the page policy pins (no style of the page's own).
    expect(vi).toContain(`<style>${CHALLENGE_STYLE}</style>`);
    const styles = inlineBlocks(vi).styles.map(cspHash);
    expect(styles.every((hash) => PAGE_STYLE_HASHES.includes(hash))).toBe(true);
    for (const hash of styles) expect(refused.headers.get('content-security-policy')).toContain(`'${hash}'`);
    // The switch is a submit control of the kept form, posting it to Sảnh's page, not to the portal.
    const viSwitch = languageSwitchOf(vi);
    expect(viSwitch).toMatchObject({ lang: 'en', label: 'English', inForm: true });
    expect(viSwitch.url).toMatch(/^\/_sanh\/kept\?lang=en&s=[\w%.-]+$/);
    expect(hiddenFields(vi)).toEqual(typed);

    // The browser posts the form's fields (line breaks as CR LF) from the page itself (no referrer: Origin null).
    const arrivals = t.portal.received.length;
    const asBrowser = (html: string) => new URLSearchParams(hiddenFields(html).map(([name, value]) => [name, value.replace(/\r?\n/g, '\r\n')])).toString();
    const post = (url: string, html: string, headers: Record<string, string> = {}) =>
      t.visitor().request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', origin: 'null', 'sec-fetch-site': 'same-origin', ...headers },
        body: asBrowser(html),
      });
    const switched = await post(viSwitch.url, vi);
    expect([switched.status, switched.headers.get('cache-control'), switched.headers.get('referrer-policy')]).toEqual([200, 'no-store', 'no-referrer']);
    const en = await switched.text();
    const parts = [
      '<html lang="en">',
      'what you filled in is kept',
      'Too many submissions are waiting',
      '<form method="post" action="/apply/submit?step=2" id="sanh-again">',
      '<button type="submit">Send again</button>',
      'href="/apply?step=2"',
    ];
    expect(parts.filter((part) => !en.includes(part))).toEqual([]);
    expect(hiddenFields(en).map(([name, value]) => [name, value.replace(/\r\n/g, '\n')])).toEqual(typed);
    // The wait goes on where it was (60 s asked a moment ago).
    expect(Number(/id="sanh-count">(\d+)</.exec(en)?.[1])).toBeGreaterThanOrEqual(55);
    const enSwitch = languageSwitchOf(en);
    expect(enSwitch).toMatchObject({ lang: 'vi', label: 'Tiếng Việt', inForm: true });
    const back = await (await post(enSwitch.url, en)).text();
    expect(back).toContain('<html lang="vi">');
    expect(hiddenFields(back).map(([name, value]) => [name, value.replace(/\r\n/g, '\n')])).toEqual(typed);
    // Switching sent nothing to the portal and kept nothing.
    expect(t.portal.received.length).toBe(arrivals);
    expect(await t.store.backlog('main')).toMatchObject({ waiting: 1 });

    // Another site cannot post to it; an altered or too old page state is refused (an error page, in the language asked).
    expect((await post(viSwitch.url, vi, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await post(viSwitch.url, vi, { 'sec-fetch-site': 'same-site' })).status).toBe(403);
    // A browser without Sec-Fetch-Site, sent from another site's page.
    expect(
      (
        await t.visitor().request(viSwitch.url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', origin: 'https://elsewhere.example' },
          body: 'a=1',
        })
      ).status,
    ).toBe(403);
    const sealed = decodeURIComponent(viSwitch.url.split('&s=')[1] ?? '');
    const flipped = `${sealed.slice(0, -6)}${sealed.at(-6) === 'A' ? 'B' : 'A'}${sealed.slice(-5)}`;
    const altered = await post(`/_sanh/kept?lang=en&s=${encodeURIComponent(flipped)}`, vi);
    expect(altered.status).toBe(400);
    expect(await altered.text()).toContain('<html lang="en">');
    const old = await t.submissions.sealer.sealPage({ a: '/apply/submit', r: 'full', u: Date.now() - 90_000_000, d: false, b: null, e: Date.now() - 1 });
    expect((await t.visitor().page(`/_sanh/kept?lang=en&s=${encodeURIComponent(old)}`)).status).toBe(400);

    // A page that carries no fields (not url-encoded) switches with a plain link.
    const multipart = await t.visitor().request('/apply/submit', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=x', accept: 'text/html', 'accept-language': 'en' },
      body: '--x--',
    });
    const plain = await multipart.text();
    const link = languageSwitchOf(plain);
    expect(link).toMatchObject({ lang: 'vi', label: 'Tiếng Việt', inForm: false });
    const viPlain = await t.visitor().page(link.url);
    expect(viPlain.status).toBe(200);
    const viText = await viPlain.text();
    expect(viText).toContain('Vui lòng quay lại biểu mẫu');
    expect(viText).not.toContain('id="sanh-again"');
    expect(languageSwitchOf(viText)).toMatchObject({ lang: 'en', label: 'English', inForm: false });
  });

  it('are deferred when the portal fails a straight attempt, and then without trying it', async () => {
    const t = build();
    t.portal.fail(503);
    const v = t.visitor('s6');
    const answer = await submit(v, { json: true });
    expect(answer.status).toBe(202);
    expect(t.portal.received).toHaveLength(1);
    const receipt = (await answer.json()) as ReceiptView;
    const later = await submit(t.visitor('s7'), { json: true });
    expect(later.status).toBe(202);
    expect(t.portal.received).toHaveLength(1);
    t.portal.down(true);
    t.portal.fail(undefined);
    const unreachable = build();
    unreachable.portal.down(true);
    expect((await submit(unreachable.visitor('s8'), { json: true })).status).toBe(202);
    t.portal.down(false);
    t.submissions.start();
    running.push(t.submissions);
    await until(async () => (await t.store.receipt('main', receipt.receiptId.split('.')[1] as string))?.receipt.state === 'delivered');
    // The straight attempt's key comes back with the delivery. Deliveries run concurrently
    // (delivery.concurrency 8), so s7's may reach the portal first: match by key, not by place.
    const straightKey = t.portal.received[0]?.key;
    expect(straightKey).toBeTruthy();
    expect(t.portal.received.filter((r) => r.key === straightKey)).toHaveLength(2);
  });

  it('are always deferred on an "always" route, and a waiting backlog defers the rest in order', async () => {
    const t = build();
    const first = await submit(t.visitor('s9'), { path: '/apply/urgent', json: true });
    expect(first.status).toBe(202);
    expect(t.portal.received).toHaveLength(0);
  });

  it('answer 409 to a duplicate sent while the first is still with the portal', async () => {
    const t = build();
    t.portal.hold(200);
    const v = t.visitor('s10');
    const first = submit(v, { key: 'slow', json: true });
    await sleep(50);
    const second = await submit(v, { key: 'slow', json: true });
    expect(second.status).toBe(409);
    expect(second.headers.get('retry-after')).toBe('2');
    expect((await first).status).toBe(200);
  });

  it('refuse bodies over the route limit and too many submissions from one address', async () => {
    const t = build({
      room: { submissions: { routes: [{ path: '/apply/submit', maxBodyBytes: 100, defer: 'always' }] } },
      submissions: { acceptPerMinute: 2 },
    });
    const v = t.visitor('s11');
    expect((await submit(v, { body: 'x'.repeat(101), json: true })).status).toBe(413);
    expect((await submit(v, { body: 'a=1', json: true })).status).toBe(202);
    expect((await submit(v, { body: 'a=2', json: true })).status).toBe(202);
    const limited = await submit(v, { body: 'a=3', json: true });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await t.store.backlog('main')).toMatchObject({ waiting: 2 });
  });

  it("refuse to keep more than the room's maxWaiting undelivered submissions", async () => {
    const t = build({ room: { submissions: { routes: [{ path: '/apply/submit', defer: 'always' }], maxWaiting: 1 } } });
    expect((await submit(t.visitor('w1'), { body: 'a=1', json: true })).status).toBe(202);
    const full = await submit(t.visitor('w2'), { body: 'a=2', json: true });
    expect(full.status).toBe(503);
    expect(await full.json()).toMatchObject({ error: { code: 'submissions_full' } });
    expect(full.headers.get('retry-after')).toBe('60');
  });

  it('answer a seated submission that cannot be kept with the uniform 503, not a fault', async () => {
    const t = build({ room: { submissions: { routes: [{ path: '/apply/submit', sessionCookies: ['portal_session'] }], maxWaiting: 1 } } });
    await fullRoom(t);
    expect((await submit(t.visitor('f1'), { json: true })).status).toBe(202);
    const full = await submit(t.visitor('f2'), { json: true, body: 'a=2' });
    expect(full.status).toBe(503);
    expect(await full.json()).toEqual({ error: { code: 'submissions_full', message: expect.any(String), requestId: expect.any(String) } });
    expect(full.headers.get('retry-after')).toBe('60');
    // Its held key was let go: the same form goes in once there is room.
    expect(await t.store.backlog('main')).toMatchObject({ waiting: 1 });
  });

  it("send the citizen to the portal's confirmation page when the portal answered with a redirect", async () => {
    const t = build();
    await fullRoom(t);
    const receipt = (await (await submit(t.visitor('r1'), { json: true, body: `${FORM}&redirect=1` })).json()) as ReceiptView;
    t.submissions.start();
    running.push(t.submissions);
    await until(
      async () => ((await (await t.app.request(receipt.statusUrl, { headers: { accept: 'application/json' } })).json()) as ReceiptView).state === 'delivered',
    );
    const shown = await t.app.request(`${receipt.statusUrl}/answer`);
    expect(shown.status).toBe(303);
    expect(shown.headers.get('location')).toBe('/status/HS-2026-000001?from=portal');
  });

  it('leave a closed room closed: nothing is kept', async () => {
    const t = build({ room: { mode: 'closed' } });
    const answer = await submit(t.visitor('s12'), { json: true });
    expect(answer.status).toBe(503);
    expect(await answer.json()).toMatchObject({ error: { code: 'room_closed' } });
    expect(await t.store.backlog('main')).toMatchObject({ waiting: 0 });
  });

  it('pass other methods and paths of the room to the gate as before', async () => {
    const t = build();
    const v = t.visitor('s13');
    expect((await v.page('/apply')).status).toBe(200);
    expect((await v.request('/apply/submit', { method: 'PUT', body: 'a=1' })).status).toBe(404);
  });
});

describe('receipts', () => {
  it('answer 404 for unknown or malformed receipt ids, as JSON or a page', async () => {
    const t = build();
    const json = await t.app.request('/_sanh/receipts/main.AAAAAAAAAAAAAAAAAAAAAA', { headers: { accept: 'application/json' } });
    expect(json.status).toBe(404);
    expect(await json.json()).toMatchObject({ error: { code: 'receipt_not_found' } });
    const page = await t.app.request('/_sanh/receipts/not-a-receipt', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toContain('text/html');
  });

  it('have no answer to show before delivery', async () => {
    const t = build();
    const answer = (await (await submit(t.visitor('s14'), { path: '/apply/urgent', json: true })).json()) as ReceiptView;
    expect(answer.answerUrl).toBeNull();
    expect((await t.app.request(`${answer.statusUrl}/answer`)).status).toBe(404);
  });

  it('show a rejected submission as failed, with the portal answer, in the dead letters', async () => {
    const t = build();
    const answer = (await (await submit(t.visitor('s15'), { path: '/apply/urgent', json: true, body: 'invalid=1' })).json()) as ReceiptView;
    t.submissions.start();
    running.push(t.submissions);
    await until(
      async () => ((await (await t.app.request(answer.statusUrl, { headers: { accept: 'application/json' } })).json()) as ReceiptView).state === 'failed',
    );
    const failed = (await (await t.app.request(answer.statusUrl, { headers: { accept: 'application/json' } })).json()) as ReceiptView;
    expect(failed).toMatchObject({ failure: { reason: 'rejected' }, origin: { status: 400, applicationNumber: null } });
    expect(await (await t.app.request(failed.answerUrl as string)).text()).toContain('không hợp lệ');
    expect((await t.submissions.deadLetters.list('main')).map((r) => r.id)).toEqual([answer.receiptId]);
  });
});
