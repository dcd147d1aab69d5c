import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminSanh } from '../helpers/admin-sanh.js';
import { parseConfig } from '../../src/config/load.js';
import { startDemoPortal, type RunningDemoPortal } from '../../src/demo-portal/server.js';
import type { NodeSanh } from '../../src/entry/node-server.js';
import { uniquePrefix } from '../helpers/redis.js';
import { Visitor, overHttp } from '../helpers/visitor.js';

const OPERATE = 'o'.repeat(32);
const READ = 'r'.repeat(32);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs: number): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (ok(value)) return { value, ms: Date.now() - started };
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await sleep(25);
  }
}

/** Live room settings through the admin API: validated, stored in Redis, followed by every instance within a second, kept across restarts, audited. */
describe('live room settings on two instances sharing Redis', () => {
  let portal: RunningDemoPortal;
  const running: NodeSanh[] = [];
  const keyPrefix = uniquePrefix('live');
  const config = () => parseConfig({ rooms: [{ id: 'main', match: ['/'], maxActive: 1, admitPerMinute: 600 }], snapshotIntervalMs: 100, redis: { keyPrefix } });
  async function instance(): Promise<NodeSanh> {
    const sanh = await startAdminSanh({ config: config(), originUrl: portal.url, tokens: `ops:operate:${OPERATE},viewer:read:${READ}` });
    running.push(sanh);
    return sanh;
  }
  const admin = (sanh: NodeSanh, path: string, token: string, init: RequestInit = {}) =>
    fetch(`${sanh.adminUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  const maxActiveOn = async (sanh: NodeSanh) =>
    ((await (await admin(sanh, '/api/rooms/main', READ)).json()) as { limits: { maxActive: number } }).limits.maxActive;

  beforeAll(async () => {
    portal = await startDemoPortal({ port: 0, serviceMs: 1 });
  });
  afterAll(async () => {
    for (const sanh of running) await sanh.close().catch(() => undefined);
    await portal.close();
  });

  it('takes a change on one instance, and the other follows within a second, on the public side too', async () => {
    const [a, b] = [await instance(), await instance()];
    const first = new Visitor(overHttp(a.url));
    const second = new Visitor(overHttp(b.url));
    expect((await first.page('/apply')).headers.get('sanh-state')).toBe('admitted');
    expect((await second.page('/apply')).headers.get('sanh-state')).toBe('queued');

    const changed = await admin(a, '/api/rooms/main/settings', OPERATE, { method: 'PATCH', body: JSON.stringify({ maxActive: 2 }) });
    expect(changed.status).toBe(200);
    expect(await changed.json()).toMatchObject({ room: 'main', file: { maxActive: 1 }, overrides: { maxActive: 2 }, effective: { maxActive: 2 } });
    const followed = await until(
      () => maxActiveOn(b),
      (value) => value === 2,
      1_000,
    );
    expect(followed.ms).toBeLessThan(1_000);
    await until(
      async () => (await second.page('/apply')).headers.get('sanh-state'),
      (state) => state === 'admitted',
      5_000,
    );

    const paused = await admin(b, '/api/rooms/main/pause', OPERATE, {
      method: 'POST',
      body: JSON.stringify({ message: { vi: 'Tạm dừng để bảo trì.', en: 'Paused for maintenance.' } }),
    });
    expect(paused.status).toBe(200);
    const newcomer = new Visitor(overHttp(a.url));
    const seen = await until(
      async () => (await newcomer.page('/apply?lang=en')).headers.get('sanh-state'),
      (state) => state === 'paused',
      1_000,
    );
    expect(seen.ms).toBeLessThan(1_000);
    expect(await (await newcomer.page('/apply?lang=en')).text()).toContain('Paused for maintenance.');
    expect((await admin(a, '/api/rooms/main/resume', OPERATE, { method: 'POST' })).status).toBe(200);
  });

  it('refuses a bad change, naming each field, and changes nothing', async () => {
    const a = running[0] as NodeSanh;
    const refused = await admin(a, '/api/rooms/main/settings', OPERATE, {
      method: 'PATCH',
      body: JSON.stringify({ maxActive: 0, mode: 'sleepy', match: ['/x'] }),
    });
    expect(refused.status).toBe(422);
    const body = (await refused.json()) as { error: { code: string }; problems: string[] };
    expect(body.error.code).toBe('invalid_settings');
    expect(body.problems.map((p) => p.split(':')[0])).toEqual(expect.arrayContaining(['maxActive', 'mode', '(body)']));
    expect(await maxActiveOn(a)).toBe(2);
    expect((await admin(a, '/api/rooms/main/settings', READ, { method: 'PATCH', body: '{"maxActive":3}' })).status).toBe(403);
    expect((await admin(a, '/api/rooms/main/settings', OPERATE, { method: 'PATCH', body: 'not json' })).status).toBe(400);
    expect((await admin(a, '/api/rooms/nope/settings', OPERATE, { method: 'PATCH', body: '{}' })).status).toBe(404);
  });

  it('records who changed what, before and after', async () => {
    const entries = (
      (await (await admin(running[1] as NodeSanh, '/api/audit', READ)).json()) as {
        entries: { by: string; action: string; room: string; before: { maxActive: number; mode: string }; after: { maxActive: number; mode: string } }[];
      }
    ).entries;
    expect(entries.map((e) => e.action)).toEqual(['resume', 'pause', 'settings']);
    expect(entries[2]).toMatchObject({ by: 'ops', room: 'main', before: { maxActive: 1 }, after: { maxActive: 2 } });
    expect(entries[1]).toMatchObject({ before: { mode: 'open' }, after: { mode: 'paused' } });
  });

  it('keeps the changes across a restart, and goes back to the file on reset', async () => {
    for (const sanh of running.splice(0)) await sanh.close();
    const c = await instance();
    expect(await maxActiveOn(c)).toBe(2);
    const reset = await admin(c, '/api/rooms/main/settings', OPERATE, { method: 'DELETE' });
    expect(await reset.json()).toMatchObject({ overrides: {}, effective: { maxActive: 1, mode: 'open' } });
    expect(await maxActiveOn(c)).toBe(1);
  });

  it('loses neither of two changes made at once on two instances', async () => {
    const [c, d] = [running[0] as NodeSanh, await instance()];
    const [one, two] = await Promise.all([
      admin(c, '/api/rooms/main/settings', OPERATE, { method: 'PATCH', body: JSON.stringify({ maxActive: 7 }) }),
      admin(d, '/api/rooms/main/settings', OPERATE, { method: 'PATCH', body: JSON.stringify({ noShowSeconds: 30 }) }),
    ]);
    expect([one.status, two.status]).toEqual([200, 200]);
    for (const sanh of [c, d]) {
      await until(
        async () => ((await (await admin(sanh, '/api/rooms/main/settings', READ)).json()) as { overrides: Record<string, unknown> }).overrides,
        (o) => o.maxActive === 7 && o.noShowSeconds === 30,
        1_500,
      );
    }
  });
});
