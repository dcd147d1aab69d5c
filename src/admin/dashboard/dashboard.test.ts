import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { silentLogger } from '../../platform/logger.js';
import type { RoomFigures } from '../figures.js';
import { createLiveSettings } from '../live.js';
import { createAuthLimiter } from '../auth-limiter.js';
import { createMemorySettingsStore } from '../settings-store.js';
import { parseAdminTokens } from '../tokens.js';
import { chartTop, createSampleRing, linePoints, perMinute, sampleOf } from './history.js';
import { createDashboard, proposedChange } from './routes.js';
import { formToken, issueSession, readSession, sessionToken } from './session.js';

const OPERATE = 'o'.repeat(30);
const READ = 'r'.repeat(30);
const tokens = parseAdminTokens(`ops:operate:${OPERATE},viewer:read:${READ}`);

function figuresOf(active: number, waiting: number) {
  return (room: {
    id: string;
    maxActive: number;
    admitPerMinute: number;
    admitBurst: number;
    sessionIdleSeconds: number;
    mode: RoomFigures['mode'];
  }): RoomFigures => ({
    id: room.id,
    name: null,
    mode: room.mode,
    match: ['/'],
    limits: { maxActive: room.maxActive, admitPerMinute: room.admitPerMinute, admitBurst: room.admitBurst, sessionIdleSeconds: room.sessionIdleSeconds },
    live: {
      active,
      waiting,
      returned: 0,
      admittedTotal: 10,
      abandonedTotal: 0,
      admissionRatePerSecond: 2,
      waitForNewArrivalSeconds: 150,
      updatedAt: new Date(0).toISOString(),
    },
    submissions: null,
    origin: { inFlight: 0, requests: 20, errors: 1, p50Ms: 40, p95Ms: 250 },
    adaptive: null,
    autoActivation: {
      enabled: true,
      active: true,
      since: new Date(Date.UTC(2026, 11, 2, 1, 5)).toISOString(),
      reason: 'p95 900 ms over 500 ms',
      endedBy: null,
      endedAt: null,
      calmSince: null,
    },
  });
}

async function setUp() {
  const config = parseConfig({ rooms: [{ id: 'main', name: { vi: 'Cổng chính', en: 'Main portal' }, match: ['/'], maxActive: 50, admitPerMinute: 600 }] });
  const store = createMemorySettingsStore();
  const settings = createLiveSettings({ rooms: config.rooms, store, logger: silentLogger });
  await settings.start();
  let now = 1_000_000;
  let saved = 0;
  const dashboard = createDashboard({
    tokens,
    rooms: config.rooms,
    figures: figuresOf(7, 3),
    settings,
    sessions: store,
    logger: silentLogger,
    clock: () => now,
    draftsSavedTotal: () => saved,
    pushMs: 50,
    clientAddress: (c) => c.req.header('x-test-ip'),
    authLimiter: createAuthLimiter({ clock: () => now, limits: { baseDelayMs: 1, maxDelayMs: 4 } }),
  });
  const session = (secret: string) => issueSession(tokens.find((t) => t.secret === secret)!, now);
  const cookie = (value: string) => ({ cookie: `sanh_admin=${value}` });
  const form = (value: string, secret: string, fields: Record<string, string>) =>
    new URLSearchParams({ form: formToken(value, tokens.find((t) => t.secret === secret)!), lang: 'en', ...fields });
  return { config, store, settings, dashboard, session, cookie, form, advance: (ms: number) => (now += ms), saveDrafts: (n: number) => (saved += n) };
}

