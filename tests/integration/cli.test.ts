import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisSubmissionStore } from '../../src/submissions/redis-store.js';
import type { SubmissionStore } from '../../src/submissions/store.js';
import { testRedisClient, testRedisUrl, uniquePrefix } from '../helpers/redis.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../src/cli/sanh.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const COMPILED_CLI = join(ROOT, 'dist/cli/sanh.js');
const EXAMPLE_CONFIG = join(ROOT, 'deploy/sanh.example.json');
const POLICY = { perSecond: 100, burst: 100, reclaimAfterMs: 60_000, orderedAttempts: 0 };

/** Runs the `sanh` command line (the source with tsx, or a compiled `.js`) with `env`: its exit code and output, whatever the code. */
async function runCli(env: NodeJS.ProcessEnv, args: string[], script = CLI): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...(script.endsWith('.ts') ? ['--import', 'tsx'] : []), script, ...args], { env });
    return { code: 0, out: stdout, err: stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, out: failed.stdout, err: failed.stderr };
  }
}

/** The `sanh` command line against real Redis, as an operator runs it. */
describe('sanh dead-letters and receipts (CLI)', () => {
  let client: Redis;
  let store: SubmissionStore;
  let env: NodeJS.ProcessEnv;
  const tokens = ['a'.repeat(22), 'b'.repeat(22)];

  const sanh = (...args: string[]) => runCli(env, args);

  beforeAll(async () => {
    const keyPrefix = uniquePrefix('cli');
    const dir = await mkdtemp(join(tmpdir(), 'sanh-cli-'));
    const configPath = join(dir, 'sanh.json');
    await writeFile(configPath, JSON.stringify({ redis: { keyPrefix } }));
    env = { ...process.env, REDIS_URL: testRedisUrl(), SANH_CONFIG: configPath, SANH_ADMIN_TOKEN: '' };
    client = await testRedisClient();
    store = createRedisSubmissionStore({ client, keyPrefix });
    for (const token of tokens) {
      await store.accept('main', { token, request: 'sealed', key: token, fingerprint: 'f', keyTtlMs: 60_000, ttlMs: 3_600_000, deadlineMs: 3_600_000 });
      const next = await store.next('main', 'cli-test', POLICY);
      if (next.kind !== 'deliver') throw new Error('expected a delivery');
      await store.settle('main', 'cli-test', next.delivery, { kind: 'failed', reason: 'attempts', problem: 'status 503', status: 503 });
    }
  });
  afterAll(async () => {
    await client.quit();
  });

  it('lists the dead letters, as text and JSON', async () => {
    const text = await sanh('dead-letters', 'list', 'main');
    expect(text.code).toBe(0);
    expect(text.out).toContain(`main.${tokens[0]}`);
    expect(text.out).toContain('attempts (status 503)');
    const json = await sanh('dead-letters', 'list', 'main', '--json', '--limit', '1');
    expect(JSON.parse(json.out)).toEqual([expect.objectContaining({ id: `main.${tokens[0]}`, state: 'failed', failure: 'attempts' })]);
  });

  it('retries one and drops the other; a second try says it is not a dead letter', async () => {
    expect((await sanh('dead-letters', 'retry', `main.${tokens[0]}`)).out).toContain('queued again');
    expect(await store.backlog('main')).toMatchObject({ waiting: 1, dead: 1 });
    expect((await sanh('dead-letters', 'drop', `main.${tokens[1]}`)).out).toContain('dropped');
    const again = await sanh('dead-letters', 'drop', `main.${tokens[1]}`);
    expect(again.code).toBe(1);
    expect(again.out).toContain('not a dead letter');
    expect((await store.receipt('main', tokens[1] as string))?.receipt.failure).toBe('dropped');
    expect(JSON.parse((await sanh('submissions', 'backlog', 'main', '--json')).out)).toEqual({
      waiting: 1,
      delivering: 0,
      retrying: 0,
      dead: 0,
      oldestAt: expect.any(Number),
    });
  });

  it('finds a receipt by the number a citizen reads out', async () => {
    const receipt = (await store.receipt('main', tokens[0] as string))?.receipt;
    const found = await sanh('receipts', 'find', 'main', receipt?.number as string, '--json');
    expect(found.code).toBe(0);
    expect(JSON.parse(found.out)).toMatchObject({ id: `main.${tokens[0]}`, number: receipt?.number });
    expect((await sanh('receipts', 'find', 'main', '000000-000000')).code).toBe(1);
  });

  it('explains its usage and refuses bad input with exit code 2', async () => {
    const bare = await sanh();
    expect(bare.code).toBe(2);
    expect(bare.out).toContain('usage:');
    const unknown = await sanh('frobnicate', 'now');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command');
    expect((await sanh('dead-letters', 'retry', 'not-a-receipt')).err).toContain('is not a receipt id');
  });
});

