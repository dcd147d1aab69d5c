import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { countedHistogram } from './counted-histogram.js';

const BUCKETS = [0.005, 0.05, 0.5, 5];
const VALUES = [0.001, 0.005, 0.0051, 0.3, 0.5, 4.9, 7, 120];

describe('a counted histogram', () => {
  it("writes what prom-client's Histogram writes for the same observations", async () => {
    const theirs = new Registry();
    const reference = new Histogram({ name: 'h_seconds', help: 'Some durations.', labelNames: ['method', 'room'], buckets: BUCKETS, registers: [theirs] });
    const ours = new Registry();
    const counted = countedHistogram(ours, { name: 'h_seconds', help: 'Some durations.', buckets: BUCKETS });
    const get = counted.series({ method: 'GET', room: 'main' });
    const post = counted.series({ method: 'POST', room: '' });
    for (const value of VALUES) {
      reference.observe({ method: 'GET', room: 'main' }, value);
      get.observe(value);
    }
    reference.observe({ method: 'POST', room: '' }, 0.02);
    post.observe(0.02);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect((await ours.getMetricsAsJSON())[0]).toMatchObject({ name: 'h_seconds', type: 'histogram' });
  });

  it('writes nothing but its help and type before a series exists, and starts again at 0 on reset', async () => {
    const registry = new Registry();
    const counted = countedHistogram(registry, { name: 'h_seconds', help: 'Some durations.', buckets: BUCKETS });
    expect(await registry.metrics()).toBe('# HELP h_seconds Some durations.\n# TYPE h_seconds histogram\n');
    counted.series({ room: 'main' }).observe(1);
    expect(await registry.metrics()).toContain('h_seconds_count{room="main"} 1\n');
    registry.resetMetrics();
    expect(await registry.metrics()).toContain('h_seconds_count{room="main"} 0\n');
  });
});