describe('dashboard history and charts', () => {
  it('keeps the newest samples per room, turns running totals into rates, and leaves gaps for unknown values', () => {
    const ring = createSampleRing(2);
    const figures = figuresOf(1, 0)({ id: 'main', maxActive: 5, admitPerMinute: 60, admitBurst: 6, sessionIdleSeconds: 60, mode: 'open' });
    for (const at of [1, 2, 3]) ring.add('main', sampleOf(figures, at, null));
    expect(ring.samples('main').map((s) => s.at)).toEqual([2, 3]);
    expect(sampleOf(figures, 0, 4)).toMatchObject({
      active: 1,
      maxActive: 5,
      ratePerMinute: { configured: 60, actual: 120, adaptive: null },
      originErrorRate: 0.05,
      draftsPerMinute: 4,
    });
    expect(perMinute(undefined, 10, 5)).toBeNull();
    expect(perMinute({ at: 0, total: 10 }, 30_000, 16)).toBe(12);
    expect(perMinute({ at: 0, total: 10 }, 60_000, 3)).toBe(3);
    expect(chartTop([null, 3, 42], 10)).toBe(50);
    expect(chartTop([0, 0], 0)).toBe(1);
    const frame = { width: 100, height: 10, spanMs: 100, now: 200 };
    expect(linePoints([50, 100, 150, 160, 200], [1, 0, 5, null, 10], 10, frame)).toEqual(['0.0,10.0 50.0,5.0', '100.0,0.0']);
  });

  it('proposes only what differs, to be confirmed, with the message in both languages', () => {
    const room = parseConfig({ rooms: [{ id: 'main', match: ['/'], maxActive: 50, admitPerMinute: 600, message: { vi: 'Cũ' } }] }).rooms[0]!;
    const was = { was_maxActive: '50', was_admitPerMinute: '600', was_mode: 'open', was_message_vi: 'Cũ', was_message_en: '' };
    const { patch, rows } = proposedChange(
      room,
      { ...was, maxActive: '10', admitPerMinute: '600', mode: 'paused', message_vi: 'Mới', message_en: 'New' },
      'en',
    );
    expect(patch).toEqual({ maxActive: 10, mode: 'paused', message: { vi: 'Mới', en: 'New' } });
    expect(rows.map((r) => [r.before, r.after])).toEqual([
      ['50', '10'],
      ['Open (queue when busy)', 'Paused'],
      ['vi: Cũ', 'vi: Mới · en: New'],
    ]);
    const cleared = proposedChange(room, { ...was, maxActive: '50', mode: 'open', message_vi: '', message_en: '' }, 'vi', { vi: 'Của tệp cấu hình' });
    expect(cleared.patch).toEqual({ message: null });
    expect(cleared.rows[0]?.after).toBe('vi: Của tệp cấu hình');
    // The page was filled in while the room was in passthrough; auto-activation opened it since:
    // the untouched mode is not sent back, only the limit the operator edited.
    const stale = { ...was, was_mode: 'passthrough', mode: 'passthrough', maxActive: '20', admitPerMinute: '600', message_vi: 'Cũ', message_en: '' };
    expect(proposedChange(room, stale, 'en').patch).toEqual({ maxActive: 20 });
  });

  it("signs sessions with the token's secret: tampered, expired or unknown ones are refused", () => {
    const token = tokens[0]!;
    const session = issueSession(token, 0);
    expect(sessionToken(session, tokens, 1_000)?.id).toBe('ops');
    expect(sessionToken(session, tokens, 13 * 3_600_000)).toBeUndefined();
    expect(sessionToken(session.replace('ops.', 'viewer.'), tokens, 1_000)).toBeUndefined();
    expect(sessionToken(`${session.slice(0, -2)}AA`, tokens, 1_000)).toBeUndefined();
    expect(sessionToken(session, parseAdminTokens(`ops:operate:${'x'.repeat(30)}`), 1_000)).toBeUndefined();
    const [id, expiry, sessionId, signature] = session.split('.');
    expect(readSession(session, tokens, 1_000)).toEqual({ token, id: sessionId, expiresAtMs: Number(expiry) * 1000 });
    expect(issueSession(token, 0)).not.toBe(session);
    expect(sessionToken(`${id}.${expiry}.${'A'.repeat(22)}.${signature}`, tokens, 1_000)).toBeUndefined();
    expect(sessionToken(`${id}.${expiry}.${signature}`, tokens, 1_000)).toBeUndefined();
  });
});

