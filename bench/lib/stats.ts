/** Small statistics helpers for benchmark figures. */

/** The q-quantile (0..1) of `values` by nearest rank; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** The median of `values`; NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Least-squares slope of y over x; 0 with fewer than two points. */
export function slope(points: readonly (readonly [number, number])[]): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * The largest increase of a growing counter over any window of `windowMs`, from samples
 * `[timeMs, count]` in time order (the window starts at a sample).
 */
export function maxIncreaseInWindow(samples: readonly (readonly [number, number])[], windowMs: number): number {
  let best = 0;
  let end = 0;
  for (let start = 0; start < samples.length; start++) {
    const [t0, c0] = samples[start]!;
    while (end + 1 < samples.length && samples[end + 1]![0] <= t0 + windowMs) end++;
    if (end < start) continue;
    best = Math.max(best, samples[end]![1] - c0);
  }
  return best;
}

/** Rounds to three decimals (ratios) or to whole numbers when `whole`. */
export function round(value: number, whole = false): number {
  if (!Number.isFinite(value)) return value;
  return whole ? Math.round(value) : Math.round(value * 1000) / 1000;
}
