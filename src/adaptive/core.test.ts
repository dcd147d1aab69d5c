import { describe, expect, it } from 'vitest';
import { adaptiveBurst, nextAdaptiveRate, type AdaptivePolicy } from './core.js';
import { createOriginStats } from './origin-stats.js';

const POLICY: AdaptivePolicy = { targetP95Ms: 500, maxErrorRate: 0.05, minPerMinute: 6, increasePerMinute: 30, decreaseFactor: 0.5, minSamples: 10 };
const healthy = { requests: 100, errors: 0, p50Ms: 50, p95Ms: 200 };

describe('AIMD on the origin', () => {
  it('halves on a slow or failing interval, never below the floor', () => {
    expect(nextAdaptiveRate(600, 600, { ...healthy, p95Ms: 900 }, POLICY)).toMatchObject({ rate: 300, verdict: 'decrease', reason: 'p95 900 ms over 500 ms' });
    expect(nextAdaptiveRate(600, 600, { ...healthy, errors: 10 }, POLICY)).toMatchObject({
      rate: 300,
      verdict: 'decrease',
      reason: 'errors 10.0 % over 5.0 %',
    });
    expect(nextAdaptiveRate(8, 600, { ...healthy, errors: 50 }, POLICY).rate).toBe(6);
  });

  it("grows by a step while healthy, up to the operator's rate, and follows the operator down", () => {
    expect(nextAdaptiveRate(300, 600, healthy, POLICY)).toMatchObject({ rate: 330, verdict: 'increase' });
    expect(nextAdaptiveRate(590, 600, healthy, POLICY)).toMatchObject({ rate: 600, verdict: 'increase' });
    expect(nextAdaptiveRate(600, 600, healthy, POLICY)).toMatchObject({ rate: 600, verdict: 'hold' });
    expect(nextAdaptiveRate(600, 120, healthy, POLICY).rate).toBe(120);
  });

  it('holds one unhealthy interval right after a decrease, then cuts again', () => {
    const slow = { ...healthy, p95Ms: 900 };
    const cut = nextAdaptiveRate(600, 600, slow, POLICY);
    const held = nextAdaptiveRate(cut.rate, 600, slow, POLICY, cut);
    expect(held).toMatchObject({ rate: 300, verdict: 'hold', reason: 'waiting for the last decrease to show' });
    expect(nextAdaptiveRate(held.rate, 600, slow, POLICY, held)).toMatchObject({ rate: 150, verdict: 'decrease' });
    expect(nextAdaptiveRate(cut.rate, 600, healthy, POLICY, cut)).toMatchObject({ rate: 330, verdict: 'increase' });
  });

  it('holds when the interval had too few answers to tell', () => {
    expect(nextAdaptiveRate(300, 600, { requests: 3, errors: 3, p50Ms: 9_000, p95Ms: 9_000 }, POLICY)).toMatchObject({ rate: 300, verdict: 'hold' });
    expect(nextAdaptiveRate(600, 600, { requests: 0, errors: 0, p50Ms: undefined, p95Ms: undefined }, POLICY)).toMatchObject({ rate: 600, verdict: 'hold' });
  });

  it("climbs back from a quiet origin below the operator's rate (a low rate starves the samples it would need)", () => {
    expect(nextAdaptiveRate(6, 600, { requests: 2, errors: 0, p50Ms: 50, p95Ms: 60 }, POLICY)).toMatchObject({ rate: 36, verdict: 'increase' });
  });

  it('scales the burst down with the rate', () => {
    expect(adaptiveBurst(60, 600, 600)).toBe(60);
    expect(adaptiveBurst(60, 600, 150)).toBe(15);
    expect(adaptiveBurst(60, 600, 1)).toBe(1);
  });
});

describe('origin statistics', () => {
  it('count answers and errors per room, and give p50/p95 of an interval', () => {
    const stats = createOriginStats(() => 0.5);
    for (let ms = 1; ms <= 100; ms++) stats.record('a', ms, ms > 95 ? 'error' : 'ok');
    stats.record('b', 7, 'ok');
    expect(stats.take('a')).toEqual({ requests: 100, errors: 5, p50Ms: 50, p95Ms: 95 });
    expect(stats.take('a')).toEqual({ requests: 0, errors: 0, p50Ms: undefined, p95Ms: undefined });
    expect(stats.last('b')).toBeUndefined();
    expect(stats.take('b').p95Ms).toBe(7);
    stats.started('a');
    stats.started('a');
    stats.finished('a');
    expect(stats.inFlight('a')).toBe(1);
  });
});
