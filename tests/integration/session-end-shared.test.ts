import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { childEnv } from '../helpers/child-env.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { uniquePrefix } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

const SECRETS = `k1:${'e'.repeat(40)}`;
const CHILD = fileURLToPath(new URL('../helpers/sanh-child.ts', import.meta.url));

/** A portal: `POST /submit` ends the session (`Sanh-Session: end`, as after a final submission); everything else answers `portal`. */
async function startPortal() {
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      if (request.method === 'POST' && request.url === '/submit') response.writeHead(200, { 'content-type': 'text/plain', 'sanh-session': 'end' }).end('filed');
      else response.writeHead(200, { 'content-type': 'text/plain' }).end('portal');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** One real Sảnh process (`sanh-child.ts`) on the Redis; resolves with its URL once it listens. */
function startSanh(options: unknown, children: ChildProcess[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'], env: childEnv() });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = /ready (\S+)/.exec(out);
      if (match?.[1]) resolve({ url: match[1].replace('localhost', '127.0.0.1'), child });
    });
    child.once('exit', () => reject(new Error(`sanh-child exited: ${out}`)));
  });
}

const passOf = (response: Response) => (response.headers.getSetCookie().find((cookie) => cookie.startsWith('sanh_pass_main=')) ?? '').split(';')[0] ?? '';

/**
 * Issue 17, finding 12: a pass the portal ended (`Sanh-Session: end`) on one instance must stop
 * working on every instance and after a restart. Two real Sảnh processes on one real
 * redis-server, a room of one slot: once A's visitor has ended their session, someone else takes
 * the slot, and the ended pass brought to B must be queued, not let in.
 */
describe('a session ended on one instance is ended on all (issue 17 #12)', () => {
  let redis: RedisServer;
  let portal: Awaited<ReturnType<typeof startPortal>>;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    redis = await startRedisServer();
    portal = await startPortal();
  });
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  afterAll(async () => {
    await portal?.close();
    await redis?.stop();
  });

  it('B refuses a pass ended on A within 2 s, and so does B restarted', async () => {
    const options = {
      config: {
        rooms: [{ id: 'main', match: ['/'], maxActive: 1, admitPerMinute: 6_000, admitBurst: 10, sessionIdleSeconds: 120 }],
        drafts: { enabled: false },
        snapshotIntervalMs: 100,
        redis: { keyPrefix: uniquePrefix('ended') },
      },
      secrets: SECRETS,
      originUrl: portal.url,
      redisUrl: redis.url,
      drainSeconds: 1,
    };
    const [a, b] = await Promise.all([startSanh(options, children), startSanh(options, children)]);
    const json = { accept: 'application/json' };

    const first = await fetch(`${a.url}/form`, { headers: json });
    expect(first.headers.get('sanh-state')).toBe('admitted');
    const pass = passOf(first);
    expect(pass).toMatch(/^sanh_pass_main=./);
    expect((await fetch(`${b.url}/form`, { headers: { ...json, cookie: pass } })).headers.get('sanh-state')).toBe('admitted');

    const ended = await fetch(`${a.url}/submit`, {
      method: 'POST',
      headers: { ...json, cookie: pass, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'n=1',
    });
    expect(await ended.text()).toBe('filed');
    const endedAt = performance.now();
    expect(ended.headers.getSetCookie().some((cookie) => /^sanh_pass_main=;/.test(cookie))).toBe(true);
    // Someone else takes the freed slot, so a newcomer is queued from now on.
    await until(async () => (await fetch(`${a.url}/other`, { headers: json })).headers.get('sanh-state') === 'admitted', {
      ms: 5_000,
      what: 'the freed slot to be taken',
    });

    let refusedAfterMs = 0;
    await until(
      async () => {
        const answer = await fetch(`${b.url}/form`, { headers: { ...json, cookie: pass } });
        await answer.text();
        refusedAfterMs = performance.now() - endedAt;
        return answer.headers.get('sanh-state') === 'queued';
      },
      { ms: 3_000, everyMs: 50, what: 'B to refuse the ended pass' },
    );

    b.child.kill('SIGTERM');
    await new Promise((resolve) => b.child.once('exit', resolve));
    const restarted = await startSanh(options, children);
    const afterRestart = await fetch(`${restarted.url}/form`, { headers: { ...json, cookie: pass } });
    console.log(
      JSON.stringify({
        test: 'session-end-shared',
        refusedOnOtherInstanceAfterMs: Math.round(refusedAfterMs),
        restartedState: afterRestart.headers.get('sanh-state'),
        restartedStatus: afterRestart.status,
      }),
    );
    expect(refusedAfterMs).toBeLessThan(2_000);
    expect(afterRestart.headers.get('sanh-state')).toBe('queued');
    expect(afterRestart.status).toBe(503);
  }, 60_000);
});
