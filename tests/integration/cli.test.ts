import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
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
const POLICY = { perSecond: 100, burst: 100, reclaimAfterMs: 60_000, orderedAttempts: 0 };

/** The `sanh` command line against real Redis, as an operator runs it. */
describe('sanh dead-letters and receipts (CLI)', () => {
  let client: Redis;
  let store: SubmissionStore;
  let env: NodeJS.ProcessEnv;
  const tokens = ['a'.repeat(22), 'b'.repeat(22)];

  async function sanh(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', CLI, ...args], { env });
      return { code: 0, out: stdout, err: stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, out: failed.stdout, err: failed.stderr };
    }
  }

  beforeAll(async () => {
    const keyPrefix = uniquePrefix('cli');
    const dir = await mkdtemp(join(tmpdir(), 'sanh-cli-'));
    const configPath = join(dir, 'sanh.json');
    await writeFile(configPath, JSON.stringify({ redis: { keyPrefix } }));
    env = { ...process.env, REDIS_URL: testRedisUrl(), SANH_CONFIG: configPath };
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
    expect(JSON.parse((await sanh('submissions', 'backlog', 'main', '--json')).out)).toEqual({ waiting: 1, delivering: 0, retrying: 0, dead: 0 });
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
    const unknown = await sanh('rooms', 'dance');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command');
    expect((await sanh('dead-letters', 'retry', 'not-a-receipt')).err).toContain('is not a receipt id');
  });
});
