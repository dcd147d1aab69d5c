import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from './json-schema.js';
import { loadConfigFile } from './file.js';
import { ConfigError, parseConfig } from './load.js';

function problemsOf(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('configuration', () => {
  it('defaults to one room covering /', () => {
    const config = parseConfig({});
    expect(config.rooms).toEqual([
      {
        id: 'main',
        match: ['/'],
        maxActive: 200,
        admitPerMinute: 600,
        admitBurst: 60,
        admitBurstDerived: true,
        sessionIdleSeconds: 600,
        noShowSeconds: 60,
        abandonAfterSeconds: 180,
        mode: 'open',
        events: [],
        onStoreFailure: 'open',
        fallbackShare: 0.25,
      },
    ]);
    expect(config.snapshotIntervalMs).toBe(250);
    expect(config.origin.timeoutSeconds).toBe(30);
  });

  it('accepts the documented example and derives admitBurst', () => {
    const config = parseConfig({
      rooms: [{ id: 'main', match: ['/'], maxActive: 200, admitPerMinute: 5, sessionIdleSeconds: 600 }],
    });
    expect(config.rooms[0]?.admitBurst).toBe(1);
    expect(config.rooms[0]?.noShowSeconds).toBe(60);
  });

  it('names every invalid field by its path', () => {
    const problems = problemsOf({
      rooms: [
        { id: 'Main Room', match: ['no-slash'], maxActive: 0, admitPerMinute: -1, sessionIdleSeconds: 600 },
        { id: 'b', match: ['/b'], maxActive: 2.5, admitPerMinute: 10, colour: 'red' },
      ],
      snapshotIntervalMs: 1,
    });
    const fields = problems.map((p) => p.split(':')[0]);
    expect(fields).toEqual(
      expect.arrayContaining([
        'rooms[0].id',
        'rooms[0].match[0]',
        'rooms[0].maxActive',
        'rooms[0].admitPerMinute',
        'rooms[1].maxActive',
        'rooms[1].colour',
        'snapshotIntervalMs',
      ]),
    );
    expect(problems).toHaveLength(7);
  });

  it('rejects duplicate ids, shared prefixes and the reserved prefix', () => {
    const problems = problemsOf({
      rooms: [
        { id: 'a', match: ['/x'], maxActive: 1, admitPerMinute: 1 },
        { id: 'a', match: ['/x', '/_sanh/status'], maxActive: 1, admitPerMinute: 1 },
      ],
    });
    expect(problems).toEqual([
      'rooms[1].id: duplicate room id "a" (also rooms[0])',
      'rooms[1].match[0]: prefix "/x" is already matched by rooms[0]',
      'rooms[1].match[1]: the /_sanh/ prefix is reserved for Sảnh itself',
    ]);
  });

  it('checks deferrable submission routes and the submissions section, naming each bad field', () => {
    const problems = problemsOf({
      origin: { timeoutSeconds: 30 },
      rooms: [
        {
          id: 'a',
          match: ['/apply'],
          maxActive: 1,
          admitPerMinute: 1,
          submissions: {
            routes: [
              { path: '/apply/submit' },
              { path: '/apply/submit' },
              { path: '/other/submit' },
              { path: 'apply', method: 'GET', headers: ['Host'], cookies: ['a b'] },
              { path: '/_sanh/x' },
            ],
            deliverPerMinute: 0,
          },
        },
      ],
      submissions: {
        durability: 'maybe',
        expireAfter: '1h',
        delivery: { reclaimAfter: '10s', deadline: '2h', initialBackoff: '10m', maxBackoff: '1m', concurrency: 0 },
        idempotencyWindow: '2h',
      },
    });
    expect(problems.map((p) => p.split(':')[0])).toEqual(
      expect.arrayContaining([
        'rooms[0].submissions.routes[3].path',
        'rooms[0].submissions.routes[3].method',
        'rooms[0].submissions.routes[3].headers[0]',
        'rooms[0].submissions.routes[3].cookies[0]',
        'rooms[0].submissions.deliverPerMinute',
        'submissions.durability',
        'submissions.delivery.concurrency',
      ]),
    );
    const refined = problemsOf({
      origin: { timeoutSeconds: 30 },
      rooms: [
        {
          id: 'a',
          match: ['/apply'],
          maxActive: 1,
          admitPerMinute: 1,
          submissions: { routes: [{ path: '/apply/submit' }, { path: '/apply/submit' }, { path: '/other/submit' }, { path: '/_sanh/x' }] },
        },
      ],
      submissions: { expireAfter: '1h', delivery: { reclaimAfter: '10s', deadline: '2h', initialBackoff: '10m', maxBackoff: '1m' }, idempotencyWindow: '2h' },
    });
    expect(refined).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^submissions\.delivery\.reclaimAfter: must be longer than origin\.timeoutSeconds/),
        'submissions.delivery.deadline: must not be longer than submissions.expireAfter',
        'submissions.idempotencyWindow: must not be longer than submissions.expireAfter',
        'submissions.delivery.maxBackoff: must not be shorter than initialBackoff',
        'rooms[0].submissions.routes[1]: duplicate route "POST /apply/submit"',
        expect.stringMatching(/^rooms\[0\]\.submissions\.routes\[2\]\.path: is not under any of the room's match prefixes/),
        'rooms[0].submissions.routes[3].path: the /_sanh/ prefix is reserved for Sảnh itself',
      ]),
    );
    expect(parseConfig({}).submissions).toMatchObject({
      durability: 'write',
      expireAfter: 30 * 86_400,
      idempotencyWindow: 86_400,
      acceptPerMinute: 30,
      delivery: { maxAttempts: 12, reclaimAfter: 60 },
    });
  });

  it('reports unreadable and malformed files by name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sanh-config-'));
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{ "rooms": [ }');
    await expect(loadConfigFile(bad)).rejects.toThrow(/bad\.json[\s\S]*not valid JSON/);
    await expect(loadConfigFile(join(dir, 'missing.json'))).rejects.toThrow(/cannot read the file/);
    const good = join(dir, 'good.json');
    await writeFile(good, JSON.stringify({ rooms: [{ id: 'x', match: ['/x'], maxActive: 3, admitPerMinute: 30 }] }));
    expect((await loadConfigFile(good)).rooms[0]?.maxActive).toBe(3);
  });

  it('keeps the committed JSON Schema in step with the schema', async () => {
    const committed = JSON.parse(await readFile(new URL('../../sanh.schema.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(configJsonSchema());
    expect(JSON.stringify(committed)).toContain('maxActive');
  });
});

describe('shipped example configuration', () => {
  it('is valid', async () => {
    const config = await loadConfigFile(new URL('../../deploy/sanh.example.json', import.meta.url).pathname);
    expect(config.rooms.map((r) => r.id)).toEqual(['main', 'residence']);
    expect(config.rooms[1]?.submissions?.routes[0]).toMatchObject({ method: 'POST', path: '/apply/submit', defer: 'when-busy' });
  });
});
