import { describe, expect, it } from 'vitest';
import { manualClock } from '../platform/clock.js';
import { addressBucket, createAuthLimiter, DEFAULT_AUTH_LIMITS } from './auth-limiter.js';

describe('auth limiter', () => {
  it('answers the first failures at once, then slower and slower, then refuses the address until the window ends', () => {
    const clock = manualClock(Date.UTC(2030, 0, 1));
    const limiter = createAuthLimiter({ clock });
    const failures = Array.from({ length: DEFAULT_AUTH_LIMITS.maxFailures }, () => limiter.failure('198.51.100.7'));
    expect(failures.map((f) => (f.blocked ? `429 after ${f.retryAfterSeconds}s` : f.delayMs))).toEqual([
      0,
      0,
      0,
      250,
      500,
      1000,
      2000,
      2000,
      2000,
      '429 after 60s',
    ]);
    clock.advance(15_000);
    expect(limiter.admit('198.51.100.7')).toEqual({ allowed: false, retryAfterSeconds: 45 });
    expect(limiter.admit('198.51.100.8')).toEqual({ allowed: true });
    clock.advance(45_000);
    expect(limiter.admit('198.51.100.7')).toEqual({ allowed: true });
    expect(limiter.failure('198.51.100.7')).toEqual({ blocked: false, delayMs: 0 });
  });

  it('counts an IPv6 /64 as one address, and IPv4 and mapped IPv4 as written', () => {
    expect(addressBucket('2001:db8:1:2::1')).toBe(addressBucket('2001:db8:1:2:ffff::9'));
    expect(addressBucket('2001:db8:1:2::1')).not.toBe(addressBucket('2001:db8:1:3::1'));
    expect(addressBucket('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(addressBucket('192.0.2.1')).toBe('192.0.2.1');
    expect(addressBucket(undefined)).toBe('unknown');
    const limiter = createAuthLimiter({ clock: manualClock(), limits: { maxFailures: 2 } });
    limiter.failure('2001:db8:1:2::1');
    limiter.failure('2001:db8:1:2::2');
    expect(limiter.admit('2001:db8:1:2::3').allowed).toBe(false);
  });

  it('remembers at most maxAddresses, forgetting expired windows first, then the oldest', () => {
    const clock = manualClock(Date.UTC(2030, 0, 1));
    const limiter = createAuthLimiter({ clock, limits: { maxAddresses: 100, maxFailures: 1 } });
    limiter.failure('192.0.2.1');
    clock.advance(30_000);
    for (let i = 0; i < 10_000; i++) limiter.failure(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size()).toBe(100);
    expect(limiter.admit('10.0.39.15').allowed).toBe(false); // the newest is kept
    expect(limiter.admit('192.0.2.1').allowed).toBe(true); // the oldest went first
  });
});
