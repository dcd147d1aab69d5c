import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminSanh } from '../helpers/admin-sanh.js';
import { parseConfig } from '../../src/config/load.js';
import type { NodeSanh } from '../../src/entry/node-server.js';
import { uniquePrefix } from '../helpers/redis.js';
import { startTestOrigin, type TestOrigin } from '../helpers/test-origin.js';
import { Visitor, overHttp } from '../helpers/visitor.js';

const OPERATE = 'o'.repeat(32);
const READ = 'r'.repeat(32);
const SECRET = 'desk-secret-0123456789-abcd';

/** Staff passes and live events and bypass rules, through the admin API of a real Sảnh on Redis, seen on its public side. */
describe('operators: staff passes, events and bypass rules changed live', () => {
  let sanh: NodeSanh;
  let portal: TestOrigin;
  const admin = (path: string, token: string, init: RequestInit = {}) =>
    fetch(`${sanh.adminUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  const patch = (body: unknown) => admin('/api/rooms/main/settings', OPERATE, { method: 'PATCH', body: JSON.stringify(body) });
  const visitor = () => new Visitor(overHttp(sanh.url));
  const audit = async () =>
    ((await (await admin('/api/audit', READ)).json()) as { entries: { action: string; by: string; room: string; after: Record<string, unknown> }[] }).entries;

  beforeAll(async () => {
    portal = await startTestOrigin();
    sanh = await startAdminSanh({
      config: parseConfig({
        rooms: [{ id: 'main', match: ['/'], maxActive: 1, admitPerMinute: 600 }],
        snapshotIntervalMs: 100,
        redis: { keyPrefix: uniquePrefix('operators') },
      }),
      originUrl: portal.url,
      tokens: `ops:operate:${OPERATE},viewer:read:${READ}`,
    });
    expect((await visitor().page('/apply')).headers.get('sanh-state')).toBe('admitted');
    expect((await visitor().page('/apply')).headers.get('sanh-state')).toBe('queued');
  });
  afterAll(async () => {
    await sanh?.close();
    await portal?.close();
  });

  it('issues a staff pass that skips the full room by header and by link, audited without the token', async () => {
    expect((await admin('/api/rooms/main/passes', READ, { method: 'POST', body: '{}' })).status).toBe(403);
    expect((await admin('/api/rooms/nope/passes', OPERATE, { method: 'POST', body: '{}' })).status).toBe(404);
    const refused = await admin('/api/rooms/main/passes', OPERATE, { method: 'POST', body: JSON.stringify({ ttl: '8d', note: 'x'.repeat(201), extra: 1 }) });
    expect(refused.status).toBe(400);
    const problems = ((await refused.json()) as { problems: string[] }).problems;
    expect(problems.map((p) => p.split(':')[0])).toEqual(expect.arrayContaining(['ttl', 'note', '(body)']));

    const answer = await admin('/api/rooms/main/passes', OPERATE, { method: 'POST', body: JSON.stringify({ ttl: '2h', note: 'Chị Lan, bộ phận một cửa' }) });
    expect(answer.status).toBe(201);
    const issued = (await answer.json()) as { pass: string; url: string; expiresAt: string; room: string; id: string };
    expect(issued.room).toBe('main');
    expect(Date.parse(issued.expiresAt) - Date.now()).toBeGreaterThan(7_100_000);
    expect(Date.parse(issued.expiresAt) - Date.now()).toBeLessThanOrEqual(7_200_000);
    expect(issued.url).toBe(`/?sanh_pass=${encodeURIComponent(issued.pass)}`);

    const byHeader = await visitor().page('/apply', { 'sanh-bypass': issued.pass });
    expect(byHeader.status).not.toBe(503);
    expect(byHeader.headers.get('sanh-state')).toBe('bypass');
    const staff = visitor();
    const link = await staff.page(issued.url);
    expect(link.status).toBe(302);
    expect(link.headers.get('location')).toBe('/');
    expect(staff.jar.get('sanh_bypass')).toBe(issued.pass);
    expect((await staff.page('/apply')).headers.get('sanh-state')).toBe('bypass');
    const forged = visitor();
    const dropped = await forged.page(`/apply?sanh_pass=${issued.pass}x`);
    expect([dropped.status, dropped.headers.get('location'), dropped.headers.get('sanh-state')]).toEqual([302, '/apply', null]);
    expect((await forged.page('/apply')).headers.get('sanh-state')).toBe('queued');

    const [entry] = await audit();
    expect(entry).toMatchObject({
      action: 'pass',
      by: 'ops',
      room: 'main',
      after: { pass: issued.id, note: 'Chị Lan, bộ phận một cửa', expiresAt: issued.expiresAt },
    });
    expect(JSON.stringify(await audit())).not.toContain(issued.pass.split('.')[2]);

    const revoked = await admin(`/api/rooms/main/passes/${issued.id}`, OPERATE, { method: 'DELETE' });
    expect(await revoked.json()).toEqual({ room: 'main', id: issued.id, revoked: true });
    expect((await visitor().page('/apply', { 'sanh-bypass': issued.pass })).headers.get('sanh-state')).toBe('queued');
    expect((await staff.page('/apply')).headers.get('sanh-state')).toBe('queued');
    expect((await admin(`/api/rooms/main/passes/${issued.id}`, OPERATE, { method: 'DELETE' })).status).toBe(200);
    expect((await admin('/api/rooms/main/settings', OPERATE, { method: 'DELETE' })).status).toBe(200);
    expect((await visitor().page('/apply', { 'sanh-bypass': issued.pass })).headers.get('sanh-state')).toBe('queued');
    expect((await audit()).filter((e) => e.action === 'revoke-pass')).toHaveLength(1);
    expect((await admin('/api/rooms/main/passes/not%20an%20id', OPERATE, { method: 'DELETE' })).status).toBe(400);
  });

  it('takes an event live: newcomers get the pre-queue page; overlapping events are refused with the problem named', async () => {
    const soon = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();
    const event = { id: 'enrol', preQueueFrom: soon(-5), opensAt: soon(60), closesAt: soon(120) };
    const overlapping = await patch({ events: [event, { id: 'again', opensAt: soon(90) }] });
    expect(overlapping.status).toBe(422);
    expect(((await overlapping.json()) as { problems: string[] }).problems).toEqual(['events.1: overlaps events[0]']);
    const bad = await patch({ events: [{ id: 'late', opensAt: soon(60), closesAt: soon(30) }] });
    expect(((await bad.json()) as { problems: string[] }).problems).toEqual(['events.0.closesAt: must be after opensAt']);
    expect((await patch({ events: [event] })).status).toBe(200);
    const countdown = await visitor().page('/apply');
    expect(countdown.status).toBe(503);
    expect(countdown.headers.get('sanh-state')).toBe('prequeue');
    expect((await patch({ events: null })).status).toBe(200);
    expect((await visitor().page('/apply')).headers.get('sanh-state')).toBe('queued');
  });

  it('takes bypass rules live, never shows or audits their secrets, and keeps them when a change leaves them out', async () => {
    expect((await visitor().page('/help')).headers.get('sanh-state')).toBe('queued');
    expect((await patch({ bypass: { paths: ['/help'], secrets: [SECRET] } })).status).toBe(200);
    expect((await visitor().page('/help/faq')).headers.get('sanh-state')).toBe('bypass');
    expect((await visitor().page('/apply', { 'sanh-bypass': SECRET })).headers.get('sanh-state')).toBe('bypass');

    const changed = await patch({ bypass: { paths: ['/guide'] } });
    const view = JSON.stringify(await changed.json());
    expect(view).not.toContain(SECRET);
    expect(view).toContain('••••abcd');
    expect((await visitor().page('/help')).headers.get('sanh-state')).toBe('queued');
    expect((await visitor().page('/guide')).headers.get('sanh-state')).toBe('bypass');
    expect((await visitor().page('/apply', { 'sanh-bypass': SECRET })).headers.get('sanh-state')).toBe('bypass');
    const settings = JSON.stringify(await (await admin('/api/rooms/main/settings', READ)).json());
    expect(settings).not.toContain(SECRET);
    expect(JSON.stringify(await audit())).not.toContain(SECRET);

    expect((await patch({ bypass: { paths: ['/guide'], secrets: [] } })).status).toBe(200);
    expect((await visitor().page('/apply', { 'sanh-bypass': SECRET })).headers.get('sanh-state')).toBe('queued');
    expect((await patch({ bypass: null })).status).toBe(200);
    expect((await visitor().page('/guide')).headers.get('sanh-state')).toBe('queued');
  });
});
