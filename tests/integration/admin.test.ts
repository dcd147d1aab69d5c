import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminSanh } from '../helpers/admin-sanh.js';
import { parseConfig } from '../../src/config/load.js';
import type { NodeSanh } from '../../src/entry/node-server.js';
import type { ReceiptView } from '../../src/submissions/view.js';
import { uniquePrefix } from '../helpers/redis.js';
import { startTestOrigin, type TestOrigin } from '../helpers/test-origin.js';
import { Visitor, overHttp } from '../helpers/visitor.js';

const OPERATE = 'o'.repeat(32);
const READ = 'r'.repeat(32);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The `_count` series of histogram `name` in Prometheus text, summed over the series whose labels include `labels`. */
function histogramCount(text: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const series = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
    if (series?.[1] !== `${name}_count`) continue;
    const found = Object.fromEntries([...(series[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) total += Number(series[3]);
  }
  return total;
}

/** The admin listener of a real Sảnh on Redis: its own port, bearer tokens, live figures, dead letters, Prometheus metrics. */
describe('the admin listener', () => {
  let sanh: NodeSanh;
  let portal: TestOrigin;
  const admin = (path: string, token: string | undefined, init: RequestInit = {}) =>
    fetch(`${sanh.adminUrl}${path}`, {
      ...init,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string>) },
    });

  beforeAll(async () => {
    portal = await startTestOrigin();
    const config = parseConfig({
      rooms: [{ id: 'main', match: ['/'], maxActive: 2, admitPerMinute: 600, submissions: { routes: [{ path: '/apply/submit', defer: 'always' }] } }],
      snapshotIntervalMs: 100,
      submissions: { delivery: { maxAttempts: 1 } },
      redis: { keyPrefix: uniquePrefix('admin') },
    });
    sanh = await startAdminSanh({ config, originUrl: portal.url, tokens: `ops:operate:${OPERATE},grafana:read:${READ}` });
  });
  afterAll(async () => {
    await sanh?.close();
    await portal?.close();
  });

  it('listens on its own port, and the public port serves none of it', async () => {
    expect(sanh.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sanh.adminUrl).not.toBe(sanh.url);
    const publicMetrics = await fetch(`${sanh.url}/metrics`, { headers: { authorization: `Bearer ${OPERATE}` } });
    const publicText = await publicMetrics.text();
    expect(publicText).not.toContain('sanh_room_');
    expect(publicText).not.toContain('http_server_request_duration_seconds');
    expect(publicText).not.toContain('process_cpu_seconds_total');
  });

  it('refuses to start when the admin port is taken', async () => {
    const taken = Number(new URL(sanh.adminUrl as string).port);
    await expect(
      startAdminSanh({ config: parseConfig({ redis: { keyPrefix: uniquePrefix('admin-taken') } }), originUrl: portal.url, tokens: OPERATE, adminPort: taken }),
    ).rejects.toThrow(/EADDRINUSE/);
  });

  it('asks for a bearer token, and lets a read token read but not change', async () => {
    const bare = await admin('/api/rooms', undefined);
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toContain('Bearer');
    expect(await bare.json()).toMatchObject({ error: { code: 'unauthorized' } });
    expect((await admin('/api/rooms', 'x'.repeat(32))).status).toBe(401);
    expect((await admin('/api/rooms', READ)).status).toBe(200);
    const refused = await admin('/api/dead-letters/main.AAAAAAAAAAAAAAAAAAAAAA/retry', READ, { method: 'POST' });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toContain('insufficient_scope');
    expect((await admin('/api/nothing', READ)).status).toBe(404);
  });

  it('shows each room with live figures, and the same in /metrics for a real Prometheus parser', async () => {
    // The public-port test's request holds one of the two slots.
    const first = new Visitor(overHttp(sanh.url));
    const second = new Visitor(overHttp(sanh.url));
    expect((await first.page('/apply')).headers.get('sanh-state')).toBe('admitted');
    expect((await second.page('/apply')).headers.get('sanh-state')).toBe('queued');
    await sleep(400);
    const rooms = (await (await admin('/api/rooms', READ)).json()) as {
      rooms: { id: string; live: { active: number; waiting: number } | null; limits: { maxActive: number } }[];
    };
    expect(rooms.rooms).toHaveLength(1);
    expect(rooms.rooms[0]).toMatchObject({ id: 'main', mode: 'open', limits: { maxActive: 2, admitPerMinute: 600 }, live: { active: 2, waiting: 1 } });
    expect(await (await admin('/api/rooms/main', READ)).json()).toMatchObject({ id: 'main', live: { waiting: 1 } });
    expect((await admin('/api/rooms/nope', READ)).status).toBe(404);

    const scraped = await admin('/metrics', READ);
    expect(scraped.headers.get('content-type')).toContain('text/plain');
    const families = parsePrometheusTextFormat(await scraped.text());
    const family = (name: string) => families.find((f) => f.name === name);
    const value = (name: string, labels: Record<string, string> = { room: 'main' }) =>
      Number(family(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value);
    expect(family('sanh_room_active_visitors')?.type).toBe('GAUGE');
    expect(value('sanh_room_active_visitors')).toBe(2);
    expect(value('sanh_room_queue_length_visitors')).toBe(1);
    expect(value('sanh_room_max_active_visitors')).toBe(2);
    expect(value('sanh_room_admit_limit_per_second')).toBe(10);
    expect(value('sanh_room_mode', { room: 'main', mode: 'open' })).toBe(1);
    expect(value('sanh_room_mode', { room: 'main', mode: 'paused' })).toBe(0);
    expect(family('sanh_room_admissions_total')?.type).toBe('COUNTER');
    expect(value('sanh_room_admissions_total')).toBeGreaterThanOrEqual(1);
    // prom-client's process and Node.js metrics under their standard names, none under sanh_.
    expect(family('process_cpu_seconds_total')?.type).toBe('COUNTER');
    expect(family('process_resident_memory_bytes')?.type).toBe('GAUGE');
    expect(family('nodejs_eventloop_lag_seconds')?.type).toBe('GAUGE');
    expect(family('nodejs_heap_size_used_bytes')?.type).toBe('GAUGE');
    expect(families.filter((f) => /^sanh_(process|nodejs)_/.test(f.name)).map((f) => f.name)).toEqual([]);
    expect(family('http_server_request_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(family('sanh_store_errors_total')?.type).toBe('COUNTER');
    expect(family('sanh_room_wait_seconds')?.type).toBe('HISTOGRAM');

    // The queued visitor is admitted once a slot opens: their wait is observed; a draft saved is counted.
    const patched = await admin('/api/rooms/main/settings', OPERATE, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ maxActive: 3 }),
    });
    expect(patched.status).toBe(200);
    let admitted = await second.page('/apply');
    for (let i = 0; i < 20 && admitted.headers.get('sanh-state') !== 'admitted'; i++) {
      await sleep(100);
      admitted = await second.page('/apply');
    }
    expect(admitted.headers.get('sanh-state')).toBe('admitted');
    const draft = await fetch(`${sanh.url}/_sanh/drafts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ formId: 'metrics-form', fields: { a: '1' } }),
    });
    expect(draft.status).toBe(201);
    const text = await (await admin('/metrics', READ)).text();
    const later = parsePrometheusTextFormat(text);
    // The parser keeps a histogram's buckets (not its labels, sum or count): the sum is read from the text.
    const histogram = later.find((f) => f.name === 'sanh_room_wait_seconds')?.metrics[0] as { buckets: Record<string, string> } | undefined;
    expect(histogram?.buckets).toMatchObject({ '60': '1', '28800': '1', '+Inf': '1' });
    expect(text).toContain('sanh_room_wait_seconds_count{room="main"} 1');
    const sum = Number(/^sanh_room_wait_seconds_sum\{room="main"\} (\S+)$/m.exec(text)?.[1]);
    expect(sum).toBeGreaterThan(0.1);
    expect(sum).toBeLessThan(60);
    expect(Number(later.find((f) => f.name === 'sanh_drafts_saved_total')?.metrics[0]?.value)).toBe(1);
    // Every origin answer is observed, by outcome: the admitted visitors' pages reached the origin.
    expect(later.find((f) => f.name === 'sanh_origin_request_duration_seconds')?.type).toBe('HISTOGRAM');
    const originCount = Number(/^sanh_origin_request_duration_seconds_count\{room="main",outcome="ok"\} (\S+)$/m.exec(text)?.[1]);
    expect(originCount).toBeGreaterThanOrEqual(3);
    await admin('/api/rooms/main/settings', OPERATE, { method: 'DELETE' });
  });

  it('counts every public answer once in http_server_request_duration_seconds, by method, status, room and state', async () => {
    const name = 'http_server_request_duration_seconds';
    const before = await (await admin('/metrics', READ)).text();
    await admin('/api/rooms/main/settings', OPERATE, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ maxActive: 10 }),
    });
    // An admitted visitor's pages, proxied: the test portal answers 404 to anything but POST /apply/submit.
    const admitted = new Visitor(overHttp(sanh.url));
    const first = await admitted.page('/apply');
    expect([first.status, first.headers.get('sanh-state')]).toEqual([404, 'admitted']);
    expect((await admitted.page('/apply/step/1')).status).toBe(404);
    await admin('/api/rooms/main/settings', OPERATE, { method: 'DELETE' });
    // The room is full again: a newcomer is seated (the gate's 503), then polls (answered from memory).
    const seated = new Visitor(overHttp(sanh.url));
    const seat = await seated.page('/apply');
    expect([seat.status, seat.headers.get('sanh-state')]).toEqual([503, 'queued']);
    expect((await seated.status('main')).state).toBe('queued');
    // An error of Sảnh's own, mapped by the error mapper; a method the conventions do not name.
    expect((await fetch(`${sanh.url}/_sanh/nothing`)).status).toBe(404);
    expect((await fetch(`${sanh.url}/apply`, { method: 'PROPFIND' })).headers.get('sanh-state')).toBe('queued');
    const after = await (await admin('/metrics', READ)).text();
    const increase = (labels: Record<string, string>) => histogramCount(after, name, labels) - histogramCount(before, name, labels);
    const by = (method: string, status: string, room: string, state: string) => ({
      http_request_method: method,
      http_response_status_code: status,
      sanh_room: room,
      sanh_state: state,
    });
    expect(increase(by('GET', '404', 'main', 'admitted'))).toBe(2);
    expect(increase(by('GET', '503', 'main', 'queued'))).toBe(1);
    expect(increase(by('GET', '200', 'main', 'queued'))).toBe(1);
    expect(increase(by('GET', '404', '', ''))).toBe(1);
    expect(increase(by('_OTHER', '503', 'main', 'queued'))).toBe(1);
    expect(increase({ http_request_method: 'PROPFIND' })).toBe(0);
    // Every public answer once: the two scrapes went to the admin listener, not counted.
    expect(increase({})).toBe(6);
    // Errors are the 5xx of the histogram; here only the two seats, outcomes the state tells apart.
    expect(increase({ http_response_status_code: '503' })).toBe(2);
    expect(increase({ http_response_status_code: '503', sanh_state: 'queued' })).toBe(2);
    const sum = (text: string) =>
      Number(
        /^http_server_request_duration_seconds_sum\{http_request_method="GET",http_response_status_code="404",sanh_room="main",sanh_state="admitted"\} (\S+)$/m.exec(
          text,
        )?.[1] ?? 0,
      );
    expect(sum(after)).toBeGreaterThan(sum(before));
  });

  it('tells the age of the oldest submission waiting for delivery, and 0 once it is delivered', async () => {
    const oldest = async () => {
      const families = parsePrometheusTextFormat(await (await admin('/metrics', READ)).text());
      return Number(families.find((f) => f.name === 'sanh_submissions_oldest_waiting_seconds')?.metrics.find((m) => m.labels?.room === 'main')?.value);
    };
    const until = async (check: (age: number) => boolean) => {
      let age = await oldest();
      for (let i = 0; i < 50 && !check(age); i++) {
        await sleep(100);
        age = await oldest();
      }
      return age;
    };
    expect(await until((age) => age === 0)).toBe(0);
    // While the room is paused its submissions are kept and wait.
    expect((await admin('/api/rooms/main/pause', OPERATE, { method: 'POST' })).status).toBe(200);
    const answer = await fetch(`${sanh.url}/apply/submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: 'n=oldest',
    });
    expect(answer.status).toBe(202);
    const receipt = (await answer.json()) as ReceiptView;
    await sleep(300);
    const waiting = await until((age) => age > 0.3);
    expect(waiting).toBeGreaterThan(0.3);
    expect(waiting).toBeLessThan(30);
    expect((await admin('/api/rooms/main/settings', OPERATE, { method: 'DELETE' })).status).toBe(200);
    expect(await until((age) => age === 0)).toBe(0);
    const state = ((await (await fetch(`${sanh.url}${receipt.statusUrl}`, { headers: { accept: 'application/json' } })).json()) as ReceiptView).state;
    expect(state).toBe('delivered');
  }, 20_000);

  it('lists, retries and drops dead letters', async () => {
    portal.busy(1);
    const answer = await fetch(`${sanh.url}/apply/submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: 'n=1',
    });
    const receipt = (await answer.json()) as ReceiptView;
    const deadline = Date.now() + 10_000;
    let dead: { id: string; failure: string }[] = [];
    while (dead.length === 0 && Date.now() < deadline) {
      await sleep(100);
      dead = ((await (await admin('/api/rooms/main/dead-letters', READ)).json()) as { deadLetters: { id: string; failure: string }[] }).deadLetters;
    }
    expect(dead).toEqual([expect.objectContaining({ id: receipt.receiptId, failure: 'attempts' })]);
    portal.busy(undefined);
    const retried = await admin(`/api/dead-letters/${receipt.receiptId}/retry`, OPERATE, { method: 'POST' });
    expect(retried.status).toBe(200);
    expect(await retried.json()).toEqual({ receiptId: receipt.receiptId, done: 'retry' });
    while (Date.now() < deadline + 10_000) {
      const state = ((await (await fetch(`${sanh.url}${receipt.statusUrl}`, { headers: { accept: 'application/json' } })).json()) as ReceiptView).state;
      if (state === 'delivered') break;
      await sleep(100);
    }
    expect(((await (await fetch(`${sanh.url}${receipt.statusUrl}`, { headers: { accept: 'application/json' } })).json()) as ReceiptView).state).toBe(
      'delivered',
    );
    expect((await admin(`/api/dead-letters/${receipt.receiptId}`, OPERATE, { method: 'DELETE' })).status).toBe(404);
    expect((await admin('/api/dead-letters/not-a-receipt/retry', OPERATE, { method: 'POST' })).status).toBe(400);
  }, 30_000);
});
