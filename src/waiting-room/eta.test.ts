import { describe, expect, it } from 'vitest';
import type { RoomSnapshot } from './core.js';
import { admissionRate, estimateWaitSeconds, newRateMeter, observe, pollAfterSeconds } from './eta.js';

const snap = (at: number, admittedTotal: number, waiting: number, epoch = 'e'): RoomSnapshot => ({
  epoch,
  frontier: admittedTotal,
  nextTicket: admittedTotal + waiting + 1,
  waiting,
  active: 0,
  abandonedTotal: 0,
  returned: 0,
  tokens: 0,
  admittedTotal,
  at,
});

describe('admission rate and wait estimate', () => {
  it('is not known until enough waiting time was observed', () => {
    let meter = newRateMeter();
    for (let s = 0; s <= 5; s++) meter = observe(meter, snap(s * 1000, s * 2, 50));
    expect(admissionRate(meter)).toBeUndefined();
    expect(estimateWaitSeconds(10, admissionRate(meter))).toBeUndefined();
  });

  it('converges on a steady rate and ignores time when nobody waits', () => {
    let meter = newRateMeter();
    let total = 0;
    for (let s = 0; s <= 300; s++) meter = observe(meter, snap(s * 1000, (total += s <= 100 ? 5 : 2), s <= 100 ? 0 : 40));
    expect(admissionRate(meter)).toBeCloseTo(2, 5);
    expect(estimateWaitSeconds(120, admissionRate(meter))).toBe(60);
  });

  it('follows a change of rate within a few minutes', () => {
    let meter = newRateMeter();
    let total = 0;
    for (let s = 0; s <= 600; s++) meter = observe(meter, snap(s * 250, (total += s <= 300 ? 1 : 0.5), 100));
    const rate = admissionRate(meter) ?? 0;
    expect(rate).toBeGreaterThan(2);
    expect(rate).toBeLessThan(3);
  });

  it('starts over when the line begins a new lifetime', () => {
    let meter = newRateMeter();
    for (let s = 0; s <= 30; s++) meter = observe(meter, snap(s * 1000, s, 10));
    expect(admissionRate(meter)).toBeDefined();
    meter = observe(meter, snap(31_000, 0, 10, 'new'));
    expect(admissionRate(meter)).toBeUndefined();
  });

  it('polls soon near the front, rarely far back, within the no-show window', () => {
    expect(pollAfterSeconds(1, 1, 60)).toBe(2);
    expect(pollAfterSeconds(5000, 3600, 60)).toBe(20);
    expect(pollAfterSeconds(5000, 3600, 300)).toBe(30);
    expect(pollAfterSeconds(3, undefined, 60)).toBe(3);
    expect(pollAfterSeconds(3, undefined, 6)).toBe(2);
  });
});