describe('dashboard over HTTP', () => {
  it('asks for a token, exchanges it for a Strict session cookie and never shows the page without one', async () => {
    const { dashboard } = await setUp();
    const first = await dashboard.routes.request('/?lang=vi');
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/dashboard/login?lang=vi');
    const login = await dashboard.routes.request('/login?lang=vi');
    expect(await login.text()).toContain('Mã quản trị');
    const wrong = await dashboard.routes.request('/login', { method: 'POST', body: new URLSearchParams({ token: 'nope', lang: 'en' }) });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('That token is not right');
    const right = await dashboard.routes.request('/login', { method: 'POST', body: new URLSearchParams({ token: OPERATE, lang: 'en' }) });
    expect(right.status).toBe(303);
    const setCookie = right.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^sanh_admin=ops\.\d+\.[\w-]{22}\.[\w-]+; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/);
    expect(setCookie).not.toContain(OPERATE);
    expect((await dashboard.routes.request('/events')).status).toBe(401);
  });

  it('shows every figure of a room and its charts, controls only to operate tokens', async () => {
    const { dashboard, session, cookie } = await setUp();
    dashboard.sample();
    const page = await (await dashboard.routes.request('/?lang=en', { headers: cookie(session(OPERATE)) })).text();
    for (const text of [
      'Main portal',
      'Active visitors',
      'of at most 50',
      'In line',
      'Admission rate',
      '120/min',
      'configured 600',
      'Wait for a new arrival',
      'about 3 minutes',
      'p50 40 ms · p95 250 ms',
      '5 %',
      'Queueing switched itself on at 08:05 (the portal struggled: p95 900 ms over 500 ms)',
      'Drafts saved',
      'Submissions pending',
      'name="maxActive"',
    ]) {
      expect(page).toContain(text);
    }
    expect(page).toContain('<polyline');
    const viewer = await (await dashboard.routes.request('/?lang=vi', { headers: cookie(session(READ)) })).text();
    expect(viewer).toContain('chỉ được xem');
    expect(viewer).not.toContain('name="maxActive"');
  });

  it('streams figures and chart lines as Server-Sent Events', async () => {
    const { dashboard, session, cookie, saveDrafts, advance } = await setUp();
    dashboard.sample();
    saveDrafts(6);
    advance(30_000);
    const response = await dashboard.routes.request('/events?lang=en', { headers: cookie(session(OPERATE)) });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    const { value } = await reader.read();
    await reader.cancel();
    const text = new TextDecoder().decode(value);
    expect(text).toMatch(/^event: figures\ndata: /);
    const update = JSON.parse(text.split('data: ')[1]!.split('\n')[0]!) as {
      rooms: { id: string; values: Record<string, string>; charts: Record<string, string> }[];
    };
    expect(update.rooms[0]!.values).toMatchObject({ active: '7', waiting: '3', activeMax: 'of at most 50', drafts: '12/min' });
    expect(update.rooms[0]!.charts.active).toContain('<polyline');
  });

  it('ends the stream when the session expires, and refuses the reconnect', async () => {
    const { dashboard, session, cookie, advance } = await setUp();
    const headers = cookie(session(OPERATE));
    const response = await dashboard.routes.request('/events', { headers });
    const reader = response.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    advance(12 * 3_600_000 + 1_000);
    let done = false;
    for (let reads = 0; !done && reads < 5; reads++) done = (await reader.read()).done;
    expect(done).toBe(true);
    expect((await dashboard.routes.request('/events', { headers })).status).toBe(401);
  });

  it('applies a change only after confirmation, from its own form, as the signed-in token (audited)', async () => {
    const { dashboard, session, cookie, form, config, store } = await setUp();
    const ops = session(OPERATE);
    const post = (path: string, body: URLSearchParams, value = ops) => dashboard.routes.request(path, { method: 'POST', body, headers: cookie(value) });
    const page = await (await dashboard.routes.request('/?lang=en', { headers: cookie(ops) })).text();
    const version = /name="version" value="(\d+)"/.exec(page)![1]!;
    const was = { version, was_maxActive: '50', was_admitPerMinute: '600', was_mode: 'open', was_message_vi: '', was_message_en: '' };
    const review = await post(
      '/rooms/main/review',
      form(ops, OPERATE, { ...was, maxActive: '5', admitPerMinute: '600', mode: 'open', message_vi: '', message_en: '' }),
    );
    const confirm = await review.text();
    expect(review.status).toBe(200);
    expect(confirm).toContain('Confirm the change');
    expect(config.rooms[0]!.maxActive).toBe(50);
    const patch = /name="patch" value="([^"]+)"/.exec(confirm)![1]!.replace(/&quot;/g, '"');
    expect(JSON.parse(patch)).toEqual({ maxActive: 5 });

    expect(confirm).toContain(`name="version" value="${version}"`);
    expect((await post('/rooms/main/apply', new URLSearchParams({ patch, version, lang: 'en', form: 'forged' }))).status).toBe(403);
    const readOnly = session(READ);
    expect((await post('/rooms/main/apply', form(readOnly, READ, { patch, version }), readOnly)).status).toBe(403);
    const stale = await post('/rooms/main/apply', form(ops, OPERATE, { patch, version: String(Number(version) - 1) }));
    expect(stale.status).toBe(409);
    expect(await stale.text()).toContain('review the change again');
    expect(config.rooms[0]!.maxActive).toBe(50);

    const applied = await post('/rooms/main/apply', form(ops, OPERATE, { patch, version }));
    expect(applied.status).toBe(303);
    expect(applied.headers.get('location')).toBe('/dashboard?lang=en&done=main#room-main');
    expect(config.rooms[0]!.maxActive).toBe(5);
    const [entry] = await store.audit(1);
    expect(entry).toMatchObject({ by: 'ops', room: 'main', action: 'dashboard', before: { maxActive: 50 }, after: { maxActive: 5 } });

    const refused = await post('/rooms/main/review', form(ops, OPERATE, { ...was, maxActive: '-3', mode: 'open' }));
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain('maxActive');
    expect((await post('/rooms/nowhere/review', form(ops, OPERATE, { ...was, maxActive: '1' }))).status).toBe(404);
  });

  it('ends a session on sign-out for good: the same cookie, replayed, applies nothing and sees nothing', async () => {
    const { dashboard, cookie, form, config, store } = await setUp();
    const signedIn = await dashboard.routes.request('/login', { method: 'POST', body: new URLSearchParams({ token: OPERATE, lang: 'en' }) });
    const ops = /sanh_admin=([^;]+)/.exec(signedIn.headers.get('set-cookie') ?? '')![1]!;
    const post = (path: string, body: URLSearchParams) => dashboard.routes.request(path, { method: 'POST', body, headers: cookie(ops) });
    const page = await (await dashboard.routes.request('/?lang=en', { headers: cookie(ops) })).text();
    const version = /name="version" value="(\d+)"/.exec(page)![1]!;
    const patch = JSON.stringify({ maxActive: 9 });
    const stream = await dashboard.routes.request('/events', { headers: cookie(ops) });
    const reader = stream.body!.getReader();
    expect((await reader.read()).done).toBe(false);

    const out = await post('/logout', form(ops, OPERATE, {}));
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/^sanh_admin=; Path=\/; Max-Age=0;/);
    expect(await store.sessionRevoked(readSession(ops, tokens, 1_000_000)!.id)).toBe(true);

    // The old cookie, kept by whoever copied it: no change is applied, no page shown, the stream ends.
    const replayed = await post('/rooms/main/apply', form(ops, OPERATE, { patch, version }));
    expect(replayed.status).toBe(401);
    expect(config.rooms[0]!.maxActive).toBe(50);
    expect((await post('/rooms/main/review', form(ops, OPERATE, { maxActive: '9', was_maxActive: '50', version }))).status).toBe(401);
    expect((await dashboard.routes.request('/?lang=en', { headers: cookie(ops) })).status).toBe(303);
    expect((await dashboard.routes.request('/events', { headers: cookie(ops) })).status).toBe(401);
    let done = false;
    for (let reads = 0; !done && reads < 5; reads++) done = (await reader.read()).done;
    expect(done).toBe(true);
    expect((await store.audit(10)).length).toBe(0);

    // A new sign-in is a new session, not touched by the old one's revocation.
    const again = await dashboard.routes.request('/login', { method: 'POST', body: new URLSearchParams({ token: OPERATE, lang: 'en' }) });
    const fresh = /sanh_admin=([^;]+)/.exec(again.headers.get('set-cookie') ?? '')![1]!;
    expect((await dashboard.routes.request('/?lang=en', { headers: cookie(fresh) })).status).toBe(200);
  });

  it('refuses sign-out without the form token, and fails closed when signed-out sessions cannot be checked', async () => {
    const { config, settings } = await setUp();
    let reachable = true;
    const unreachable = () => (reachable ? Promise.resolve() : Promise.reject(new Error('connect ECONNREFUSED')));
    const sessions = createMemorySettingsStore();
    const flaky = {
      revokeSession: (id: string, ms: number) => unreachable().then(() => sessions.revokeSession(id, ms)),
      sessionRevoked: (id: string) => unreachable().then(() => sessions.sessionRevoked(id)),
    };
    const dashboard = createDashboard({ tokens, rooms: config.rooms, figures: figuresOf(1, 0), settings, sessions: flaky, logger: silentLogger });
    const signedIn = await dashboard.routes.request('/login', { method: 'POST', body: new URLSearchParams({ token: OPERATE, lang: 'en' }) });
    const ops = /sanh_admin=([^;]+)/.exec(signedIn.headers.get('set-cookie') ?? '')![1]!;
    const headers = { cookie: `sanh_admin=${ops}` };
    expect((await dashboard.routes.request('/logout', { method: 'POST', headers, body: new URLSearchParams({ lang: 'en' }) })).status).toBe(403);
    reachable = false;
    const refused = await dashboard.routes.request('/logout', {
      method: 'POST',
      headers,
      body: new URLSearchParams({ form: formToken(ops, tokens[0]!), lang: 'en' }),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('set-cookie')).toBeNull();
    expect((await dashboard.routes.request('/?lang=en', { headers })).status).toBe(503);
    reachable = true;
    expect((await dashboard.routes.request('/?lang=en', { headers })).status).toBe(200);
  });

  it('slows wrong sign-in tokens, then refuses the address (429, Retry-After) but not another one', async () => {
    const { dashboard, advance } = await setUp();
    const signIn = (token: string, ip: string) =>
      dashboard.routes.request('/login', { method: 'POST', headers: { 'x-test-ip': ip }, body: new URLSearchParams({ token, lang: 'en' }) });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await signIn(`guess-${i}-${'x'.repeat(24)}`, '198.51.100.7')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 401, 401, 401, 429]);
    const refused = await signIn(OPERATE, '198.51.100.7');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.text()).toContain('Too many wrong tokens');
    expect(refused.headers.get('set-cookie')).toBeNull();
    expect((await signIn(OPERATE, '203.0.113.9')).status).toBe(303);
    advance(60_000);
    expect((await signIn(OPERATE, '198.51.100.7')).status).toBe(303);
  });
});
