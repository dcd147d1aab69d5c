import { beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { Visitor, inProcess } from '../tests/helpers/visitor.js';
import { createApp } from './app.js';
import { parseConfig } from './config/load.js';
import { manualClock } from './platform/clock.js';
import { SanhError } from './platform/errors.js';
import { parseKeyRing } from './platform/keyring.js';
import { silentLogger } from './platform/logger.js';
import type { OriginClient } from './proxy/port.js';
import { createMemoryWaitingRoomStore } from './waiting-room/memory-store.js';
import { createWaitingRoom, type WaitingRoom } from './waiting-room/index.js';
import { createClientLimiter } from './waiting-room/client-limits.js';

const KEYS = parseKeyRing(`k1:${'a'.repeat(40)}`);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const origin: OriginClient = {
  forward: async (request) => new Response(`origin ${request.pathAndQuery}`, { headers: { 'content-type': 'text/plain' } }),
  close: async () => undefined,
};

/** Everything of an answer but its request id. */
async function shape(response: Response) {
  const headers = Object.fromEntries([...response.headers].filter(([name]) => name !== 'sanh-request-id'));
  return { status: response.status, headers, body: await response.text() };
}

describe('createApp: status polls answered from memory', () => {
  const clock = manualClock(Date.UTC(2026, 10, 22, 3, 0, 0));
  let waitingRoom: WaitingRoom;
  let app: ReturnType<typeof createApp>;
  let fromMemory: MockInstance<WaitingRoom['statusFromMemory']>;
  const visitor = () => new Visitor(inProcess(app));

  beforeEach(async () => {
    const config = parseConfig({ rooms: [{ id: 'main', match: ['/'], maxActive: 1, admitPerMinute: 60 }] });
    waitingRoom = createWaitingRoom({ rooms: config.rooms, store: createMemoryWaitingRoomStore({ clock }), keyRing: KEYS, clock });
    fromMemory = vi.spyOn(waitingRoom, 'statusFromMemory');
    app = createApp({ waitingRoom, origin, logger: silentLogger });
    await waitingRoom.snapshots.refresh();
  });

  /** A visitor holding a pass and one waiting with a ticket, both seen by the snapshot. */
  async function admittedAndQueued(): Promise<[Visitor, Visitor]> {
    const [admitted, queued] = [visitor(), visitor()];
    expect((await admitted.page('/apply')).headers.get('sanh-state')).toBe('admitted');
    expect((await queued.page('/apply')).headers.get('sanh-state')).toBe('queued');
    await waitingRoom.snapshots.refresh();
    return [admitted, queued];
  }

  const poll = (v: Visitor, path = '/_sanh/status?room=main', headers: Record<string, string> = {}) =>
    v.request(path, { headers: { accept: 'application/json', ...headers } });

  it('answers the same from memory as the route does once the token is known', async () => {
    const [admitted, queued] = await admittedAndQueued();
    for (const v of [queued, admitted]) {
      fromMemory.mockClear();
      const routed = await poll(v);
      const remembered = await poll(v);
      expect(fromMemory.mock.results.map((r) => r.value !== undefined)).toEqual([false, true]);
      expect(await shape(remembered)).toEqual(await shape(routed));
      expect(remembered.headers.get('sanh-request-id')).toMatch(UUID);
    }
    expect(await (await poll(queued)).json()).toMatchObject({ room: 'main', state: 'queued', position: 1, ahead: 0 });
    expect(await (await poll(admitted)).json()).toMatchObject({ state: 'admitted', position: 0 });
  });

  it("refuses a poll over the visitor's limit from memory with the route's own 429, counting each poll once", async () => {
    const config = parseConfig({ rooms: [{ id: 'main', match: ['/'], maxActive: 1, admitPerMinute: 60, clientLimits: { statusPerMinute: 4 } }] });
    const limiter = createClientLimiter({ logger: silentLogger, clock });
    waitingRoom = createWaitingRoom({ rooms: config.rooms, store: createMemoryWaitingRoomStore({ clock }), keyRing: KEYS, clock, limiter });
    fromMemory = vi.spyOn(waitingRoom, 'statusFromMemory');
    app = createApp({ waitingRoom, origin, logger: silentLogger });
    await waitingRoom.snapshots.refresh();
    const [, queued] = await admittedAndQueued();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await poll(queued)).status);
    // Four polls within the limit (the first through the route, which remembers the ticket), so a fifth is one too many.
    expect(statuses).toEqual([200, 200, 200, 200]);
    fromMemory.mockClear();
    const remembered = await poll(queued);
    expect(fromMemory.mock.results[0]?.value).toBeDefined();
    const routed = await poll(queued, '/_sanh/status?room=main&lang=en');
    const without = async (response: Response) => {
      const { body, ...rest } = await shape(response);
      const parsed = JSON.parse(body) as { error: { requestId?: string } };
      expect(parsed.error.requestId).toMatch(UUID);
      delete parsed.error.requestId;
      return { ...rest, body: parsed };
    };
    const refusal = await without(remembered);
    expect(refusal).toEqual(await without(routed));
    expect(refusal).toMatchObject({ status: 429, headers: { 'sanh-state': 'unavailable', 'sanh-room': 'main' }, body: { error: { code: 'rate_limited' } } });
    expect(Number(remembered.headers.get('retry-after'))).toBeGreaterThan(0);
    // Each refused poll counted once: the minute's count is the polls made, not more.
    const ticket = queued.jar.get('sanh_ticket_main')!.split('.')[1]!;
    const queuedId = (JSON.parse(Buffer.from(ticket, 'base64url').toString()) as { v: string }).v;
    expect((await limiter.peek('status', config.rooms[0]!, queuedId)).taken).toBe(6);
  });

  it("keeps the caller's request id and makes one otherwise, as the routed answers do", async () => {
    const [, queued] = await admittedAndQueued();
    await poll(queued);
    fromMemory.mockClear();
    expect((await poll(queued, undefined, { 'sanh-request-id': 'trace-42' })).headers.get('sanh-request-id')).toBe('trace-42');
    expect((await poll(queued, undefined, { 'sanh-request-id': 'not ok!' })).headers.get('sanh-request-id')).toMatch(UUID);
    expect(fromMemory.mock.results.every((r) => r.value !== undefined)).toBe(true);
    expect((await app.request('/_sanh/health', { headers: { 'sanh-request-id': 'trace-43' } })).headers.get('sanh-request-id')).toBe('trace-43');
  });

  it('leaves every other request to the routes', async () => {
    const [, queued] = await admittedAndQueued();
    await poll(queued);
    fromMemory.mockClear();
    expect((await poll(queued, '/_sanh/status?room=main&lang=en')).status).toBe(200);
    expect((await poll(queued, '/_sanh/status?room=m%61in')).status).toBe(200);
    expect((await poll(queued, '/_sanh/status')).status).toBe(200);
    expect((await poll(queued, '/_sanh/status?room=nope')).status).toBe(404);
    expect((await poll(queued, '/_sanh/status/?room=main')).status).toBe(404);
    expect((await queued.request('/_sanh/status?room=main', { method: 'POST', headers: { accept: 'application/json' } })).status).toBe(404);
    expect(fromMemory.mock.results.every((r) => r.value === undefined)).toBe(true);
    const head = await queued.request('/_sanh/status?room=main', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('sanh-state')).toBe('queued');
  });

  it('leaves forged and revoked tokens to the route, which turns them away', async () => {
    const [admitted, queued] = await admittedAndQueued();
    await poll(queued);
    await poll(admitted);
    const [keyId, body, signature] = queued.jar.get('sanh_ticket_main')!.split('.') as [string, string, string];
    const otherBody = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), n: 0 })).toString('base64url');
    // The first character of the signature is tampered with: the last one's low bits are padding, which decoders may ignore.
    const tampered = `${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    for (const forgery of [`${keyId}.${body}.${tampered}`, `${keyId}.${otherBody}.${signature}`]) {
      const stranger = visitor();
      stranger.jar.set('sanh_ticket_main', forgery);
      fromMemory.mockClear();
      const answer = await poll(stranger);
      expect(fromMemory.mock.results[0]?.value).toBeUndefined();
      expect(await answer.json()).toMatchObject({ state: 'none' });
      expect(answer.headers.getSetCookie().join()).toContain('sanh_ticket_main=;');
    }
    await waitingRoom.activity.end('main', visitorId(admitted));
    const revoked = await poll(admitted);
    expect(await revoked.json()).toMatchObject({ state: 'none' });
    expect(revoked.headers.getSetCookie().join()).toContain('sanh_pass_main=;');
  });
});

/** The visitor id inside a visitor's pass cookie. */
function visitorId(v: Visitor): string {
  const body = v.jar.get('sanh_pass_main')!.split('.')[1]!;
  return (JSON.parse(Buffer.from(body, 'base64url').toString()) as { v: string }).v;
}

describe('createApp: request ids', () => {
  const failing: OriginClient = {
    forward: async (request) => {
      if (request.pathAndQuery.endsWith('/down')) throw new SanhError('origin_unreachable', 'The portal could not be reached.', { retryAfterSeconds: 10 });
      return new Response('from the origin');
    },
    close: async () => undefined,
  };

  async function app() {
    const config = parseConfig({ rooms: [{ id: 'main', match: ['/apply'], maxActive: 10, admitPerMinute: 60 }] });
    const waitingRoom = createWaitingRoom({ rooms: config.rooms, store: createMemoryWaitingRoomStore(), keyRing: KEYS });
    await waitingRoom.snapshots.refresh();
    return createApp({ waitingRoom, origin: failing, logger: silentLogger });
  }

  it("marks Sảnh's own answers and every error, keeping a caller's id", async () => {
    const sanh = await app();
    for (const path of ['/_sanh/health', '/_sanh/ready', '/_sanh/status?room=main', '/_sanh', '/_sanh/nope']) {
      const answer = await sanh.request(path, { headers: { accept: 'application/json' } });
      expect(answer.headers.get('sanh-request-id'), path).toMatch(UUID);
      expect((await sanh.request(path, { headers: { 'sanh-request-id': 'trace-1' } })).headers.get('sanh-request-id'), path).toBe('trace-1');
    }
    for (const path of ['/down', '/apply/down']) {
      const failed = await sanh.request(path, { headers: { accept: 'application/json', 'sanh-request-id': 'trace-2' } });
      expect(failed.status).toBe(502);
      expect(failed.headers.get('sanh-request-id')).toBe('trace-2');
      expect(await failed.json()).toMatchObject({ error: { code: 'origin_unreachable', requestId: 'trace-2' } });
      const page = await sanh.request(path);
      expect(page.headers.get('sanh-request-id')).toMatch(UUID);
      expect(await page.text()).toContain(page.headers.get('sanh-request-id'));
    }
  });

  it("leaves the origin's answers and the gate's own as they are", async () => {
    const sanh = await app();
    for (const path of ['/elsewhere', '/apply']) {
      const answer = await sanh.request(path);
      expect(await answer.text()).toBe('from the origin');
      expect(answer.headers.has('sanh-request-id')).toBe(false);
    }
  });
});