/** The `sanh` command line over a real Sảnh's admin API. */
describe('sanh rooms, room set, pause, resume, audit (CLI over the admin API)', () => {
  let sanh: import('../../src/entry/node-server.js').NodeSanh;
  let portal: import('../helpers/test-origin.js').TestOrigin;
  let env: NodeJS.ProcessEnv;
  const SECRET = 'c'.repeat(32);
  const sanhCli = (...args: string[]) => runCli(env, args);

  beforeAll(async () => {
    const { startNodeSanh } = await import('../../src/entry/node-server.js');
    const { parseConfig } = await import('../../src/config/load.js');
    const { parseKeyRing } = await import('../../src/platform/keyring.js');
    const { silentLogger } = await import('../../src/platform/logger.js');
    const { parseAdminTokens } = await import('../../src/admin/tokens.js');
    const { startTestOrigin } = await import('../helpers/test-origin.js');
    portal = await startTestOrigin();
    sanh = await startNodeSanh({
      config: parseConfig({
        rooms: [{ id: 'main', match: ['/'], maxActive: 50, admitPerMinute: 600, submissions: { routes: [{ path: '/apply/submit', defer: 'always' }] } }],
        submissions: { delivery: { maxAttempts: 1 } },
      }),
      keyRing: parseKeyRing(`k:${'c'.repeat(40)}`),
      originUrl: portal.url,
      port: 0,
      hostname: '127.0.0.1',
      logger: silentLogger,
      admin: { port: 0, hostname: '127.0.0.1', tokens: parseAdminTokens(`ops:operate:${SECRET}`) },
    });
    env = { ...process.env, SANH_ADMIN_URL: sanh.adminUrl, SANH_ADMIN_TOKEN: `ops:operate:${SECRET}` };
  });
  afterAll(async () => {
    await sanh?.close();
    await portal?.close();
  });

  it('lists rooms, changes a limit, pauses with a message and resumes, and shows the audit', async () => {
    const rooms = await sanhCli('rooms');
    expect(rooms.code).toBe(0);
    expect(rooms.out).toMatch(/^main {2}open {2}active \d+\/50/);
    const set = await sanhCli('room', 'main', 'set', 'maxActive=300', 'admitPerMinute=900');
    expect(set.code).toBe(0);
    expect(set.out).toContain('maxActive=300');
    expect(set.out).toContain('admitBurst=90');
    const paused = await sanhCli('pause', 'main', '--message', 'Tạm dừng để nâng cấp', '--message-en', 'Paused for an upgrade');
    expect(paused.out).toContain('mode=paused');
    expect(paused.out).toContain('Paused for an upgrade');
    expect((await sanhCli('passthrough', 'main')).out).toContain('mode=passthrough');
    expect((await sanhCli('resume', 'main')).out).toContain('mode=open');
    const audit = JSON.parse((await sanhCli('audit', '--json')).out) as { entries: { action: string; by: string }[] };
    expect(audit.entries.map((e) => e.action)).toEqual(['resume', 'passthrough', 'pause', 'settings']);
    expect(audit.entries.every((e) => e.by === 'ops')).toBe(true);
    const refused = await sanhCli('room', 'main', 'set', 'maxActive=0');
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('maxActive');
    expect((await sanhCli('room', 'main', 'set', 'nonsense')).err).toContain('is not <field>=<value>');
    expect((await sanhCli('rooms', '--help')).out).toContain('sanh room <id> set');
  });

  it('issues a staff pass that skips the line, and explains itself with --help', async () => {
    const text = await sanhCli('pass', 'main', '--ttl', '2h', '--note', 'Anh Minh, tổ công nghệ số cộng đồng');
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^pass [A-Za-z0-9_-]+ for main, valid until \d{4}-/);
    const issued = JSON.parse((await sanhCli('pass', 'main', '--json')).out) as { id: string; pass: string; url: string; expiresAt: string };
    expect(Date.parse(issued.expiresAt) - Date.now()).toBeGreaterThan(7.9 * 3_600_000);
    const bypassed = await fetch(`${sanh.url}/apply`, { headers: { 'sanh-bypass': issued.pass } });
    expect(bypassed.headers.get('sanh-state')).toBe('bypass');
    const audit = JSON.parse((await sanhCli('audit', '--json', '--limit', '2')).out) as { entries: { action: string; after: { note?: string } }[] };
    expect(audit.entries.map((e) => e.action)).toEqual(['pass', 'pass']);
    expect(audit.entries[1]?.after.note).toBe('Anh Minh, tổ công nghệ số cộng đồng');
    expect((await sanhCli('pass', 'main', 'revoke', issued.id)).out).toContain(`pass ${issued.id} for main is revoked`);
    const revoked = await fetch(`${sanh.url}/apply`, { headers: { 'sanh-bypass': issued.pass } });
    expect(revoked.headers.get('sanh-state')).not.toBe('bypass');
    const refused = await sanhCli('pass', 'main', '--ttl', '30d');
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('ttl');
    expect((await sanhCli('pass', '--help')).out).toContain('sanh pass <id> [--ttl 2h] [--note');
  });

  it('lists, retries and drops dead letters, counts the backlog and finds receipts over the admin API (no REDIS_URL)', async () => {
    portal.busy(1);
    const submitted = await fetch(`${sanh.url}/apply/submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: 'n=1',
    });
    const { receiptId, receiptNumber } = (await submitted.json()) as { receiptId: string; receiptNumber: string };
    const receipt = { receiptId, number: receiptNumber };
    const deadline = Date.now() + 10_000;
    let listed = await sanhCli('dead-letters', 'list', 'main');
    while (!listed.out.includes(receipt.receiptId) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      listed = await sanhCli('dead-letters', 'list', 'main');
    }
    portal.busy(undefined);
    expect(listed.code).toBe(0);
    expect(listed.out).toContain(`${receipt.receiptId}  ${receipt.number}  attempts`);
    expect(JSON.parse((await sanhCli('submissions', 'backlog', 'main', '--json')).out)).toMatchObject({ dead: 1 });
    const found = await sanhCli('receipts', 'find', 'main', receipt.number, '--json');
    expect(JSON.parse(found.out)).toMatchObject({ id: receipt.receiptId, state: 'failed' });
    expect((await sanhCli('receipts', 'find', 'main', '000000-000000')).code).toBe(1);
    expect((await sanhCli('dead-letters', 'retry', receipt.receiptId)).out).toContain('queued again');
    const again = await sanhCli('dead-letters', 'drop', receipt.receiptId);
    expect(again.code).toBe(1);
    expect(again.out).toContain('not a dead letter');
    expect((await sanhCli('dead-letters', 'retry', 'not-a-receipt')).err).toContain('is not a receipt id');
    expect((await sanhCli('dead-letters', 'list', 'nope')).code).toBe(2);
  }, 30_000);
});

/** The package's version, as `sanh --version` should print it. */
async function packageJsonVersion(): Promise<string> {
  return (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** What needs no admin API, Redis or network: usage, version, option errors and `config check`. */
describe('sanh --help, --version, strict options and config check (CLI, offline)', () => {
  const env: NodeJS.ProcessEnv = { ...process.env, SANH_ADMIN_TOKEN: '', REDIS_URL: '', SANH_CONFIG: '', SANH_ADMIN_URL: 'http://127.0.0.1:9' };
  const sanh = (...args: string[]) => runCli(env, args);

  it('prints the usage on stdout and exits 0 for --help, -h, help and <command> --help', async () => {
    const answers = await Promise.all([
      sanh('--help'),
      sanh('-h'),
      sanh('help'),
      sanh('config', 'check', '--help'),
      sanh('dead-letters', 'list', 'main', '--help'),
    ]);
    for (const answer of answers) {
      expect(answer).toMatchObject({ code: 0, err: '' });
      expect(answer.out).toMatch(/^usage:\n {2}sanh rooms/);
      expect(answer.out).toContain('sanh config check [FILE]');
      expect(answer.out).toContain('sanh --version');
    }
  });

  it('prints the version from package.json with --version', async () => {
    expect(await sanh('--version')).toEqual({ code: 0, out: `${await packageJsonVersion()}\n`, err: '' });
  });

  it('refuses an unknown option, or one the command does not take, with exit code 2 and one line naming it', async () => {
    const [unknown, short, stray, valueless, switchValue] = await Promise.all([
      sanh('rooms', '--frobnicate'),
      sanh('audit', '-x'),
      sanh('rooms', '--ttl', '2h'),
      sanh('audit', '--limit'),
      sanh('rooms', '--json=yes'),
    ]);
    expect(unknown).toEqual({ code: 2, out: '', err: 'sanh: unknown option --frobnicate (see sanh --help)\n' });
    expect(short).toMatchObject({ code: 2, err: 'sanh: unknown option -x (see sanh --help)\n' });
    expect(stray).toMatchObject({ code: 2, err: 'sanh: --ttl is not an option of "sanh rooms" (see sanh --help)\n' });
    expect(valueless).toMatchObject({ code: 2, err: 'sanh: --limit needs a value (see sanh --help)\n' });
    expect(switchValue).toMatchObject({ code: 2, err: 'sanh: --json takes no value (see sanh --help)\n' });
  });

  it('config check: "ok" and the rooms for a valid file, with no token or network', async () => {
    const rooms = (JSON.parse(await readFile(EXAMPLE_CONFIG, 'utf8')) as { rooms: { id: string }[] }).rooms.map((room) => room.id);
    const [text, json] = await Promise.all([sanh('config', 'check', EXAMPLE_CONFIG), sanh('config', 'check', EXAMPLE_CONFIG, '--json')]);
    expect(text).toEqual({ code: 0, out: `ok: ${EXAMPLE_CONFIG}: ${rooms.length} rooms (${rooms.join(', ')})\n`, err: '' });
    expect(JSON.parse(json.out)).toEqual({ ok: true, file: EXAMPLE_CONFIG, rooms });
    const fromEnv = await runCli({ ...env, SANH_CONFIG: EXAMPLE_CONFIG }, ['config', 'check']);
    expect(fromEnv.out).toMatch(/^ok: /);
  });

  it('config check: names every bad field, and says so for a missing file or broken JSON, with exit code 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sanh-cli-config-'));
    const bad = join(dir, 'bad.json');
    const broken = join(dir, 'broken.json');
    await writeFile(bad, JSON.stringify({ rooms: [{ id: 'main', match: ['/'], maxActive: 0 }], colour: 'blue' }));
    await writeFile(broken, '{ "rooms": [');
    const [invalid, missing, notJson, noFile] = await Promise.all([
      sanh('config', 'check', bad),
      sanh('config', 'check', join(dir, 'missing.json')),
      sanh('config', 'check', broken),
      sanh('config', 'check'),
    ]);
    expect(invalid).toMatchObject({ code: 1, out: '' });
    expect(invalid.err).toContain(`Invalid configuration in ${bad}`);
    expect(invalid.err).toMatch(/rooms\[0\]\.maxActive: .*>=1/);
    expect(invalid.err).toContain('colour: unknown field');
    expect(missing).toMatchObject({ code: 1, out: '' });
    expect(missing.err).toContain('cannot read the file');
    expect(notJson).toMatchObject({ code: 1, out: '' });
    expect(notJson.err).toContain('not valid JSON');
    expect(noFile).toMatchObject({ code: 2, err: 'sanh: say which file to check: sanh config check FILE (or set SANH_CONFIG) (see sanh --help)\n' });
  });
});

/** The newest modification time among the files under `dir`, in milliseconds. */
async function newestChange(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const times = await Promise.all(entries.filter((entry) => entry.isFile()).map(async (entry) => (await stat(join(entry.parentPath, entry.name))).mtimeMs));
  return Math.max(0, ...times);
}

/** The compiled command line, as `node dist/cli/sanh.js` and as the package's `bin` runs it. */
describe('sanh compiled (dist/cli/sanh.js)', () => {
  beforeAll(async () => {
    // `npm test` builds first; run alone, this builds only when dist/ lacks the CLI or is older than its source.
    const built = await stat(COMPILED_CLI).then(
      (file) => file.mtimeMs,
      () => 0,
    );
    if (built < (await newestChange(join(ROOT, 'src/cli')))) await run('npm', ['run', 'build', '--silent'], { cwd: ROOT });
  }, 180_000);

  it('starts with a shebang and prints the version, also through a symlink as npm links the bin', async () => {
    expect((await readFile(COMPILED_CLI, 'utf8')).split('\n')[0]).toBe('#!/usr/bin/env node');
    const version = `${await packageJsonVersion()}\n`;
    const env = { ...process.env, SANH_ADMIN_TOKEN: '', REDIS_URL: '' };
    expect(await runCli(env, ['--version'], COMPILED_CLI)).toEqual({ code: 0, out: version, err: '' });
    const bin = join(await mkdtemp(join(tmpdir(), 'sanh-bin-')), 'sanh');
    await symlink(COMPILED_CLI, bin);
    expect(await runCli(env, ['--version'], bin)).toEqual({ code: 0, out: version, err: '' });
    expect(await runCli(env, ['config', 'check', EXAMPLE_CONFIG], bin)).toMatchObject({ code: 0, out: expect.stringMatching(/^ok: /) });
  });
});
