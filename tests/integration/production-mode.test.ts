import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/redis-server.js';
import { EntryProcess, type LogLine } from '../helpers/sanh-entry.js';

const SECRETS = `k1:${'m'.repeat(40)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function parsedAll(lines: readonly string[]): LogLine[] {
  return lines.map((line) => {
    expect(() => JSON.parse(line), `not a JSON line: ${line}`).not.toThrow();
    return JSON.parse(line) as LogLine;
  });
}

async function live(port: number, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${port}/_sanh/live`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error('never live');
}

/** NODE_ENV=production, LOG_LEVEL and what the real Node entry writes on stdout and stderr. */
describe('the Node entry in production mode', () => {
  let portal: Server;
  let originUrl: string;
  const entries: EntryProcess[] = [];
  const entry = (env: NodeJS.ProcessEnv) => {
    const started = new EntryProcess({ PORT: '0', HOST: '127.0.0.1', ...env });
    entries.push(started);
    return started;
  };

  beforeAll(async () => {
    portal = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('portal'));
    await new Promise<void>((resolve) => portal.listen(0, '127.0.0.1', resolve));
    originUrl = `http://127.0.0.1:${(portal.address() as AddressInfo).port}`;
  });
  afterEach(() => {
    for (const started of entries.splice(0)) started.kill();
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (portal ? portal.close(() => resolve()) : resolve()));
  });

  it('refuses to start without ORIGIN_URL and SANH_SECRETS: exit 1, one JSON line naming both', async () => {
    const refused = entry({ NODE_ENV: 'production' });
    expect(await refused.exited).toMatchObject({ code: 1, signal: null });
    expect(refused.stdout).toEqual([]);
    const lines = parsedAll(refused.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', missing: 'ORIGIN_URL,SANH_SECRETS' });
    expect(lines[0]?.message).toContain('ORIGIN_URL');
    expect(lines[0]?.message).toContain('SANH_SECRETS');

    const noSecrets = entry({ NODE_ENV: 'production', ORIGIN_URL: originUrl });
    expect((await noSecrets.exited).code).toBe(1);
    const [only] = parsedAll(noSecrets.stderr);
    expect(only?.message).toContain('SANH_SECRETS');
    expect(only?.message).not.toContain('ORIGIN_URL');
  });

  it('starts without REDIS_URL with a loud warn line about the in-memory store, nothing but JSON on either stream, and exits 0 on SIGTERM', async () => {
    const running = entry({ NODE_ENV: 'production', ORIGIN_URL: originUrl, SANH_SECRETS: SECRETS, SANH_DRAIN_SECONDS: '2' });
    const url = await running.ready();
    expect(await (await fetch(`${url}/`)).text()).toBe('portal');
    running.child.kill('SIGTERM');
    expect(await running.exited).toMatchObject({ code: 0, signal: null });
    const out = parsedAll(running.stdout);
    const err = parsedAll(running.stderr);
    expect(out.every((line) => line.level === 'info')).toBe(true);
    expect(out.find((line) => line.message === 'Sảnh is ready')).toMatchObject({ mode: 'production', store: 'memory' });
    const memory = err.find((line) => line.store === 'memory');
    expect(memory).toMatchObject({ level: 'warn' });
    expect(memory?.message).toMatch(/^PRODUCTION ON THE IN-MEMORY STORE/);
    expect(memory?.message).toContain('REDIS_URL');
    expect(running.stderr.join('\n')).not.toContain('Sảnh is listening');
  });

  it('in development keeps stdout pure JSON too: the human banners go to stderr, beside JSON warn lines', async () => {
    const running = entry({});
    const url = await running.ready();
    expect((await fetch(`${url}/_sanh/live`)).status).toBe(200);
    running.child.kill('SIGTERM');
    expect((await running.exited).code).toBe(0);
    parsedAll(running.stdout);
    const stderr = running.stderr.join('\n');
    expect(stderr).toContain('Sảnh is listening: open');
    expect(stderr).toContain('WARNING: SANH_SECRETS is not set');
    const warnings = running.stderr.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogLine);
    expect(warnings.find((line) => String(line.message).startsWith('SANH_SECRETS is not set'))).toMatchObject({ level: 'warn' });
    expect(running.logs().find((line) => line.message === 'Sảnh is ready')).toMatchObject({ mode: 'development' });
  });

  it('LOG_LEVEL=warn hides info lines', async () => {
    const port = await freePort();
    const quiet = entry({
      NODE_ENV: 'production',
      ORIGIN_URL: originUrl,
      SANH_SECRETS: SECRETS,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      SANH_DRAIN_SECONDS: '1',
    });
    await live(port);
    quiet.child.kill('SIGTERM');
    expect((await quiet.exited).code).toBe(0);
    expect(quiet.stdout).toEqual([]);
    const lines = parsedAll(quiet.stderr);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((line) => line.level === 'warn' || line.level === 'error')).toBe(true);
    expect(lines.some((line) => line.store === 'memory')).toBe(true);
  });

  it('refuses a LOG_LEVEL or SANH_DRAIN_SECONDS it cannot read, naming it', async () => {
    const cases: [NodeJS.ProcessEnv, string][] = [
      [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
      [{ SANH_DRAIN_SECONDS: 'soon' }, 'SANH_DRAIN_SECONDS'],
      [{ SANH_DRAIN_SECONDS: '-1' }, 'SANH_DRAIN_SECONDS'],
    ];
    const started = cases.map(([env]) => entry({ NODE_ENV: 'production', ORIGIN_URL: originUrl, SANH_SECRETS: SECRETS, ...env }));
    for (const [i, [, name]] of cases.entries()) {
      const refused = started[i] as EntryProcess;
      expect((await refused.exited).code).toBe(1);
      const [line] = parsedAll(refused.stderr);
      expect(line).toMatchObject({ level: 'error' });
      expect(line?.message).toContain(name);
      expect(refused.stdout).toEqual([]);
    }
  });
});
