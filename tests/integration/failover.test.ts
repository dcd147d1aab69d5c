/**
 * A Sentinel failover mid-load (see `tests/helpers/failover.ts`): nothing acknowledged is lost,
 * admitted visitors never notice, queued visitors keep their places, and joins, saves and
 * submissions come back within the sentinels' failover time plus 5 s. The figures are written
 * to `test-results/failover.json`; `npm run bench -- failover` reports the same run.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { runFailover } from '../helpers/failover.js';

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
      acknowledged_submissions_lost: 0,
      duplicate_deliveries: 0,
    });
    const bound = figures.failover_seconds + 5;
    for (const recovered of [figures.joins_recovered_seconds, figures.saves_recovered_seconds]) {
      expect(recovered).toBeGreaterThanOrEqual(0);
      expect(recovered).toBeLessThanOrEqual(bound);
    }
    expect(figures.submissions_recovered_seconds).toBeGreaterThanOrEqual(0);
  }, 120_000);
});
