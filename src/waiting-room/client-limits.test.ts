import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../config/load.js';
import type { RoomConfig } from '../config/schema.js';
import type { LogFields, Logger } from '../platform/logger.js';
import { createClientLimiter, DEFAULT_REQUESTS_PER_MINUTE, MAX_COUNTED_KEYS, type ClientLimiter, type LimitKind } from './client-limits.js';

const [room, other] = parseConfig({
  rooms: [
    { id: 'main', match: ['/'], maxActive: 10, admitPerMinute: 60, clientLimits: { joinPerMinute: 3, statusPerMinute: 2, requestsPerMinute: 5 } },
    { id: 'other', match: ['/other'], maxActive: 10, admitPerMinute: 60 },
  ],
}).rooms as [RoomConfig, RoomConfig];

/** Takes `times` units and lists whether each was allowed. */
async function take(limiter: ClientLimiter, kind: LimitKind, at: RoomConfig, clientKey: string, times: number): Promise<boolean[]> {
  const answers = [];
  for (let i = 0; i < times; i++) answers.push((await limiter.consume(kind, at, clientKey)).allowed);
  return answers;
}

/** A shared join limiter that always answers with `answer` (a refusal or a fault). */
function answering(answer: RateLimiterRes | Error): RateLimiterAbstract {
  return new (class extends RateLimiterMemory {
    override consume(): Promise<RateLimiterRes> {
      return Promise.reject(answer);
    }
  })({ points: 1, duration: 60 });
}

function recordingLogger(): Logger & { lines: Array<{ message: string; fields?: LogFields }> } {
  const lines: Array<{ message: string; fields?: LogFields }> = [];
  const record = (message: string, fields?: LogFields) => void lines.push({ message, fields });
  return { lines, info: record, warn: record, error: record };
}

