import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import type { RoomConfig } from '../config/schema.js';
import { manualClock } from '../platform/clock.js';
import { errorMapper, type SanhEnv } from '../platform/http.js';
import { parseKeyRing } from '../platform/keyring.js';
import { silentLogger } from '../platform/logger.js';
import { clientBinding, networkOf, userAgentFamily } from './bindings.js';
import { createWaitingRoom, type WaitingRoom } from './index.js';
import { createMemoryWaitingRoomStore } from './memory-store.js';
import { limitsOf } from './rooms.js';
import type { WaitingRoomStore } from './store.js';

const NOW = Date.UTC(2030, 0, 15, 9, 0, 0);
const KEYS = parseKeyRing(`k1:${'c'.repeat(40)}`);
const CHROME = 'Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36';
const ROOM = { id: 'main', match: ['/'], maxActive: 1, admitPerMinute: 60_000, admitBurst: 100, sessionIdleSeconds: 600 };
const config = parseConfig({ rooms: [{ ...ROOM, clientLimits: { joinPerMinute: 100_000, requestsPerMinute: 300 } }] });
const room = config.rooms[0]!;

/** A cookie's `name=value` from a response, if it sets one. */
function setCookie(response: Response, name: string): string | undefined {
  const found = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${name}=`));
  const pair = found?.split(';')[0];
  return pair && pair !== `${name}=` ? pair : undefined;
}

describe('client bindings', () => {
  it('keep an IPv4 /24 and an IPv6 /64, and a browser family stable across versions', () => {
    expect(networkOf('203.0.113.7')).toBe('203.0.113');
    expect(networkOf('::ffff:203.0.113.7')).toBe('203.0.113');
    expect(networkOf('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2');
    expect(networkOf('2001:db8::1')).toBe('2001:db8:0:0');
    expect(networkOf(undefined)).toBe('?');
    expect(userAgentFamily(CHROME)).toBe('chromium-m');
    expect(userAgentFamily(CHROME.replace('126.0', '127.0'))).toBe('chromium-m');
    expect(userAgentFamily('Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0')).toBe('firefox-d');
    expect(clientBinding('203.0.113.7', CHROME)).toBe(clientBinding('203.0.113.200', CHROME.replace('126', '127')));
    expect(clientBinding('203.0.113.7', CHROME)).not.toBe(clientBinding('203.0.114.7', CHROME));
  });
});

/**
 * Issue 17, finding 13: one ticket copied into 50 clients let all 50 in while the room counted 1
 * active, and the resulting pass copied into 50 more let 50 more in. A room of one slot, the real
 * gate (in-process, memory store), clients told apart by their address and User-Agent.
 */
describe('copied tickets and passes (issue 17 #13)', () => {
  let waitingRoom: WaitingRoom;
  let store: WaitingRoomStore;
  let app: Hono<SanhEnv>;
  const figures: Record<string, number> = {};

  /**
   * The room, its store and the gate in front of a portal, on one manual clock: the per-pass
   * limits count by the minute, and a test straddling a minute of the wall clock would see its
   * counts reset.
   */
  async function build(rooms: readonly RoomConfig[]): Promise<void> {
    const clock = manualClock(NOW);
    store = createMemoryWaitingRoomStore({ clock });
    waitingRoom = createWaitingRoom({
      rooms,
      store,
      keyRing: KEYS,
      logger: silentLogger,
      clock,
      snapshotIntervalMs: 50,
      clientAddress: (c) => c.req.header('x-test-address'),
    });
    await waitingRoom.start();
    app = new Hono<SanhEnv>();
    app.use(requestId());
    app.onError(errorMapper(silentLogger));
    app.route('/_sanh', waitingRoom.routes);
    app.use('*', waitingRoom.gate);
    app.post('/submit', (c) => c.text('filed', 200, { 'Sanh-Session': 'end' }));
    app.get('*', (c) => c.text('portal'));
  }

  beforeEach(() => build(config.rooms));
  afterEach(async () => {
    await waitingRoom.stop();
    await store.close();
  });

  const get = (path: string, address: string, cookie?: string, userAgent = CHROME) =>
    app.request(path, { headers: { accept: 'application/json', 'x-test-address': address, 'user-agent': userAgent, ...(cookie ? { cookie } : {}) } });
  const admitted = (response: Response) => response.status === 200 && response.headers.get('sanh-state') === 'admitted';

  /** The holder's ticket once it has been called (another visitor held the only slot and ended their session). */
  async function calledTicket(holderAddress: string): Promise<string> {
    const first = await get('/', '198.51.100.9');
    const firstPass = setCookie(first, 'sanh_pass_main');
    expect(admitted(first)).toBe(true);
    const queued = await get('/', holderAddress);
    const ticket = setCookie(queued, 'sanh_ticket_main');
    expect(queued.headers.get('sanh-state')).toBe('queued');
    await app.request('/submit', { method: 'POST', headers: { 'x-test-address': '198.51.100.9', 'user-agent': CHROME, cookie: firstPass ?? '' } });
    await waitingRoom.snapshots.refresh();
    return ticket ?? '';
  }

  it('a ticket copied into 50 clients: its holder and nobody on another network gets in; the room still counts 1', async () => {
    const ticket = await calledTicket('203.0.113.7');
    const holder = await get('/', '203.0.113.7', ticket);
    expect(admitted(holder)).toBe(true);
    let otherNetworks = 0;
    for (let i = 0; i < 50; i++) if (admitted(await get('/', `10.0.${i}.1`, ticket))) otherNetworks += 1;
    let sameNetwork = 0;
    for (let i = 0; i < 50; i++) if (admitted(await get('/', `203.0.113.${100 + i}`, ticket))) sameNetwork += 1;
    const active = (await store.tick(room.id, limitsOf(room, NOW))).active;
    Object.assign(figures, { ticketCopiesOtherNetworksAdmitted: otherNetworks, ticketCopiesSameNetworkAdmitted: sameNetwork, activeAfterTicketCopies: active });
    console.log(JSON.stringify({ test: 'copied-ticket', copies: 50, otherNetworksAdmitted: otherNetworks, sameNetworkWithin30sAdmitted: sameNetwork, active }));
    expect(otherNetworks).toBe(0);
    expect(active).toBe(1);
    // Same network and browser within the redemption window: the same pass again (a lost answer's retry looks the same), bounded by the pass's rate.
    expect(sameNetwork).toBe(50);
  });

  it("a pass copied into 50 clients: on other networks one rebinding wins and the rest queue; on the same network the pass's request rate bounds them", async () => {
    const ticket = await calledTicket('203.0.113.7');
    const holder = await get('/', '203.0.113.7', ticket);
    const pass = setCookie(holder, 'sanh_pass_main') ?? '';
    expect(pass).toMatch(/^sanh_pass_main=./);

    // Other networks: the first copy rebinds the session to itself; the other 49, and then the holder's older pass, are refused.
    let otherNetworks = 0;
    let winner = '';
    for (let i = 0; i < 50; i++) {
      const answer = await get('/', `10.1.${i}.1`, pass);
      if (!admitted(answer)) continue;
      otherNetworks += 1;
      winner = setCookie(answer, 'sanh_pass_main') ?? '';
    }
    const holderAfter = await get('/', '203.0.113.7', pass);

    // Same network and browser family as the pass's client: indistinguishable from it; 50 clients x 10 requests against 300 a minute.
    let sameNetworkServed = 0;
    let sameNetworkLimited = 0;
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 50; i++) {
        const answer = await get(`/page-${round}`, `10.1.0.${100 + i}`, winner);
        if (admitted(answer)) sameNetworkServed += 1;
        else if (answer.status === 429) sameNetworkLimited += 1;
      }
    }
    const active = (await store.tick(room.id, limitsOf(room, NOW))).active;
    console.log(
      JSON.stringify({
        test: 'copied-pass',
        copies: 50,
        sameNetworkRequests: 500,
        sameNetworkServed,
        sameNetworkLimited,
        otherNetworksAdmitted: otherNetworks,
        holderAfterRebind: holderAfter.headers.get('sanh-state'),
        active,
      }),
    );
    expect(sameNetworkServed).toBeLessThanOrEqual(300);
    expect(sameNetworkLimited).toBe(500 - sameNetworkServed);
    expect(otherNetworks).toBe(1);
    expect(admitted(holderAfter)).toBe(false);
    expect(active).toBe(1);
  });

  it('a phone that changes network keeps its session: its pass is rebound once, and its old pass stops working', async () => {
    const first = await get('/', '203.0.113.7');
    const pass = setCookie(first, 'sanh_pass_main') ?? '';
    const moved = await get('/', '100.64.9.9', pass);
    expect(admitted(moved)).toBe(true);
    const rebound = setCookie(moved, 'sanh_pass_main') ?? '';
    expect(rebound).not.toBe(pass);
    expect(admitted(await get('/next', '100.64.9.9', rebound))).toBe(true);
    expect(admitted(await get('/old', '203.0.113.7', pass))).toBe(false);
  });

  it('a phone that changes network with requests in flight: every one of them is admitted with the one rebound pass; a copy of the old pass elsewhere is refused', async () => {
    const first = await get('/', '203.0.113.7');
    const pass = setCookie(first, 'sanh_pass_main') ?? '';
    const answers = await Promise.all(['/a', '/b', '/c', '/d'].map((path) => get(path, '100.64.9.9', pass)));
    expect(answers.map(admitted)).toEqual([true, true, true, true]);
    const passes = new Set(answers.map((answer) => setCookie(answer, 'sanh_pass_main')));
    expect(passes.size).toBe(1);
    const later = await get('/late', '100.64.9.9', pass);
    expect(admitted(later), 'an older pass arriving after the rebinding, from the same client').toBe(true);
    expect(admitted(await get('/copy', '192.0.2.1', pass))).toBe(false);
  });

  it("a rebinding answered with the pass's 429 still carries the rebound pass", async () => {
    await waitingRoom.stop();
    await store.close();
    await build(parseConfig({ rooms: [{ ...ROOM, clientLimits: { joinPerMinute: 100_000, requestsPerMinute: 2 } }] }).rooms);
    const first = await get('/', '203.0.113.7');
    const pass = setCookie(first, 'sanh_pass_main') ?? '';
    expect(admitted(await get('/again', '203.0.113.7', pass))).toBe(true);
    const moved = await get('/moved', '100.64.9.9', pass);
    expect(moved.status).toBe(429);
    const rebound = setCookie(moved, 'sanh_pass_main');
    expect(rebound).toBeDefined();
    expect(rebound).not.toBe(pass);
  });
});
