import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import type { Backlog } from '../submissions/store.js';
import { createHttpServerStats } from '../telemetry/http-server-stats.js';
import { createAdminMetrics } from './metrics.js';

const snapshots = { view: () => undefined, refresh: async () => undefined, start: () => undefined, stop: () => undefined };
const rooms = parseConfig({
  rooms: [{ id: 'main', match: ['/'], maxActive: 2, admitPerMinute: 60, submissions: { routes: [{ path: '/apply/submit', defer: 'always' }] } }],
}).rooms;

/** The value of series `name{labels}` in Prometheus text (NaN when absent). */
function seriesValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : Number.NaN;
}

describe('the admin metrics', () => {
  it('tell the age of the oldest waiting submission from the clock at scrape time, 0 when none waits', async () => {
    let now = Date.UTC(2026, 0, 1, 8);
    let backlog: Backlog = { waiting: 1, delivering: 0, retrying: 0, dead: 0, oldestAt: now - 90_000 };
    const metrics = createAdminMetrics({ rooms, snapshots, counters: { passthrough: new Map(), bypass: new Map() }, backlog: () => backlog, clock: () => now });
    expect(seriesValue(await metrics.render(), 'sanh_submissions_oldest_waiting_seconds{room="main"}')).toBe(90);
    now += 30_000;
    expect(seriesValue(await metrics.render(), 'sanh_submissions_oldest_waiting_seconds{room="main"}')).toBe(120);
    backlog = { ...backlog, waiting: 0, oldestAt: null };
    expect(seriesValue(await metrics.render(), 'sanh_submissions_oldest_waiting_seconds{room="main"}')).toBe(0);
  });

  it('export the public answers with bounded labels: configured rooms only, under standard names', async () => {
    const stats = createHttpServerStats();
    const metrics = createAdminMetrics({
      rooms,
      snapshots,
      counters: { passthrough: new Map(), bypass: new Map() },
      backlog: () => undefined,
      httpServerStats: stats,
    });
    stats.record('GET', 200, 'main', 'admitted', 0.02);
    stats.record('GET', 200, 'main', 'admitted', 0.2);
    stats.record('GET', 200, 'not-a-room', 'admitted', 0.02);
    stats.record('BREW', 418, null, 'whatever', 0.001);
    const text = await metrics.render();
    const series = (labels: string) => `http_server_request_duration_seconds_count{${labels}}`;
    expect(seriesValue(text, series('http_request_method="GET",http_response_status_code="200",sanh_room="main",sanh_state="admitted"'))).toBe(2);
    expect(seriesValue(text, series('http_request_method="GET",http_response_status_code="200",sanh_room="",sanh_state="admitted"'))).toBe(1);
    expect(seriesValue(text, series('http_request_method="_OTHER",http_response_status_code="418",sanh_room="",sanh_state=""'))).toBe(1);
    expect(
      seriesValue(
        text,
        'http_server_request_duration_seconds_bucket{le="0.025",http_request_method="GET",http_response_status_code="200",sanh_room="main",sanh_state="admitted"}',
      ),
    ).toBe(1);
    expect(text).not.toContain('not-a-room');
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(text).not.toMatch(/^sanh_(process|nodejs)_/m);
  });
});
