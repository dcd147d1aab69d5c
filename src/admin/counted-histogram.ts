import type { Metric, Registry } from 'prom-client';

/** One series of a counted histogram: its labels bound once. */
export interface CountedSeries {
  observe(value: number): void;
}

/** What `countedHistogram` returns: its series, made once per label set and kept by the caller. */
export interface CountedHistogram {
  series(labels: Readonly<Record<string, string>>): CountedSeries;
}

interface Counts {
  labels: Readonly<Record<string, string>>;
  /** Observations per bucket, not cumulative; the last is above every bound. */
  perBucket: Float64Array;
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram for a request path: each series counts its observations in a typed array,
 * so observing allocates nothing and hashes no labels (prom-client's `Histogram` builds a label
 * object and a hash string per observation: a few microseconds a request). Read in prom-client's
 * histogram format at scrape time, the same text its `Histogram` writes (`le` first, then the
 * series' labels; `_bucket`, `_sum`, `_count`). The caller makes each series once and keeps it.
 */
export function countedHistogram(registry: Registry, config: { name: string; help: string; buckets: readonly number[] }): CountedHistogram {
  const { name, help } = config;
  const bounds = [...config.buckets].sort((a, b) => a - b);
  const all: Counts[] = [];
  // The registry reads a metric through `get()` (as it reads the plain metrics prom-client's own
  // cluster aggregation registers); a histogram's values are its bucket, sum and count series.
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    async get() {
      const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
      for (const counts of all) {
        let cumulative = 0;
        for (let i = 0; i < bounds.length; i++) {
          cumulative += counts.perBucket[i] ?? 0;
          values.push({ metricName: `${name}_bucket`, labels: { le: bounds[i] as number, ...counts.labels }, value: cumulative });
        }
        values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', ...counts.labels }, value: counts.count });
        values.push({ metricName: `${name}_sum`, labels: { ...counts.labels }, value: counts.sum });
        values.push({ metricName: `${name}_count`, labels: { ...counts.labels }, value: counts.count });
      }
      return { name, help, type: 'histogram', values, aggregator: 'sum' };
    },
    reset() {
      for (const counts of all) {
        counts.perBucket.fill(0);
        counts.sum = 0;
        counts.count = 0;
      }
    },
  };
  registry.registerMetric(metric as unknown as Metric);
  return {
    series(labels) {
      const counts: Counts = { labels: { ...labels }, perBucket: new Float64Array(bounds.length + 1), sum: 0, count: 0 };
      all.push(counts);
      const { perBucket } = counts;
      return {
        observe(value) {
          let i = 0;
          while (i < bounds.length && value > (bounds[i] as number)) i++;
          perBucket[i] = (perBucket[i] ?? 0) + 1;
          counts.sum += value;
          counts.count += 1;
        },
      };
    },
  };
}
