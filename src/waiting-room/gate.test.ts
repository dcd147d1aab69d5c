import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { beforeEach, describe, expect, it } from 'vitest';
import { Visitor, inProcess } from '../../tests/helpers/visitor.js';
import { parseConfig } from '../config/load.js';
import { manualClock } from '../platform/clock.js';
import { errorMapper, type SanhEnv } from '../platform/http.js';
import { parseKeyRing } from '../platform/keyring.js';
import { silentLogger } from '../platform/logger.js';
import { createWaitingRoom, type WaitingRoom } from '../index.js';
import { createMemoryWaitingRoomStore } from '../index.js';
import type { WaitingRoomStore } from './store.js';
import { statusJson, type StatusBody } from './gate.js';

const KEYS = parseKeyRing(`k1:${'s'.repeat(40)}`);

function portalWithGate(waitingRoom: WaitingRoom) {
  const app = new Hono<SanhEnv>();
  app.use(requestId());
  app.onError(errorMapper(silentLogger));
  app.route('/_sanh', waitingRoom.routes);
  app.use('*', waitingRoom.gate);
  app.get('/public/*', (c) => c.text('public'));
  app.post('/apply/submit', (c) => c.text('submitted', 200, { 'Sanh-Session': 'end' }));
  app.get('*', (c) => c.text(`portal page ${c.req.path}`));
  return app;
}