describe('per-client limits (in memory)', () => {
  // The clock stands still 5 s into a minute, so no test straddles the local counts' minute.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-01-01T00:00:05Z'));
  });
  afterEach(() => vi.useRealTimers());

  it('refuses past the limit, says how long to wait, and allows again once the minute is over', async () => {
    const limiter = createClientLimiter();
    expect(await take(limiter, 'join', room, '198.51.100.1', 4)).toEqual([true, true, true, false]);
    vi.setSystemTime(new Date('2030-01-01T00:00:49.500Z'));
    expect(await limiter.consume('join', room, '198.51.100.1')).toEqual({ allowed: false, retryAfterSeconds: 16, taken: 5, points: 3 });
    vi.setSystemTime(new Date('2030-01-01T00:01:06Z'));
    expect(await take(limiter, 'join', room, '198.51.100.1', 4)).toEqual([true, true, true, false]);
  });

  it('counts clients, rooms and kinds apart, with the defaults where a room sets none', async () => {
    const limiter = createClientLimiter();
    expect(await take(limiter, 'status', room, 'visitor-a', 3)).toEqual([true, true, false]);
    expect(await take(limiter, 'status', room, 'visitor-b', 2)).toEqual([true, true]);
    expect(await take(limiter, 'join', room, 'visitor-a', 4)).toEqual([true, true, true, false]);
    expect(await take(limiter, 'request', room, 'visitor-a', 6)).toEqual([true, true, true, true, true, false]);
    expect(await take(limiter, 'status', other, 'visitor-a', 121)).toEqual([...Array(120).fill(true), false]);
    expect(await take(limiter, 'join', other, 'visitor-a', 121)).toEqual([...Array(120).fill(true), false]);
  });

  it("counts an admitted pass's requests at DEFAULT_REQUESTS_PER_MINUTE when the room sets none: half without a promise, then the library (issue 17 #13)", async () => {
    const limiter = createClientLimiter({ clock: () => 0 });
    for (let i = 0; i < DEFAULT_REQUESTS_PER_MINUTE / 2; i++) expect(limiter.consume('request', other, 'pass-1')).toEqual({ allowed: true });
    const rest = await take(limiter, 'request', other, 'pass-1', DEFAULT_REQUESTS_PER_MINUTE / 2 + 1);
    expect(rest.filter(Boolean)).toHaveLength(DEFAULT_REQUESTS_PER_MINUTE / 2);
    expect(rest.at(-1)).toBe(false);
  });

  // A reloaded limit gets a new limiter: counts kept in memory start again under the new limit.
  it('applies changed limits at once', async () => {
    const limiter = createClientLimiter();
    expect(await take(limiter, 'request', room, 'pass-1', 6)).toEqual([true, true, true, true, true, false]);
    const raised = { ...room, clientLimits: { joinPerMinute: 3, statusPerMinute: 2, requestsPerMinute: 8 } };
    expect(await take(limiter, 'request', raised, 'pass-1', 3)).toEqual([true, true, true]);
    const lowered = { ...other, clientLimits: { joinPerMinute: 120, statusPerMinute: 2 } };
    expect(await take(limiter, 'status', other, 'visitor-z', 61)).toEqual(Array(61).fill(true));
    expect(await take(limiter, 'status', other, 'visitor-a', 10)).toEqual(Array(10).fill(true));
    expect(await take(limiter, 'status', lowered, 'visitor-b', 3)).toEqual([true, true, false]);
    expect(await take(limiter, 'status', lowered, 'visitor-a', 3)).toEqual([true, true, false]);
  });

  it('asks the shared limiter for joins only, once per room and limit, around an insurance limiter of the same size', async () => {
    const made: Array<{ roomId: string; points: number; insurance: number }> = [];
    const limiter = createClientLimiter({
      shared: (roomId, points, insurance) => {
        made.push({ roomId, points, insurance: insurance.points });
        return insurance;
      },
    });
    for (const kind of ['join', 'status', 'request'] as const) await take(limiter, kind, room, 'client', 5);
    await take(limiter, 'join', other, 'client', 10);
    await take(limiter, 'join', { ...room, clientLimits: { joinPerMinute: 7, statusPerMinute: 2 } }, 'client', 5);
    expect(made).toEqual([
      { roomId: 'main', points: 3, insurance: 3 },
      { roomId: 'other', points: 120, insurance: 120 },
      { roomId: 'main', points: 7, insurance: 7 },
    ]);
  });

  it('rounds the wait up to whole seconds, at least one', async () => {
    const refusing = (ms: number) => createClientLimiter({ shared: () => answering(new RateLimiterRes(0, ms)) });
    const one = { ...room, clientLimits: { joinPerMinute: 1, statusPerMinute: 2 } };
    expect(await refusing(0).consume('join', one, 'a')).toMatchObject({ allowed: false, retryAfterSeconds: 1, points: 1 });
    expect(await refusing(200).consume('join', one, 'a')).toMatchObject({ allowed: false, retryAfterSeconds: 1, points: 1 });
    expect(await refusing(1_001).consume('join', one, 'a')).toMatchObject({ allowed: false, retryAfterSeconds: 2, points: 1 });
  });

  it('logs a fault in the limiter and allows the request (fail open)', async () => {
    const logger = recordingLogger();
    const limiter = createClientLimiter({ shared: () => answering(new Error('store exploded')), logger });
    await expect(take(limiter, 'join', room, 'a', 5)).resolves.toEqual(Array(5).fill(true));
    expect(logger.lines.length).toBeGreaterThan(0);
    expect(logger.lines[0]).toEqual({
      message: 'client limit could not be checked; allowing the request',
      fields: { kind: 'join', room: 'main', error: 'Error: store exploded' },
    });
  });
});

describe('per-client limits under a flood of distinct keys', () => {
  it('count at most MAX_COUNTED_KEYS keys a minute, forgetting the oldest half at a time', async () => {
    const clock = () => Date.UTC(2030, 0, 1, 0, 0, 5);
    const limiter = createClientLimiter({ clock });
    for (let i = 0; i < 2 * MAX_COUNTED_KEYS; i++) {
      limiter.consume('status', room, `junk-${i}`);
      if (limiter.countedKeys() > MAX_COUNTED_KEYS) throw new Error(`${limiter.countedKeys()} keys counted after ${i + 1}`);
    }
    expect(limiter.countedKeys()).toBeGreaterThanOrEqual(MAX_COUNTED_KEYS / 2);
    const recent = `junk-${2 * MAX_COUNTED_KEYS - 1}`;
    expect(await limiter.consume('status', room, recent)).toEqual({ allowed: true });
    expect(await limiter.consume('status', room, recent)).toMatchObject({ allowed: false, taken: 3, points: 2 });
  });
});
