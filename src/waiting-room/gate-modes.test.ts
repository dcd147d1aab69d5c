import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { Visitor, inProcess } from '../../tests/helpers/visitor.js';
import type { ConfigInput } from '../config/schema.js';
import { parseConfig } from '../config/load.js';
import { manualClock, type ManualClock } from '../platform/clock.js';
import { errorMapper, type SanhEnv } from '../platform/http.js';
import { parseKeyRing } from '../platform/keyring.js';
import { silentLogger } from '../platform/logger.js';
import { createWaitingRoom, type WaitingRoom } from './index.js';
import { lotteryOrder, sha256Hex } from './lottery.js';
import { createMemoryWaitingRoomStore } from './memory-store.js';
import type { WaitingRoomStore } from './store.js';

const KEYS = parseKeyRing(`k1:${'m'.repeat(40)}`);
const T0 = Date.UTC(2026, 11, 1, 0, 0, 0);
type RoomInput = NonNullable<ConfigInput['rooms']>[number];

function setUp(rooms: RoomInput[], options: { clock?: ManualClock; store?: WaitingRoomStore; address?: string } = {}) {
  const clock = options.clock ?? manualClock(T0);
  const store = options.store ?? createMemoryWaitingRoomStore({ clock });
  const config = parseConfig({ rooms });
  const waitingRoom: WaitingRoom = createWaitingRoom({
    rooms: config.rooms,
    store,
    keyRing: KEYS,
    clock,
    logger: silentLogger,
    clientAddress: (c) => c.req.header('x-test-address') ?? options.address,
  });
  const app = new Hono<SanhEnv>();
  const originHits: string[] = [];
  app.onError(errorMapper(silentLogger));
  app.route('/_sanh', waitingRoom.routes);
  app.use('*', waitingRoom.gate);
  app.all('*', (c) => {
    originHits.push(c.req.path);
    return c.text(`origin ${c.req.path}`);
  });
  return { app, waitingRoom, clock, store, originHits, visitor: (name = 'v') => new Visitor(inProcess(app), name) };
}

const base = { id: 'main', match: ['/'], maxActive: 2, admitPerMinute: 600 } satisfies RoomInput;

