/**
 * A Sentinel failover mid-load (see `tests/helpers/failover.ts`): nothing acknowledged is lost,
 * admitted visitors never notice, queued visitors keep their places, and joins, saves and
 * submissions come back within the sentinels' failover time plus 5 s. The figures are written
 * to `test-results/failover.json`; `npm run bench -- failover` reports the same run.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { startDemoPortal } from '../../src/demo-portal/server.js';
import type { NodeSanh } from '../../src/entry/node-server.js';
import { startAdminSanh } from '../helpers/admin-sanh.js';
import { runFailover } from '../helpers/failover.js';
import { uniquePrefix } from '../helpers/redis.js';
import { startRedisSentinel } from '../helpers/redis-topologies.js';
import { until } from '../helpers/until.js';

describe('a Sentinel failover under load, two Sảnh instances', () => {
  it('refuses no admitted visitor, loses no place and no acknowledged submission, and recovers within failover + 5 s', async () => {
    const { figures, notes } = await runFailover({ progress: (line) => console.log(line) });
    await mkdir(new URL('../../test-results/', import.meta.url), { recursive: true });
    await writeFile(new URL('../../test-results/failover.json', import.meta.url), `${JSON.stringify({ figures, notes }, null, 2)}\n`);

    expect(figures.admitted_requests).toBeGreaterThan(50);
    expect(figures.submissions_acknowledged).toBeGreaterThan(20);
    expect(figures.joins).toBeGreaterThan(20);
    expect(figures).toMatchObject({
      admitted_refused: 0,
      queue_positions_lost: 0,
      queue_positions_reordered: 0,
      queued_never_admitted: 0,
      undocumented_5xx: 0,
      unanswered_requests: 0,
      acknowledged_submissions_lost: 0,
      duplicate_filings: 0,
    });
    // Delivery is at least once with one Idempotency-Key: a request sent again counts here, and never files twice (above).
    expect(figures.duplicate_deliveries).toBeLessThanOrEqual(1);
    const bound = figures.failover_seconds + 5;
    for (const recovered of [figures.joins_recovered_seconds, figures.saves_recovered_seconds]) {
      expect(recovered).toBeGreaterThanOrEqual(0);
      expect(recovered).toBeLessThanOrEqual(bound);
    }
    expect(figures.submissions_recovered_seconds).toBeGreaterThanOrEqual(0);
  }, 120_000);
});

describe('live settings across a Sentinel failover', () => {
  it('still reach the other instance once the replica is promoted (version polling survives), once b has reconnected', async () => {
    const OPERATE = 'o'.repeat(32);
    const sentinel = await startRedisSentinel();
    const portal = await startDemoPortal({ port: 0, serviceMs: 1 });
    const running: NodeSanh[] = [];
    try {
      const config = parseConfig({
        rooms: [{ id: 'main', match: ['/'], maxActive: 1, admitPerMinute: 600 }],
        snapshotIntervalMs: 100,
        redis: { keyPrefix: uniquePrefix('live-failover') },
      });
      for (let i = 0; i < 2; i++) running.push(await startAdminSanh({ config, originUrl: portal.url, tokens: `ops:operate:${OPERATE}`, redis: sentinel.url }));
      const [a, b] = running as [NodeSanh, NodeSanh];
      const admin = (sanh: NodeSanh, path: string, init: RequestInit = {}) =>
        fetch(`${sanh.adminUrl}${path}`, { ...init, headers: { authorization: `Bearer ${OPERATE}`, 'content-type': 'application/json' } });
      const maxActiveOn = async (sanh: NodeSanh) =>
        ((await (await admin(sanh, '/api/rooms/main')).json()) as { limits: { maxActive: number } }).limits.maxActive;
      const change = (maxActive: number) => admin(a, '/api/rooms/main/settings', { method: 'PATCH', body: JSON.stringify({ maxActive }) });

      expect((await change(2)).status).toBe(200);
      await until(async () => (await maxActiveOn(b)) === 2, { what: 'b to follow before the failover', ms: 1_000 });

      const primary = await sentinel.primaryNode();
      const oldPort = primary.port;
      await primary.kill();
      await until(async () => (await sentinel.primaryPort()) !== oldPort, { what: 'the sentinels to promote the replica', ms: 30_000, everyMs: 50 });
      let answer = await change(3);
      await until(
        async () => {
          if (answer.status === 200) return true;
          expect(answer.status).toBe(503);
          answer = await change(3);
          return answer.status === 200;
        },
        { what: 'a change to be stored on the new primary', ms: 10_000, everyMs: 100 },
      );
      // b may still be reconnecting (its back-off reaches 2 s, and a sentinel may name the old primary a little longer).
      const changedAt = performance.now();
      await until(async () => (await maxActiveOn(b)) === 3, { what: 'b to follow after the failover', ms: 3_000 });
      expect(performance.now() - changedAt).toBeLessThan(3_000);
    } finally {
      for (const sanh of running) await sanh.close().catch(() => undefined);
      await portal.close();
      await sentinel.stop();
    }
  }, 60_000);
});
