import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { createAdminMetrics } from './metrics.js';

/** The Grafana dashboard shipped in deploy/ asks only for metrics Sảnh exports (its own sanh_*, and process_*, nodejs_*, http_server_*). */
describe('deploy/grafana/sanh-dashboard.json', () => {
  it('is valid JSON whose every query names exported metrics', async () => {
    const dashboard = JSON.parse(await readFile(new URL('../../deploy/grafana/sanh-dashboard.json', import.meta.url), 'utf8')) as {
      panels: { targets: { expr: string }[] }[];
    };
    const rooms = parseConfig({}).rooms;
    const metrics = createAdminMetrics({
      rooms,
      snapshots: { view: () => undefined, refresh: async () => undefined, start: () => undefined, stop: () => undefined },
      counters: { passthrough: new Map(), bypass: new Map() },
      backlog: () => undefined,
    });
    const exported = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
    // A histogram's series are its name with _bucket, _sum or _count.
    const histograms = new Set((await metrics.registry.getMetricsAsJSON()).filter((m) => String(m.type) === 'histogram').map((m) => m.name));
    const seriesOf = (name: string) => name.replace(/_(bucket|sum|count)$/, '');
    // Metric names, not label names (sanh_room, sanh_state): label matchers and by/on lists left out.
    const metricNames = (expr: string) =>
      expr
        .replace(/\{[^}]*\}/g, '')
        .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
        .match(/\b(?:sanh|process|nodejs|http_server)_[a-z0-9_]+/g) ?? [];
    const named = new Set(
      dashboard.panels
        .flatMap((panel) => panel.targets.flatMap((target) => metricNames(target.expr)))
        .map((name) => (histograms.has(seriesOf(name)) ? seriesOf(name) : name)),
    );
    expect(named.size).toBeGreaterThan(10);
    // prom-client's and the HTTP conventions' metrics under their standard names, none under sanh_.
    expect(named).toContain('process_resident_memory_bytes');
    expect(named).toContain('http_server_request_duration_seconds');
    expect([...named].filter((name) => /^sanh_(process|nodejs)_/.test(name))).toEqual([]);
    for (const name of named) expect(exported, name).toContain(name);
  });
});
