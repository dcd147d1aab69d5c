import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { Visitor, inProcess } from '../../tests/helpers/visitor.js';
import { parseConfig } from '../config/load.js';
import { manualClock } from '../platform/clock.js';
import { errorMapper, type SanhEnv } from '../platform/http.js';
import { parseKeyRing } from '../platform/keyring.js';
import { silentLogger } from '../platform/logger.js';
import { createWaitingRoom } from './index.js';
import { createMemoryWaitingRoomStore } from './memory-store.js';
import { createStaffPasses } from './staff-pass.js';
import { createWaitingRoomTokens } from './tokens.js';

const KEYS = parseKeyRing(`k1:${'p'.repeat(40)}`);
const T0 = Date.UTC(2026, 11, 1, 0, 0, 0);

function setUp() {
  const clock = manualClock(T0);
  const config = parseConfig({
    rooms: [
      { id: 'main', match: ['/'], maxActive: 1, admitPerMinute: 60 },
      { id: 'tax', match: ['/tax'], maxActive: 1, admitPerMinute: 60 },
    ],
  });
  const storeCalls = { count: 0 };
  const memory = createMemoryWaitingRoomStore({ clock });
  const store = new Proxy(memory, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        storeCalls.count += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const waitingRoom = createWaitingRoom({ rooms: config.rooms, store, keyRing: KEYS, clock, logger: silentLogger });
  const app = new Hono<SanhEnv>();
  const originHits: string[] = [];
  app.onError(errorMapper(silentLogger));
  app.use('*', waitingRoom.gate);
  app.all('*', (c) => {
    originHits.push(`${c.req.path}${new URL(c.req.url).search}`);
    return c.text('origin');
  });
  return { clock, waitingRoom, originHits, storeCalls, visitor: () => new Visitor(inProcess(app)) };
}

describe('staff bypass passes', () => {
  it('are signed for one room with an id and an expiry, and nothing else reads as one', async () => {
    const clock = manualClock(T0);
    const passes = createStaffPasses(KEYS, clock);
    const { token, pass } = await passes.issue('main', 3_600);
    expect(pass).toEqual({ room: 'main', id: expect.stringMatching(/^[A-Za-z0-9_-]{12}$/), expiresAt: T0 / 1000 + 3_600 });
    expect(await passes.read(token, { id: 'main' })).toEqual(pass);
    expect(await passes.read(token, { id: 'tax' })).toBeUndefined();
    const signatureAt = token.lastIndexOf('.') + 1;
    const tampered = `${token.slice(0, signatureAt)}${token[signatureAt] === 'A' ? 'B' : 'A'}${token.slice(signatureAt + 1)}`;
    expect(await passes.read(tampered, { id: 'main' })).toBeUndefined();
    expect(await createStaffPasses(parseKeyRing(`k1:${'q'.repeat(40)}`), clock).read(token, { id: 'main' })).toBeUndefined();
    const visitorPass = await createWaitingRoomTokens(KEYS, clock).signPass({ room: 'main', visitor: 'v', expiresAt: T0 / 1000 + 60 });
    expect(await passes.read(visitorPass, { id: 'main' })).toBeUndefined();
    const { token: other } = await passes.issue('main', 3_600);
    const revokedPasses = [{ id: pass.id, until: new Date(T0 + 86_400_000).toISOString() }];
    expect(await passes.read(token, { id: 'main', revokedPasses })).toBeUndefined();
    expect(await passes.read(other, { id: 'main', revokedPasses })).toBeDefined();
    clock.advance(3_600_000);
    expect(await passes.read(token, { id: 'main' })).toBeUndefined();
  });

  it('are revoked in the live settings only, never in the config file', () => {
    expect(() =>
      parseConfig({ rooms: [{ id: 'main', match: ['/'], maxActive: 1, admitPerMinute: 60, revokedPasses: [{ id: 'abc', until: '2026-12-01T00:00:00Z' }] }] }),
    ).toThrow(/revokedPasses: is kept by Sảnh in the live settings/);
  });

  it('let their holder skip a full room by header or cookie, counted as bypasses, with no store round trip', async () => {
    const { waitingRoom, visitor, storeCalls } = setUp();
    const { token } = await waitingRoom.staffPasses.issue('main', 600);
    await visitor().page('/apply');
    expect((await visitor().page('/apply')).headers.get('sanh-state')).toBe('queued');
    const callsBefore = storeCalls.count;
    const byHeader = await visitor().page('/apply', { 'sanh-bypass': token });
    expect(byHeader.status).toBe(200);
    expect(byHeader.headers.get('sanh-state')).toBe('bypass');
    expect((await visitor().page('/apply', { cookie: `sanh_bypass=${token}` })).headers.get('sanh-state')).toBe('bypass');
    expect(waitingRoom.counters.bypass.get('main')).toBe(2);
    expect(storeCalls.count).toBe(callsBefore);
  });

  it("do not let expired, forged or other rooms' passes skip the line", async () => {
    const { clock, waitingRoom, visitor } = setUp();
    const { token } = await waitingRoom.staffPasses.issue('main', 600);
    const { token: taxToken } = await waitingRoom.staffPasses.issue('tax', 600);
    await visitor().page('/apply');
    expect((await visitor().page('/apply', { 'sanh-bypass': taxToken })).headers.get('sanh-state')).toBe('queued');
    expect((await visitor().page('/apply', { 'sanh-bypass': `${token}x` })).headers.get('sanh-state')).toBe('queued');
    clock.advance(601_000);
    expect((await visitor().page('/apply', { 'sanh-bypass': token })).headers.get('sanh-state')).toBe('queued');
    expect(waitingRoom.counters.bypass.get('main')).toBeUndefined();
  });

  it('as a link, set the cookie until the pass expires and redirect to the same URL without the parameter', async () => {
    const { waitingRoom, visitor, originHits } = setUp();
    const { token } = await waitingRoom.staffPasses.issue('main', 7_200);
    await visitor().page('/apply');
    const staff = visitor();
    const link = await staff.page(`/apply/form?step=2&sanh_pass=${encodeURIComponent(token)}`);
    expect(link.status).toBe(302);
    expect(link.headers.get('location')).toBe('/apply/form?step=2');
    expect(link.headers.get('sanh-state')).toBe('bypass');
    const cookie = link.headers.get('set-cookie') ?? '';
    expect(cookie).toContain(`sanh_bypass=${token}`);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Max-Age=7200/);
    expect(cookie).not.toMatch(/Secure/);
    const https = await visitor().page(`/apply?sanh_pass=${token}`, { 'x-forwarded-proto': 'https' });
    expect(https.headers.get('set-cookie')).toMatch(/; Secure/);
    const followed = await staff.page('/apply/form?step=2');
    expect(followed.headers.get('sanh-state')).toBe('bypass');
    expect(originHits).toContain('/apply/form?step=2');
  });

  it('as a bad link (forged, other room, empty), are dropped from the URL and queue like everyone, never reaching the portal', async () => {
    const { waitingRoom, visitor } = setUp();
    const { token: taxToken } = await waitingRoom.staffPasses.issue('tax', 600);
    await visitor().page('/apply');
    for (const bad of ['garbage', '', encodeURIComponent(taxToken), '%E0%A4%A']) {
      const someone = visitor();
      const link = await someone.page(`/apply?step=2&sanh_pass=${bad}`);
      expect(link.status, bad).toBe(302);
      expect(link.headers.get('location')).toBe('/apply?step=2');
      expect(link.headers.get('set-cookie')).toBeNull();
      const answer = await someone.page('/apply?step=2');
      expect(answer.status, bad).toBe(503);
      expect(answer.headers.get('sanh-state')).toBe('queued');
    }
  });
});