describe('room modes at the gate', () => {
  it('open: admits while there is room, then queues', async () => {
    const { visitor } = setUp([base]);
    expect((await visitor().page('/')).headers.get('sanh-state')).toBe('admitted');
    expect((await visitor().page('/')).headers.get('sanh-state')).toBe('admitted');
    expect((await visitor().page('/')).headers.get('sanh-state')).toBe('queued');
  });

  it('queue-all: seats even the first visitor, then lets them in at the next turn', async () => {
    const { visitor, waitingRoom, clock } = setUp([{ ...base, mode: 'queue-all' }]);
    const first = visitor();
    const page = await first.page('/form');
    expect(page.status).toBe(503);
    expect(page.headers.get('sanh-state')).toBe('queued');
    expect(await page.text()).toContain('mọi người đều vào qua hàng chờ');
    clock.advance(1000);
    await waitingRoom.snapshots.refresh();
    expect((await first.page('/form')).headers.get('sanh-state')).toBe('admitted');
  });

  it("paused: nobody new gets in, the page says why in the operator's words, admitted visitors carry on, places are kept", async () => {
    const clock = manualClock(T0);
    const store = createMemoryWaitingRoomStore({ clock });
    const open = setUp([base], { clock, store });
    const inside = open.visitor('inside');
    expect((await inside.page('/')).headers.get('sanh-state')).toBe('admitted');
    const message = { vi: 'Bảo trì hệ thống đến 9 giờ.', en: 'System maintenance until 9:00.' };
    const paused = setUp([{ ...base, mode: 'paused', message }], { clock, store });
    const newcomer = new Visitor(inProcess(paused.app), 'new');
    const seated = await newcomer.page('/', { 'accept-language': 'en' });
    expect(seated.status).toBe(503);
    expect(seated.headers.get('sanh-state')).toBe('paused');
    const html = await seated.text();
    expect(html).toContain('System maintenance until 9:00.');
    expect(html).toContain('not yet known');
    const again = new Visitor(inProcess(paused.app), 'again');
    await again.page('/');
    clock.advance(5_000);
    await paused.waitingRoom.snapshots.refresh();
    expect((await newcomer.page('/')).headers.get('sanh-state')).toBe('paused');
    const insideNow = new Visitor(inProcess(paused.app), 'inside');
    for (const [k, v] of inside.jar) insideNow.jar.set(k, v);
    expect((await insideNow.page('/still-working')).headers.get('sanh-state')).toBe('admitted');
    const json = await (await newcomer.request('/_sanh/status?room=main', { headers: { accept: 'application/json' } })).json();
    expect(json).toMatchObject({ state: 'queued', position: 1, etaSeconds: null });
    const resumed = setUp([base], { clock, store });
    clock.advance(1_000);
    await resumed.waitingRoom.snapshots.refresh();
    const first = new Visitor(inProcess(resumed.app), 'new');
    for (const [k, v] of newcomer.jar) first.jar.set(k, v);
    expect((await first.page('/')).headers.get('sanh-state')).toBe('admitted');
    const second = new Visitor(inProcess(resumed.app), 'again');
    for (const [k, v] of again.jar) second.jar.set(k, v);
    expect((await second.request('/_sanh/status?room=main', { headers: { accept: 'application/json' } }).then((r) => r.json())).position).toBe(1);
  });

  it('passthrough: no admission control, counted, marked', async () => {
    const { visitor, waitingRoom, originHits } = setUp([{ ...base, maxActive: 1, mode: 'passthrough' }]);
    for (let i = 0; i < 5; i++) {
      const response = await visitor().page(`/p${i}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('sanh-state')).toBe('passthrough');
      expect(response.headers.get('sanh-room')).toBe('main');
    }
    expect(originHits).toHaveLength(5);
    expect(waitingRoom.counters.passthrough.get('main')).toBe(5);
  });

  it('closed: a friendly page with the message and reopening time, JSON for API clients, and no origin traffic', async () => {
    const { visitor, originHits } = setUp([
      { ...base, mode: 'closed', message: { vi: 'Dịch vụ tạm dừng để nâng cấp.' }, reopensAt: '2026-12-01T08:00:00+07:00' },
    ]);
    const page = await visitor().page('/apply');
    expect(page.status).toBe(503);
    expect(page.headers.get('sanh-state')).toBe('closed');
    expect(Number(page.headers.get('retry-after'))).toBe(3600);
    const html = await page.text();
    expect(html).toContain('Dịch vụ tạm dừng để nâng cấp.');
    expect(html).toContain('08:00');
    const json = await visitor().request('/api/x', { headers: { accept: 'application/json' } });
    expect(json.status).toBe(503);
    expect(await json.json()).toMatchObject({
      error: { code: 'room_closed', message: 'Dịch vụ tạm dừng để nâng cấp.' },
      reopensAt: '2026-12-01T01:00:00.000Z',
    });
    expect(originHits).toEqual([]);
  });
});

describe('bypass rules and host matching', () => {
  const secret = 'staff-secret-0123456789abcdef';
  const rooms: RoomInput[] = [
    { ...base, maxActive: 1, bypass: { paths: ['/health'], extensions: ['css', 'js'], cidrs: ['203.0.113.0/24'], secrets: [secret] } },
    { id: 'land', hosts: ['land.example.vn', '*.land.example.vn'], match: ['/'], maxActive: 1, admitPerMinute: 60 },
  ];

  it('lets static assets, bypass paths, office addresses and staff secrets skip a full room', async () => {
    const { visitor, waitingRoom } = setUp(rooms);
    await visitor().page('/');
    expect((await visitor().page('/')).headers.get('sanh-state')).toBe('queued');
    for (const request of [
      visitor().page('/assets/site.css'),
      visitor().page('/app.JS'),
      visitor().page('/health'),
      visitor().page('/form', { 'x-test-address': '203.0.113.77' }),
      visitor().page('/form', { 'sanh-bypass': secret }),
      visitor().page('/form', { cookie: `sanh_bypass=${secret}` }),
    ]) {
      const response = await request;
      expect(response.status).toBe(200);
      expect(response.headers.get('sanh-state')).toBe('bypass');
    }
    expect(waitingRoom.counters.bypass.get('main')).toBe(6);
    for (const request of [
      visitor().page('/healthz'),
      visitor().page('/form', { 'x-test-address': '203.0.114.1' }),
      visitor().page('/form', { 'sanh-bypass': `${secret}x` }),
      visitor().page('/site.css/form'),
    ]) {
      expect((await request).headers.get('sanh-state')).toBe('queued');
    }
  });

  it('serves several portals: rooms that name the host win, others take any host', async () => {
    const { visitor } = setUp(rooms);
    const land = await visitor().page('/', { host: 'land.example.vn' });
    expect(land.headers.get('sanh-room')).toBe('land');
    expect((await visitor().page('/x', { host: 'HCM.Land.Example.VN:8443' })).headers.get('sanh-room')).toBe('land');
    expect((await visitor().page('/', { host: 'portal.example.vn' })).headers.get('sanh-room')).toBe('main');
    expect((await visitor().page('/', { host: 'example.vn' })).headers.get('sanh-room')).toBe('main');
  });
});

describe('scheduled opening with a pre-queue lottery', () => {
  const event = { id: 'enrol', preQueueFrom: '2026-12-01T07:00:00+07:00', opensAt: '2026-12-01T08:00:00+07:00', maxActive: 3, admitPerMinute: 6000 };
  const opensAt = Date.parse(event.opensAt);

  it('gives early arrivals a countdown and an entry, draws a fair, recomputable order at opening, and queues later arrivals behind', async () => {
    const clock = manualClock(Date.parse(event.preQueueFrom) + 60_000);
    const { visitor, waitingRoom } = setUp([{ ...base, maxActive: 1, events: [event] }], { clock });
    const early = Array.from({ length: 8 }, (_, i) => visitor(`early${i}`));
    const entries: string[] = [];
    for (const person of early) {
      const page = await person.page('/enrol', { accept: 'application/json' });
      expect(page.status).toBe(503);
      expect(page.headers.get('sanh-state')).toBe('prequeue');
      const body = (await page.json()) as { entry: string; commitment: string; opensAt: string };
      expect(body.opensAt).toBe(new Date(opensAt).toISOString());
      entries.push(body.entry);
    }
    const html = await early[0]!.page('/enrol');
    expect(html.headers.get('sanh-state')).toBe('prequeue');
    expect(await html.text()).toContain(entries[0]!);
    const before = await (await visitor().request('/_sanh/lottery?room=main')).json();
    expect(before).toMatchObject({ event: 'enrol', entryCount: 8, drawn: false });
    expect(before.seed).toBeUndefined();

    clock.set(opensAt + 1_000);
    await waitingRoom.snapshots.refresh();
    const after = await (await visitor().request('/_sanh/lottery?room=main')).json();
    expect(after).toMatchObject({ drawn: true, entries });
    expect(await sha256Hex(after.seed)).toBe(before.commitment);
    expect(after.order).toEqual(await lotteryOrder(after.seed, entries));
    expect([...after.order].sort()).toEqual([...entries].sort());

    const late = visitor('late');
    const latePlace = await (await late.request('/enrol', { headers: { accept: 'application/json' } })).json();
    await waitingRoom.snapshots.refresh();
    const places = new Map<string, number | null>();
    for (const [i, person] of early.entries()) {
      const status = await (await person.request('/_sanh/status?room=main', { headers: { accept: 'application/json' } })).json();
      places.set(entries[i]!, status.state === 'admitted' ? 0 : status.position);
    }
    const ordered = (after.order as string[]).map((entry) => places.get(entry));
    expect(ordered.slice(0, 3)).toEqual([0, 0, 0]);
    expect(ordered.slice(3)).toEqual([1, 2, 3, 4, 5]);
    expect(latePlace).toMatchObject({ state: 'queued', position: 6 });
  });
});
