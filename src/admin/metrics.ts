import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ROOM_MODES, type RoomConfig } from '../config/schema.js';
import type { Backlog } from '../submissions/store.js';
import type { GateCounters } from '../waiting-room/gate.js';
import type { SnapshotLoop } from '../waiting-room/snapshots.js';
import type { WaitTimes } from '../waiting-room/wait-times.js';
import type { DraftStats } from '../drafts/index.js';
import type { StoreErrorCounts } from '../platform/store-errors.js';
import type { AdaptiveController } from '../adaptive/controller.js';
import type { OriginOutcome, OriginStats } from '../adaptive/origin-stats.js';
import type { HttpServerStats } from '../telemetry/http-server-stats.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { countedHistogram, type CountedSeries } from './counted-histogram.js';
import { roomFigures } from './figures.js';

/** What the metrics are read from (this instance's view; every instance exports its own). */
export interface MetricsSources {
  rooms: readonly RoomConfig[];
  snapshots: SnapshotLoop;
  counters: GateCounters;
  backlog(room: string): Backlog | undefined;
  originStats?: OriginStats;
  adaptive?: AdaptiveController;
  /** The waits of visitors admitted from the line, as they are admitted. */
  waits?: Pick<WaitTimes, 'listen'>;
  drafts?: DraftStats;
  storeErrors?: Pick<StoreErrorCounts, 'totals'>;
  /** Whether the store answered its last health check (`sanh_store_up`). */
  storeUp?: () => boolean;
  /** The public listener's answers (`http_server_request_duration_seconds`); absent: the histogram stays empty. */
  httpServerStats?: Pick<HttpServerStats, 'listen'>;
  /** The process's clock (the stores' backlog times are on it), read at scrape time for ages; default the wall clock. */
  clock?: Clock;
}

/** Buckets of `sanh_room_wait_seconds`: from seconds to hours (a long wait on the worst day is several hours). */
export const WAIT_BUCKETS_SECONDS = [1, 5, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 14_400, 28_800];

/** Buckets of `sanh_origin_request_duration_seconds`: from a fast page to the origin timeout's range. */
export const ORIGIN_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Buckets of `http_server_request_duration_seconds`: the OpenTelemetry HTTP conventions' advice, then 30 s (the origin timeout's range). */
export const HTTP_SERVER_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30];

/** The Prometheus registry of the admin listener's `/metrics`. */
export interface AdminMetrics {
  registry: Registry;
  render(): Promise<string>;
  contentType: string;
}

/**
 * Sảnh's metrics in Prometheus' text format (`prom-client`), read from this instance's snapshot
 * when scraped, so a scrape costs no store round trip. Names and units are stable (see the
 * docs/operators.md, *Metrics*); counters that Sảnh keeps as running totals per line (admissions) are turned
 * into Prometheus counters by their increase since the last scrape. Sảnh's own names start with
 * `sanh_`; prom-client's process and Node.js metrics keep their standard names (`process_*`,
 * `nodejs_*`) and the public listener's requests theirs from the OpenTelemetry HTTP conventions
 * (`http_server_request_duration_seconds`), so stock dashboards read them.
 */
