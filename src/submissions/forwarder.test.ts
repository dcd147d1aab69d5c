import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { parseKeyRing } from '../platform/keyring.js';
import type { OriginClient, OriginRequest } from '../proxy/port.js';
import { createForwarder, createOriginHealth, type Forwarder } from './forwarder.js';
import { createMemorySubmissionStore } from './memory-store.js';
import { captureRequest, createSubmissionSealer } from './sealing.js';
import type { SubmissionStore } from './store.js';
import { until } from '../../tests/helpers/until.js';

const KEYS = parseKeyRing(`k1:${'f'.repeat(40)}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const config = parseConfig({
  rooms: [
    {
      id: 'main',
      match: ['/'],
      maxActive: 10,
      admitPerMinute: 60_000,
      submissions: { routes: [{ path: '/apply/submit', applicationNumberHeader: 'x-so-ho-so' }], deliverBurst: 100 },
    },
  ],
});
const room = config.rooms[0]!;
/** The room as a file would say it (without the fields parsing derives), to vary in a test. */
const { admitBurst: _burst, admitBurstDerived: _derived, ...fileRoom } = room;
const route = room.submissions!.routes[0]!;

/** An origin that answers from a script of statuses (the last one repeats) and counts what it is sent. */
function scriptedOrigin(statuses: { status: number; headers?: Record<string, string>; holdMs?: number }[]) {
  const seen: { request: OriginRequest; at: number }[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const origin: OriginClient = {
    async forward(request) {
      seen.push({ request, at: Date.now() });
      const step = statuses[Math.min(seen.length - 1, statuses.length - 1)]!;
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await sleep(step.holdMs ?? 0);
      inFlight -= 1;
      return new Response(`answer ${step.status}`, { status: step.status, headers: { 'content-type': 'text/plain', ...step.headers } });
    },
    close: async () => undefined,
  };
  return { origin, seen, mostInFlight: () => mostInFlight };
}

const sealer = createSubmissionSealer(KEYS);
let counter = 0;
async function put(store: SubmissionStore, body = 'a=1'): Promise<string> {
  counter += 1;
  const token = `t${String(counter).padStart(21, '0')}`;
  const request = captureRequest(
    route,
    {
      method: 'POST',
      path: '/apply/submit',
      headers: new Headers({ 'content-type': 'application/x-www-form-urlencoded', cookie: 'portal=1; sanh_pass_main=x', 'x-other': 'no' }),
      body: new TextEncoder().encode(body),
      forwarding: { clientIp: '203.0.113.9', proto: 'https', host: 'portal.example' },
    },
    `key${counter}`,
  );
  await store.accept('main', {
    token,
    request: await sealer.sealRequest(`main.${token}`, request),
    key: `k${counter}`,
    fingerprint: `f${counter}`,
    keyTtlMs: 60_000,
    ttlMs: 3_600_000,
    deadlineMs: 3_600_000,
  });
  return token;
}

let forwarders: Forwarder[] = [];
afterEach(async () => {
  await Promise.all(forwarders.map((f) => f.stop()));
  forwarders = [];
});

function forwarder(store: SubmissionStore, origin: OriginClient, delivery: Partial<typeof config.submissions.delivery> = {}, rooms = config.rooms) {
  const started = createForwarder({
    rooms,
    config: { ...config.submissions, delivery: { ...config.submissions.delivery, initialBackoff: 0.05, maxBackoff: 0.1, ...delivery } },
    store,
    origin,
    sealer,
    health: createOriginHealth(),
    consumer: 'test',
    idleMs: 10,
  });
  forwarders.push(started);
  started.start();
  return started;
}

describe('the forwarder', () => {
  it("sends what was submitted with the carried headers, its key and receipt, and keeps the portal's answer", async () => {
    const store = createMemorySubmissionStore();
    const token = await put(store, 'fullName=Hoa');
    const portal = scriptedOrigin([{ status: 201, headers: { 'x-so-ho-so': 'HS-7' } }]);
    forwarder(store, portal.origin);
    await until(async () => (await store.receipt('main', token))?.receipt.state === 'delivered');
    const [sent] = portal.seen;
    expect(sent?.request.method).toBe('POST');
    expect(sent?.request.pathAndQuery).toBe('/apply/submit');
    expect(new TextDecoder().decode(sent?.request.body as Uint8Array)).toBe('fullName=Hoa');
    expect(sent?.request.headers.get('idempotency-key')).toBe('"key1"');
    expect(sent?.request.headers.get('sanh-receipt')).toBe(`main.${token}`);
    expect(sent?.request.headers.get('cookie')).toBe('portal=1');
    expect(sent?.request.headers.get('x-other')).toBeNull();
    expect(sent?.request.forwarding).toEqual({ clientIp: '203.0.113.9', proto: 'https', host: 'portal.example' });
    const kept = await store.receipt('main', token);
    expect(kept?.receipt).toMatchObject({ originStatus: 201, applicationNumber: 'HS-7', hasAnswer: true, attempts: 1 });
    const answer = await sealer.openAnswer(`main.${token}`, kept?.answer as string);
    expect(new TextDecoder().decode(answer.body)).toBe('answer 201');
  });

  it("waits for the origin's Retry-After before trying again", async () => {
    const store = createMemorySubmissionStore();
    const token = await put(store);
    const portal = scriptedOrigin([{ status: 503, headers: { 'retry-after': '1' } }, { status: 200 }]);
    forwarder(store, portal.origin);
    await until(async () => (await store.receipt('main', token))?.receipt.state === 'delivered');
    expect(portal.seen).toHaveLength(2);
    expect((portal.seen[1]?.at ?? 0) - (portal.seen[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect((await store.receipt('main', token))?.receipt.attempts).toBe(2);
  });

  it('puts a submission in the dead letters after maxAttempts, and a rejected one at once', async () => {
    const store = createMemorySubmissionStore();
    const failing = await put(store);
    const portal = scriptedOrigin([{ status: 500 }]);
    forwarder(store, portal.origin, { maxAttempts: 3, orderedAttempts: 0 });
    await until(async () => (await store.receipt('main', failing))?.receipt.state === 'failed');
    expect(portal.seen).toHaveLength(3);
    expect((await store.receipt('main', failing))?.receipt).toMatchObject({ failure: 'attempts', problem: 'status 500', originStatus: 500 });
    expect((await store.deadLetters('main', 10)).map((r) => r.id)).toEqual([`main.${failing}`]);
  });

  it('keeps at most `concurrency` deliveries in flight, and stop() waits for them', async () => {
    const store = createMemorySubmissionStore();
    const tokens = [];
    for (let i = 0; i < 6; i++) tokens.push(await put(store));
    const portal = scriptedOrigin([{ status: 200, holdMs: 100 }]);
    const running = forwarder(store, portal.origin, { concurrency: 2 });
    await until(async () => (await store.backlog('main')).waiting === 0 && (await store.backlog('main')).delivering === 0);
    expect(portal.mostInFlight()).toBe(2);
    await put(store);
    await sleep(30);
    await running.stop();
    expect((await store.backlog('main')).delivering).toBe(0);
  });

  it('keeps a redirect the route counts as delivered, and refuses one it does not (a login page after the session expired)', async () => {
    const store = createMemorySubmissionStore();
    const filed = await put(store);
    const portal = scriptedOrigin([{ status: 303, headers: { location: 'http://portal.internal/status/HS-9' } }]);
    forwarder(store, portal.origin);
    await until(async () => (await store.receipt('main', filed))?.receipt.state === 'delivered');
    const answer = await sealer.openAnswer(`main.${filed}`, (await store.receipt('main', filed))?.answer as string);
    expect(answer).toMatchObject({ status: 303, location: 'http://portal.internal/status/HS-9' });
    await forwarders.pop()?.stop();

    const strict = parseConfig({ rooms: [{ ...fileRoom, submissions: { routes: [{ path: '/apply/submit', deliveredStatuses: ['2xx'] }] } }] }).rooms;
    const login = await put(store);
    const toLogin = scriptedOrigin([{ status: 302, headers: { location: '/login' } }]);
    forwarder(store, toLogin.origin, {}, strict);
    await until(async () => (await store.receipt('main', login))?.receipt.state === 'failed');
    expect((await store.receipt('main', login))?.receipt).toMatchObject({ failure: 'rejected', problem: 'status 302', originStatus: 302 });
  });

  it('delivers nothing while the room is paused or closed', async () => {
    for (const mode of ['paused', 'closed'] as const) {
      const store = createMemorySubmissionStore();
      const token = await put(store);
      const portal = scriptedOrigin([{ status: 200 }]);
      const rooms = parseConfig({ rooms: [{ ...fileRoom, mode }] }).rooms;
      const running = forwarder(store, portal.origin, {}, rooms);
      await sleep(200);
      expect(portal.seen).toHaveLength(0);
      expect((await store.receipt('main', token))?.receipt.state).toBe('accepted');
      await running.stop();
    }
  });

  it('sends a submission it cannot open to the dead letters instead of looping on it', async () => {
    const store = createMemorySubmissionStore();
    await store.accept('main', {
      token: 'u'.repeat(22),
      request: 'k1.garbage',
      key: 'kk',
      fingerprint: 'ff',
      keyTtlMs: 60_000,
      ttlMs: 3_600_000,
      deadlineMs: 3_600_000,
    });
    const portal = scriptedOrigin([{ status: 200 }]);
    forwarder(store, portal.origin);
    await until(async () => (await store.receipt('main', 'u'.repeat(22)))?.receipt.state === 'failed');
    expect(portal.seen).toHaveLength(0);
    expect((await store.receipt('main', 'u'.repeat(22)))?.receipt.problem).toBe('unreadable');
  });
});
