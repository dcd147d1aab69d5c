import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { createClientLimiter } from './client-limits.js';

const [room, other] = parseConfig({
  rooms: [
    { id: 'main', match: ['/'], maxActive: 10, admitPerMinute: 60, clientLimits: { joinPerMinute: 3, statusPerMinute: 2, requestsPerMinute: 5 } },
    { id: 'other', match: ['/other'], maxActive: 10, admitPerMinute: 60 },
  ],
}).rooms as [ReturnType<typeof parseConfig>['rooms'][number], ReturnType<typeof parseConfig>['rooms'][number]];

describe('per-client limits (in memory)', () => {
  it('refuses past the limit with a Retry-After within the minute', async () => {
    const limiter = createClientLimiter();
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push(await limiter.consume('join', room, '198.51.100.1'));
    expect(outcomes.slice(0, 3)).toEqual([{ allowed: true }, { allowed: true }, { allowed: true }]);
    const refused = outcomes[3];
    expect(refused?.allowed).toBe(false);
    if (refused && !refused.allowed) {
      expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
    }
  });

  it('counts clients, rooms and kinds apart, with the defaults where a room sets none', async () => {
    const limiter = createClientLimiter();
    for (let i = 0; i < 2; i++) await limiter.consume('status', room, 'visitor-a');
    expect((await limiter.consume('status', room, 'visitor-a')).allowed).toBe(false);
    expect((await limiter.consume('status', room, 'visitor-b')).allowed).toBe(true);
    expect((await limiter.consume('join', room, 'visitor-a')).allowed).toBe(true);
    for (let i = 0; i < 119; i++) await limiter.consume('status', other, 'visitor-a');
    expect((await limiter.consume('status', other, 'visitor-a')).allowed).toBe(true);
    expect((await limiter.consume('status', other, 'visitor-a')).allowed).toBe(false);
  });

  it('applies changed limits at once', async () => {
    const limiter = createClientLimiter();
    for (let i = 0; i < 5; i++) await limiter.consume('request', room, 'pass-1');
    expect((await limiter.consume('request', room, 'pass-1')).allowed).toBe(false);
    const raised = { ...room, clientLimits: { joinPerMinute: 3, statusPerMinute: 2, requestsPerMinute: 50 } };
    expect((await limiter.consume('request', raised, 'pass-1')).allowed).toBe(true);
  });
});
