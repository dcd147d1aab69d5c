import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatPath, parseConfig } from './load.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);

/** Parses, and checks the outcome is a config or a ConfigError whose every problem is `path: message`; anything else thrown fails. */
function outcome(input: unknown): { ok: true } | { ok: false; problems: string[] } {
  try {
    const config = parseConfig(input);
    expect(Array.isArray(config.rooms)).toBe(true);
    return { ok: true };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw new Error(`parseConfig threw a non-config error for ${JSON.stringify(input)?.slice(0, 300)}: ${String(error)}`);
    expect(error.problems.length).toBeGreaterThan(0);
    for (const problem of error.problems) {
      expect(problem).toMatch(/^.+: \S/s); // `path: message` (a generated key may itself hold spaces)
      expect(problem).not.toContain('\n'); // one problem per field
    }
    return { ok: false, problems: error.problems };
  }
}

const ROOM_KEYS = [
  'id',
  'name',
  'match',
  'maxActive',
  'admitPerMinute',
  'admitBurst',
  'sessionIdleSeconds',
  'noShowSeconds',
  'abandonAfterSeconds',
  'hosts',
  'mode',
  'message',
  'reopensAt',
  'events',
  'bypass',
  'clientLimits',
  'challenge',
  'onStoreFailure',
  'fallbackShare',
  'adaptive',
  'submissions',
  'template',
  'templateHtml',
] as const;
const TOP_KEYS = ['$schema', 'rooms', 'origin', 'snapshotIntervalMs', 'trustProxyHops', 'drafts', 'submissions', 'redis'] as const;

/** Any JSON, with objects that often use the config's own keys, so generated values reach deep into the schema. */
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 1 }),
    fc.constantFrom(
      '/',
      '/apply',
      '30s',
      '5m',
      '2030-01-01T00:00:00+07:00',
      'open',
      'paused',
      'closed',
      'main',
      '',
      '10.0.0.0/8',
      'always',
      'never',
      'replicated',
    ),
    fc.dictionary(
      fc.oneof(
        fc.constantFrom(
          ...ROOM_KEYS,
          ...TOP_KEYS,
          'routes',
          'path',
          'method',
          'delivery',
          'paths',
          'enabled',
          'vi',
          'en',
          'id',
          'opensAt',
          'keyPrefix',
          'timeoutSeconds',
        ),
        fc.string({ maxLength: 8 }),
      ),
      tie('value'),
      { maxKeys: 6 },
    ),
    fc.array(tie('value'), { maxLength: 3 }),
  ),
})).value;

const room = fc.dictionary(fc.constantFrom(...ROOM_KEYS, 'colour'), json, { maxKeys: 8 });
const config = fc.oneof(
  json,
  fc.record({ rooms: fc.array(room, { maxLength: 3 }) }),
  fc.dictionary(fc.constantFrom(...TOP_KEYS, 'colour'), json, { maxKeys: 6 }),
);

/** A valid room, then bad values put in named fields: each one must be named back. */
const BAD_ROOM_VALUES: Record<string, unknown[]> = {
  id: ['Bad Id', '', 7, null, '-x'],
  match: [[], ['no-slash'], '/', [5], ['/has space']],
  maxActive: [0, 1.5, '10', null, 1e8, -1],
  admitPerMinute: [0, -5, 'x', 7e6, false],
  sessionIdleSeconds: [5, 1e6, 'long', 10.5],
  noShowSeconds: [1, 4_000],
  abandonAfterSeconds: [30, 100_000],
  hosts: [[], ['Upper.Case'], 'example.vn'],
  mode: ['sideways', 3, null],
  message: ['hello', { fr: 'bonjour' }, { vi: '' }],
  reopensAt: ['tomorrow', 12, '2030-01-01T00:00:00'],
  onStoreFailure: ['maybe'],
  fallbackShare: [0, 2, '0.5'],
  colour: ['red'],
};
const BAD_TOP_VALUES: Record<string, unknown[]> = {
  snapshotIntervalMs: [10, 5.5, '250', -1, null, 10_000],
  trustProxyHops: [11, -1, 1.5, 'x'],
  origin: ['x', { timeoutSeconds: 0 }, { timeoutSeconds: '30' }, { retries: 3 }],
  redis: [{ keyPrefix: '' }, { keyPrefix: 'has space' }, { keyPrefix: 5 }, []],
  colour: ['red'],
};
/** The path a bad value is reported under (an unknown key's own path; a nested object's bad field under it). */
function expectedPath(base: (string | number)[], key: string, value: unknown): string {
  if (key === 'origin' && typeof value === 'object' && value !== null && !Array.isArray(value))
    return formatPath([...base, key, Object.keys(value)[0] as string]);
  if (key === 'redis' && typeof value === 'object' && value !== null && !Array.isArray(value)) return formatPath([...base, key, 'keyPrefix']);
  if (key === 'message' && typeof value === 'object' && value !== null) return formatPath([...base, key, Object.keys(value)[0] as string]);
  if (key === 'match' && Array.isArray(value) && value.length > 0) return formatPath([...base, key, 0]);
  if (key === 'hosts' && Array.isArray(value) && value.length > 0) return formatPath([...base, key, 0]);
  return formatPath([...base, key]);
}
const pick = (table: Record<string, unknown[]>) =>
  fc.constantFrom(...Object.keys(table)).chain((key) => fc.constantFrom(...(table[key] as unknown[])).map((value) => [key, value] as const));
const mutated = fc
  .record({
    rooms: fc.integer({ min: 1, max: 3 }),
    roomFaults: fc.array(fc.tuple(fc.nat(2), pick(BAD_ROOM_VALUES)), { maxLength: 4 }),
    topFaults: fc.uniqueArray(pick(BAD_TOP_VALUES), { maxLength: 3, selector: ([key]) => key }),
  })
  .filter((m) => m.roomFaults.length + m.topFaults.length > 0);

describe('the config loader under generated input', () => {
  it('gives a config or a ConfigError naming each problem as "path: message", never another error', () => {
    let parsed = 0;
    fc.assert(
      fc.property(config, (input) => {
        if (outcome(input).ok) parsed += 1;
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    expect(parsed).toBeGreaterThan(0);
  });

  it('names every field a bad value was put in, however many there are', () => {
    fc.assert(
      fc.property(mutated, ({ rooms, roomFaults, topFaults }) => {
        const input: Record<string, unknown> = {
          rooms: Array.from({ length: rooms }, (_, i) => ({ id: `room-${i}`, match: [`/r${i}`], maxActive: 10, admitPerMinute: 60 })),
        };
        const expected = new Set<string>();
        for (const [index, [key, value]] of roomFaults) {
          const at = index % rooms;
          const target = (input.rooms as Record<string, unknown>[])[at] as Record<string, unknown>;
          if (expected.has(`rooms[${at}].${key}`) || [...expected].some((p) => p.startsWith(`rooms[${at}].${key}`))) continue; // one fault per field
          target[key] = value;
          expected.add(expectedPath(['rooms', at], key, value));
        }
        for (const [key, value] of topFaults) {
          input[key] = value;
          expected.add(expectedPath([], key, value));
        }
        const result = outcome(input);
        expect(result.ok).toBe(false);
        if (result.ok) return;
        const named = result.problems.map((problem) => problem.slice(0, problem.indexOf(': ')));
        for (const path of expected) expect(named, `${path} in ${JSON.stringify(input)}`).toContain(path);
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
  });
});