describe('waiting room gate (in-process, memory store)', () => {
  const clock = manualClock(Date.UTC(2026, 10, 22, 3, 0, 0));
  let store: WaitingRoomStore;
  let waitingRoom: WaitingRoom;
  let app: ReturnType<typeof portalWithGate>;
  const visitor = (name: string) => new Visitor(inProcess(app), name);

  beforeEach(async () => {
    const config = parseConfig({
      rooms: [
        { id: 'main', match: ['/'], maxActive: 2, admitPerMinute: 600, sessionIdleSeconds: 600, fallbackShare: 1 },
        { id: 'tax', match: ['/tax'], maxActive: 1, admitPerMinute: 60 },
      ],
    });
    store = createMemoryWaitingRoomStore({ clock });
    waitingRoom = createWaitingRoom({ rooms: config.rooms.filter((r) => r.id !== 'public'), store, keyRing: KEYS, clock });
    app = portalWithGate(waitingRoom);
    await waitingRoom.snapshots.refresh();
  });

  it('admits the first two, seats the third at position 1 with the waiting page', async () => {
    const [a, b, c] = [visitor('a'), visitor('b'), visitor('c')];
    for (const v of [a, b]) {
      const response = await v.page('/apply');
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('portal page /apply');
      expect(response.headers.get('sanh-state')).toBe('admitted');
      expect(response.headers.get('sanh-room')).toBe('main');
      expect(v.jar.has('sanh_pass_main')).toBe(true);
    }
    const waiting = await c.page('/apply?step=1');
    expect(waiting.status).toBe(503);
    expect(waiting.headers.get('sanh-state')).toBe('queued');
    expect(waiting.headers.get('cache-control')).toBe('no-store');
    expect(waiting.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(waiting.headers.get('content-type')).toContain('text/html');
    const html = await waiting.text();
    expect(html).toContain('lang="vi"');
    expect(html).toContain('Bạn đang trong hàng chờ');
    expect(html).toMatch(/id="sanh-pos">\s*1\s*</);
    expect(html).toContain('Bạn là người tiếp theo.');
    expect(html).toContain('chưa xác định được');
    expect(html).toContain('"back":"/apply?step=1"');
    expect(html).toMatch(/<noscript><meta http-equiv="refresh" content="\d+"/);
    expect(new TextEncoder().encode(html).length).toBeLessThan(20 * 1024);
    expect(c.jar.has('sanh_ticket_main')).toBe(true);
    expect(c.jar.has('sanh_pass_main')).toBe(false);
  });

  it('lets an admitted visitor through again without joining the line again', async () => {
    const a = visitor('a');
    await a.page('/');
    for (let i = 0; i < 5; i++) expect((await a.page(`/page/${i}`)).headers.get('sanh-state')).toBe('admitted');
    await waitingRoom.snapshots.refresh();
    expect(waitingRoom.snapshots.view('main')?.snapshot.active).toBe(1);
  });

  it('keeps an active session alive through batched renewals, and revokes one the store dropped', async () => {
    const a = visitor('a');
    const b = visitor('b');
    await a.page('/');
    await b.page('/');
    for (let minute = 0; minute < 30; minute++) {
      clock.advance(60_000);
      expect((await a.page(`/form/${minute}`)).headers.get('sanh-state')).toBe('admitted');
      await waitingRoom.activity.flush();
    }
    await waitingRoom.snapshots.refresh();
    expect(waitingRoom.snapshots.view('main')?.snapshot.active).toBe(1);
    const idlePass = b.jar.get('sanh_pass_main');
    expect((await b.page('/')).headers.get('sanh-state')).toBe('admitted');
    expect(b.jar.get('sanh_pass_main')).not.toBe(idlePass);
    await waitingRoom.snapshots.refresh();
    expect(waitingRoom.snapshots.view('main')?.snapshot.active).toBe(2);

    const pass = a.jar.get('sanh_pass_main') as string;
    const visitorId = JSON.parse(
      new TextDecoder().decode(Uint8Array.from(atob(pass.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')), (ch) => ch.charCodeAt(0))),
    ).v as string;
    await store.release(
      'main',
      {
        maxActive: 2,
        admitPerMinute: 600,
        admitBurst: 60,
        sessionIdleSeconds: 600,
        noShowSeconds: 60,
        abandonAfterSeconds: 180,
        admitting: true,
        queueAll: false,
      },
      visitorId,
    );
    expect((await a.page('/after-release')).headers.get('sanh-state')).toBe('admitted');
    expect((await visitor('c').page('/')).headers.get('sanh-state')).toBe('admitted');
    await waitingRoom.activity.flush();
    expect((await a.page('/after-flush')).headers.get('sanh-state')).toBe('queued');
  });

  it('answers polls far from the front from the snapshot, and admitted requests without the store', async () => {
    const a = visitor('a');
    await a.page('/');
    await visitor('b').page('/');
    const queued = [visitor('c'), visitor('d'), visitor('e')];
    for (const v of queued) await v.page('/');
    await waitingRoom.snapshots.refresh();
    const calls: string[] = [];
    for (const name of ['join', 'claim', 'touch', 'release', 'tick'] as const) {
      const original = store[name].bind(store) as (...args: unknown[]) => Promise<unknown>;
      (store as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        calls.push(name);
        return original(...args);
      };
    }
    for (let i = 0; i < 20; i++) expect(await queued[2]!.status()).toMatchObject({ state: 'queued', position: 3 });
    for (let i = 0; i < 20; i++) expect((await a.page(`/p/${i}`)).headers.get('sanh-state')).toBe('admitted');
    expect(calls).toEqual([]);
  });

  it('marks cookies Secure when the visitor came over HTTPS', async () => {
    const overHttps = await visitor('s').request('/', { headers: { 'x-forwarded-proto': 'https' } });
    expect(overHttps.headers.getSetCookie()[0]).toMatch(/; HttpOnly; SameSite=Lax; Secure$/);
    const overHttp = await visitor('p').request('/');
    expect(overHttp.headers.getSetCookie()[0]).not.toContain('Secure');
  });

  it('gives JSON clients the status body instead of the page', async () => {
    await visitor('a').page('/');
    await visitor('b').page('/');
    const response = await visitor('c').request('/api/thing', { headers: { accept: 'application/json' } });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ room: 'main', state: 'queued', position: 1, ahead: 0, etaSeconds: null, pollAfterSeconds: 3 });
  });

  it('treats forged, tampered, other-room and expired passes as none', async () => {
    const a = visitor('a');
    await a.page('/');
    const pass = a.jar.get('sanh_pass_main') as string;
    const [kid, body, sig] = pass.split('.');
    const cases = [`${kid}.${body}.${sig?.slice(0, -4)}AAAA`, `${kid}.${body?.slice(0, -2)}xx.${sig}`, `other.${body}.${sig}`, 'garbage'];
    await visitor('b').page('/');
    for (const forged of cases) {
      const intruder = visitor('intruder');
      intruder.jar.set('sanh_pass_main', forged);
      const response = await intruder.page('/');
      expect(response.headers.get('sanh-state')).toBe('queued');
      expect(intruder.jar.has('sanh_pass_main')).toBe(false);
    }
    const wrongRoom = visitor('wrong-room');
    wrongRoom.jar.set('sanh_pass_tax', pass);
    await visitor('t').page('/tax');
    expect((await wrongRoom.page('/tax/form')).headers.get('sanh-state')).toBe('queued');

    clock.advance(601_000);
    expect((await a.page('/')).headers.get('sanh-state')).not.toBe('admitted');
  });

  it('frees the slot when the origin ends the session, and the next visitor gets in', async () => {
    const [a, b, c, d] = [visitor('a'), visitor('b'), visitor('c'), visitor('d')];
    await a.page('/');
    await b.page('/');
    await c.page('/');
    await d.page('/');
    expect(await c.status()).toMatchObject({ state: 'queued', position: 1 });
    expect(await d.status()).toMatchObject({ state: 'queued', position: 2, ahead: 1 });

    const submitted = await a.request('/apply/submit', { method: 'POST' });
    expect(await submitted.text()).toBe('submitted');
    expect(submitted.headers.get('sanh-session')).toBeNull();
    expect(submitted.headers.get('sanh-state')).toBe('admitted');
    expect(a.jar.has('sanh_pass_main')).toBe(false);
    await new Promise((r) => setTimeout(r, 10));
    clock.advance(1_000);
    await waitingRoom.snapshots.refresh();

    expect(await c.status()).toMatchObject({ state: 'admitted', position: 0 });
    expect(c.jar.has('sanh_pass_main')).toBe(true);
    expect(c.jar.has('sanh_ticket_main')).toBe(false);
    expect((await c.page('/apply')).headers.get('sanh-state')).toBe('admitted');
    expect(await d.status()).toMatchObject({ state: 'queued', position: 1 });
    expect((await a.page('/')).headers.get('sanh-state')).toBe('queued');
  });

  it('answers status for visitors with no ticket, and names unknown rooms', async () => {
    expect(await visitor('x').status('main')).toEqual({
      room: 'main',
      state: 'none',
      position: null,
      ahead: null,
      etaSeconds: null,
      pollAfterSeconds: null,
    });
    const unknown = await app.request('/_sanh/status?room=nope', { headers: { accept: 'application/json' } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'not_found', requestId: expect.any(String) } });
    const ambiguous = await app.request('/_sanh/status', { headers: { accept: 'application/json' } });
    expect(ambiguous.status).toBe(400);
  });

  it('renders the waiting page in English on request', async () => {
    await visitor('a').page('/');
    await visitor('b').page('/');
    const byHeader = await visitor('c').page('/', { 'accept-language': 'en-GB,en;q=0.9' });
    const html = await byHeader.text();
    expect(html).toContain('lang="en"');
    expect(html).toContain('You are in line');
    expect(html).toContain('not yet known');
    const byQuery = await visitor('d').page('/?lang=en');
    expect(await byQuery.text()).toContain('1 person is ahead of you.');
  });

  it('serves liveness, readiness that a store outage does not fail, and health that shows the store', async () => {
    const since = new Date(clock()).toISOString();
    expect(await (await app.request('/_sanh/live')).json()).toEqual({ status: 'live' });
    expect(await (await app.request('/_sanh/health')).json()).toEqual({ status: 'ok', draining: false, store: { status: 'ok', since } });
    expect(await (await app.request('/_sanh/ready')).json()).toEqual({ status: 'ready' });
    const ping = store.ping.bind(store);
    store.ping = async () => {
      throw new Error('connection refused');
    };
    clock.advance(5_000);
    await waitingRoom.storeHealth.check();
    const ready = await app.request('/_sanh/ready', { headers: { accept: 'application/json' } });
    expect(ready.status).toBe(200);
    const down = await app.request('/_sanh/health');
    expect(down.status).toBe(200);
    expect(await down.json()).toEqual({ status: 'ok', draining: false, store: { status: 'down', since: new Date(clock()).toISOString() } });
    store.ping = ping;
    await waitingRoom.storeHealth.check();
    expect(((await (await app.request('/_sanh/health')).json()) as { store: { status: string } }).store.status).toBe('ok');
  });

  it("when the store fails: admitted visitors carry on, newcomers get this instance's share of the headroom the last snapshot showed (1 of 2), then the waiting page", async () => {
    const a = visitor('a');
    await a.page('/');
    await waitingRoom.snapshots.refresh();
    const join = store.join.bind(store);
    store.join = async () => {
      throw new Error('connection refused');
    };
    const b = visitor('b');
    const admittedInOutage = await b.page('/');
    expect(admittedInOutage.status).toBe(200);
    expect(admittedInOutage.headers.get('sanh-state')).toBe('admitted');
    const json = await visitor('c').request('/', { headers: { accept: 'application/json' } });
    expect(json.status).toBe(503);
    expect(await json.json()).toMatchObject({ state: 'queued', position: null, etaSeconds: null, pollAfterSeconds: 10 });
    const page = await visitor('d').page('/');
    expect(page.status).toBe(503);
    expect(await page.text()).toContain('Lúc này chưa xem được số liệu của hàng chờ.');
    expect((await a.page('/still-here')).status).toBe(200);

    store.join = join;
    await waitingRoom.activity.flush();
    await waitingRoom.snapshots.refresh();
    expect(waitingRoom.snapshots.view('main')?.snapshot.active).toBe(2);
    expect((await b.page('/after-outage')).headers.get('sanh-state')).toBe('admitted');
    await waitingRoom.activity.flush();
    expect((await b.page('/still-after')).headers.get('sanh-state')).toBe('admitted');
  });
});

describe('statusJson', () => {
  it('writes exactly what JSON.stringify writes', () => {
    const bodies: StatusBody[] = [
      { room: 'main', state: 'queued', position: 12, ahead: 11, etaSeconds: 95.5, pollAfterSeconds: 3 },
      { room: 'a_b-1', state: 'queued', position: 1, ahead: 0, etaSeconds: null, pollAfterSeconds: 20 },
      { room: 'main', state: 'admitted', position: 0, ahead: 0, etaSeconds: 0, pollAfterSeconds: null },
      { room: 'main', state: 'none', position: null, ahead: null, etaSeconds: null, pollAfterSeconds: null },
      { room: 'main', state: 'queued', position: 1e21, ahead: Number.NaN, etaSeconds: Number.POSITIVE_INFINITY, pollAfterSeconds: -0 },
    ];
    for (const body of bodies) expect(statusJson(body)).toBe(JSON.stringify(body));
  });
});
