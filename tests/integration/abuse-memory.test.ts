import { readFile } from 'node:fs/promises';
import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { configFile, EntryProcess } from '../helpers/sanh-entry.js';

const SECRETS = `k1:${'m'.repeat(40)}`;

async function residentMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** Sends `count` status polls, each with a different made-up 4 KB ticket, over 16 keep-alive connections. */
async function junkPolls(pool: Pool, from: number, count: number): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  const pad = 'x'.repeat(4_000);
  let next = from;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < from + count) {
        const i = next++;
        const answer = await pool.request({
          method: 'GET',
          path: '/_sanh/status?room=main',
          headers: { cookie: `sanh_ticket_main=${pad}${i}`, accept: 'application/json' },
        });
        await answer.body.dump();
        statuses.set(answer.statusCode, (statuses.get(answer.statusCode) ?? 0) + 1);
      }
    }),
  );
  return statuses;
}

/**
 * Issue 17 #6: status polls each carrying a different unverified ticket grew the process by
 * 649 MiB in 20 s, since every value became a rate-limiter key. A real Sảnh process, 24,000 such
 * polls of 4 KB each (about 94 MiB of values): the process may not grow by a third of that.
 */
describe('junk ticket cookies', () => {
  const entries: EntryProcess[] = [];
  afterEach(() => {
    for (const entry of entries.splice(0)) entry.kill();
  });

  it('do not grow the process: made-up values are never remembered', async () => {
    const config = await configFile({ rooms: [{ id: 'main', match: ['/'], maxActive: 10, admitPerMinute: 60 }] });
    const entry = new EntryProcess({ PORT: '0', HOST: '127.0.0.1', ORIGIN_URL: 'http://127.0.0.1:9', SANH_CONFIG: config, SANH_SECRETS: SECRETS });
    entries.push(entry);
    const url = (await entry.ready()).replace('localhost', '127.0.0.1');
    const pool = new Pool(url, { connections: 16 });
    const pid = entry.child.pid as number;
    await junkPolls(pool, 0, 4_000);
    const before = await residentMiB(pid);
    const statuses = await junkPolls(pool, 4_000, 24_000);
    const after = await residentMiB(pid);
    await pool.close();
    expect([...statuses.keys()].sort()).toEqual([429]);
    expect(after - before).toBeLessThan(32);
  }, 60_000);
});
