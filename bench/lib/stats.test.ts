import { describe, expect, it } from 'vitest';
import { maxIncreaseInWindow, median, quantile, round, slope } from './stats.js';

describe('benchmark statistics', () => {
  it('takes quantiles by nearest rank and medians of even and odd counts', () => {
    const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(quantile(values, 0.5)).toBe(5);
    expect(quantile(values, 0.9)).toBe(9);
    expect(quantile(values, 0.95)).toBe(10);
    expect(quantile([], 0.5)).toBeNaN();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  it('finds the busiest window of a growing counter', () => {
    const samples: [number, number][] = [
      [0, 0],
      [1000, 2],
      [2000, 10],
      [3000, 11],
      [4000, 20],
      [5000, 21],
    ];
    expect(maxIncreaseInWindow(samples, 1000)).toBe(9);
    expect(maxIncreaseInWindow(samples, 2000)).toBe(10);
    expect(maxIncreaseInWindow(samples, 10_000)).toBe(21);
    expect(maxIncreaseInWindow([], 1000)).toBe(0);
  });

  it('fits a slope and rounds figures', () => {
    expect(
      slope([
        [0, 1],
        [1, 3],
        [2, 5],
      ]),
    ).toBeCloseTo(2);
    expect(
      slope([
        [0, 7],
        [10, 7],
      ]),
    ).toBe(0);
    expect(slope([[0, 1]])).toBe(0);
    expect(round(0.123456)).toBe(0.123);
    expect(round(12.6, true)).toBe(13);
  });
});