export function createAdminMetrics(sources: MetricsSources): AdminMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const clock = sources.clock ?? systemClock;
  const figuresNow = () => sources.rooms.map((room) => roomFigures(room, sources.snapshots, sources));
  /** The rooms' figures of the scrape under way, read once for every gauge. */
  let scraped: ReturnType<typeof figuresNow> | undefined;
  const figures = () => scraped ?? figuresNow();
  const gauge = (name: string, help: string, labelNames: string[], read: (set: (labels: Record<string, string>, value: number) => void) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        read((labels, value) => this.set(labels, value));
      },
    });

  gauge('sanh_room_active_visitors', 'Admitted visitors active in the room (sessions plus slots held for called visitors).', ['room'], (set) => {
    for (const f of figures()) if (f.live) set({ room: f.id }, f.live.active);
  });
  gauge('sanh_room_max_active_visitors', "The room's maxActive.", ['room'], (set) => {
    for (const room of sources.rooms) set({ room: room.id }, room.maxActive);
  });
  gauge('sanh_room_queue_length_visitors', 'Visitors waiting in line.', ['room'], (set) => {
    for (const f of figures()) if (f.live) set({ room: f.id }, f.live.waiting);
  });
  gauge('sanh_room_admission_rate_per_second', 'Admissions per second while people wait, as measured.', ['room'], (set) => {
    for (const f of figures()) if (f.live?.admissionRatePerSecond != null) set({ room: f.id }, f.live.admissionRatePerSecond);
  });
  gauge('sanh_room_admit_limit_per_second', "The room's configured admission rate (admitPerMinute / 60).", ['room'], (set) => {
    for (const room of sources.rooms) set({ room: room.id }, room.admitPerMinute / 60);
  });
  gauge('sanh_room_adaptive_rate_per_second', 'The admission rate adaptive admission allows now (rooms that adapt).', ['room'], (set) => {
    for (const f of figures()) if (f.adaptive) set({ room: f.id }, f.adaptive.ratePerMinute / 60);
  });
  gauge('sanh_origin_latency_p95_seconds', "The origin's p95 time to answer in the last control interval, as this instance proxied.", ['room'], (set) => {
    for (const f of figures()) if (f.origin.p95Ms !== null) set({ room: f.id }, f.origin.p95Ms / 1000);
  });
  gauge('sanh_origin_error_ratio', 'Share of origin answers that were 5xx, timeouts or unreachable in the last control interval.', ['room'], (set) => {
    for (const f of figures()) if (f.origin.requests) set({ room: f.id }, (f.origin.errors ?? 0) / f.origin.requests);
  });
  gauge('sanh_origin_in_flight_requests', 'Requests sent to the origin and not answered yet.', ['room'], (set) => {
    for (const f of figures()) set({ room: f.id }, f.origin.inFlight);
  });
  gauge('sanh_room_wait_estimate_seconds', 'The wait a visitor arriving now would be told.', ['room'], (set) => {
    for (const f of figures()) if (f.live?.waitForNewArrivalSeconds != null) set({ room: f.id }, f.live.waitForNewArrivalSeconds);
  });
  gauge('sanh_room_mode', "The room's mode: 1 for the current one.", ['room', 'mode'], (set) => {
    for (const room of sources.rooms) for (const mode of ROOM_MODES) set({ room: room.id, mode }, room.mode === mode ? 1 : 0);
  });
  gauge('sanh_submissions_pending', 'Deferred submissions not yet delivered, by state.', ['room', 'state'], (set) => {
    for (const room of sources.rooms) {
      const backlog = room.submissions ? sources.backlog(room.id) : undefined;
      if (!backlog) continue;
      set({ room: room.id, state: 'waiting' }, backlog.waiting);
      set({ room: room.id, state: 'delivering' }, backlog.delivering);
      set({ room: room.id, state: 'retrying' }, backlog.retrying);
    }
  });
  gauge(
    'sanh_submissions_waiting_bytes',
    "Bytes the room's deferred submissions not yet delivered take in the store, as counted against maxWaitingBytes.",
    ['room'],
    (set) => {
      for (const room of sources.rooms) {
        const backlog = room.submissions ? sources.backlog(room.id) : undefined;
        if (backlog?.bytes !== undefined) set({ room: room.id }, backlog.bytes);
      }
    },
  );
  gauge(
    'sanh_submissions_waiting_bytes_limit',
    "The room's maxWaitingBytes: past it new deferred submissions are refused (503), the citizen's form kept.",
    ['room'],
    (set) => {
      for (const room of sources.rooms) if (room.submissions) set({ room: room.id }, room.submissions.maxWaitingBytes);
    },
  );
  gauge('sanh_submissions_dead_letters', 'Deferred submissions in the dead letters.', ['room'], (set) => {
    for (const room of sources.rooms) {
      const backlog = room.submissions ? sources.backlog(room.id) : undefined;
      if (backlog) set({ room: room.id }, backlog.dead);
    }
  });
  gauge(
    'sanh_submissions_oldest_waiting_seconds',
    "Age of the room's oldest deferred submission not yet delivered (waiting, delivering or retrying); 0 when none waits.",
    ['room'],
    (set) => {
      const now = clock();
      for (const room of sources.rooms) {
        const backlog = room.submissions ? sources.backlog(room.id) : undefined;
        if (backlog) set({ room: room.id }, backlog.oldestAt === null ? 0 : Math.max(0, now - backlog.oldestAt) / 1000);
      }
    },
  );

  const seen = new Map<string, { epoch: string; admitted: number }>();
  new Counter({
    name: 'sanh_room_admissions_total',
    help: 'Visitors admitted (called from the line or let in at once).',
    labelNames: ['room'],
    registers: [registry],
    collect() {
      for (const room of sources.rooms) {
        const view = sources.snapshots.view(room.id);
        if (!view) continue;
        const last = seen.get(room.id);
        const now = view.snapshot.admittedTotal;
        const increase = last && last.epoch === view.snapshot.epoch ? Math.max(0, now - last.admitted) : now;
        seen.set(room.id, { epoch: view.snapshot.epoch, admitted: now });
        this.inc({ room: room.id }, increase);
      }
    },
  });
  /** A counter of running totals Sảnh keeps (by one label), increased by their growth since the last scrape. */
  const totalsCounter = (name: string, help: string, label: string, read: () => Iterable<readonly [string, number]>) => {
    const last = new Map<string, number>();
    new Counter({
      name,
      help,
      labelNames: [label],
      registers: [registry],
      collect() {
        for (const [value, count] of read()) {
          this.inc({ [label]: value }, Math.max(0, count - (last.get(value) ?? 0)));
          last.set(value, count);
        }
      },
    });
  };
  totalsCounter('sanh_gate_passthrough_requests_total', 'Requests let through by a room in passthrough mode.', 'room', () => sources.counters.passthrough);
  totalsCounter('sanh_gate_bypass_requests_total', 'Requests that skipped the line by a bypass rule or a staff pass.', 'room', () => sources.counters.bypass);
  totalsCounter(
    'sanh_store_errors_total',
    'Store operations that failed (unreachable, timed out or refused), by domain.',
    'domain',
    () => sources.storeErrors?.totals() ?? [],
  );
  const storeUp = sources.storeUp;
  if (storeUp)
    gauge('sanh_store_up', '1 while the store answers its health check (every second), 0 while it is down.', [], (set) => set({}, storeUp() ? 1 : 0));
  let savedBefore = 0;
  new Counter({
    name: 'sanh_drafts_saved_total',
    help: 'Draft writes this instance accepted (new drafts and saves).',
    registers: [registry],
    collect() {
      const saved = sources.drafts?.savedTotal() ?? 0;
      this.inc(Math.max(0, saved - savedBefore));
      savedBefore = saved;
    },
  });
  const storageOf = (store: string) => (store === 'drafts' ? sources.drafts?.storage?.() : sources.drafts?.attachmentStorage?.());
  gauge(
    'sanh_drafts_stored_bytes',
    'Bytes the live drafts (store="drafts": field values plus 1 KiB each) or the stored attachments (store="attachments": their Upload-Length) take, as counted against their limit; read every 15 s.',
    ['store'],
    (set) => {
      for (const store of ['drafts', 'attachments']) {
        const figures = storageOf(store);
        if (figures) set({ store }, figures.usedBytes);
      }
    },
  );
  gauge(
    'sanh_drafts_stored_bytes_limit',
    'The limit of sanh_drafts_stored_bytes: drafts.limits.maxStoredBytes or drafts.uploads.maxStoredBytes; past it new drafts and uploads answer 507, nothing saved is touched.',
    ['store'],
    (set) => {
      for (const store of ['drafts', 'attachments']) {
        const figures = storageOf(store);
        if (figures) set({ store }, figures.budgetBytes);
      }
    },
  );
  const waits = new Histogram({
    name: 'sanh_room_wait_seconds',
    help: 'How long visitors admitted from the line waited, from their ticket to their admission.',
    labelNames: ['room'],
    buckets: WAIT_BUCKETS_SECONDS,
    registers: [registry],
  });
  sources.waits?.listen((room, seconds) => waits.observe({ room }, seconds));
  const originDurations = new Histogram({
    name: 'sanh_origin_request_duration_seconds',
    help: "Time to the origin's answer headers for every request Sảnh sent it (proxied and delivered), by outcome (ok; error: 5xx, timeout, unreachable).",
    labelNames: ['room', 'outcome'],
    buckets: ORIGIN_BUCKETS_SECONDS,
    registers: [registry],
  });
  // One child per room and outcome, kept: a proxied request's observation builds no label object.
  const originChildren = new Map<string, Record<OriginOutcome, { observe(seconds: number): void }>>();
  const originChild = (room: string, outcome: OriginOutcome) => {
    let children = originChildren.get(room);
    if (!children) {
      children = { ok: originDurations.labels({ room, outcome: 'ok' }), error: originDurations.labels({ room, outcome: 'error' }) };
      originChildren.set(room, children);
    }
    return children[outcome];
  };
  sources.originStats?.listen((room, latencyMs, outcome) => originChild(room, outcome).observe(latencyMs / 1000));
  // Every public answer is observed: a counted histogram (no allocation per observation), one
  // series per method, status, room and state, kept in nested maps, so an answer builds no key and
  // no label object. Every label is bounded: the methods the conventions name (else _OTHER), HTTP
  // statuses, the configured rooms ('' for another Sanh-Room), Sảnh's states.
  const httpDurations = countedHistogram(registry, {
    name: 'http_server_request_duration_seconds',
    help: "Time to the answer's headers of every request to the public listener (OpenTelemetry http.server.request.duration), by method, status, and Sảnh's room and state.",
    buckets: HTTP_SERVER_BUCKETS_SECONDS,
  });
  const roomIds = new Set(sources.rooms.map((room) => room.id));
  const httpChildren = new Map<string, Map<number, Map<string, Map<string, CountedSeries>>>>();
  const httpChild = (method: string, status: number, room: string, state: string): CountedSeries => {
    let byStatus = httpChildren.get(method);
    if (!byStatus) httpChildren.set(method, (byStatus = new Map()));
    let byRoom = byStatus.get(status);
    if (!byRoom) byStatus.set(status, (byRoom = new Map()));
    let byState = byRoom.get(room);
    if (!byState) byRoom.set(room, (byState = new Map()));
    let child = byState.get(state);
    if (!child) {
      child = httpDurations.series({ http_request_method: method, http_response_status_code: String(status), sanh_room: room, sanh_state: state });
      byState.set(state, child);
    }
    return child;
  };
  sources.httpServerStats?.listen((method, status, room, state, seconds) =>
    httpChild(method, status, room !== null && roomIds.has(room) ? room : '', state).observe(seconds),
  );

  async function render(): Promise<string> {
    scraped = figuresNow();
    try {
      return await registry.metrics();
    } finally {
      scraped = undefined;
    }
  }
  return { registry, render, contentType: registry.contentType };
}
