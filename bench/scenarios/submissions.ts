/**
 * `submissions`: store-and-forward submissions on Redis. First acceptance: POSTs to a route that
 * always defers, each a different form of about 300 bytes, answered 202 with a receipt, against
 * a Hono app doing one Redis round trip per request with the same bodies (forwarding idle: the
 * room delivers almost nothing). Then delivery: submissions accepted through two Sảnh instances
 * on one Redis are forwarded to a counting origin at the room's `deliverPerMinute`; the origin
 * counts what arrives, per `Idempotency-Key`, and when.
 */
import { randomBytes } from 'node:crypto';
import type autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { freePort } from '../../tests/helpers/redis-server.js';
import { compare, type Target } from '../lib/load.js';
import { CORES, startNodeServer, startRedis } from '../lib/processes.js';
import { LOAD_FROM_ONE_ADDRESS, figure, type Scenario, type ScenarioContext } from '../lib/scenario.js';
import { round } from '../lib/stats.js';
import { barChart, lineChart } from '../lib/svg.js';

const ROUTE = '/apply/submit';
/** Sảnh instances sharing one Redis in the delivery part. */
const INSTANCES = 2;
/** Concurrent submitters while filling the delivery backlog. */
const SUBMITTERS = 32;

/** Makes every body of this process different from every other, across runs and parts. */
const RUN = randomBytes(3).toString('hex');
let formsMade = 0;

const NAMES = ['Nguyễn Thị Hoa', 'Trần Văn Minh', 'Lê Thị Thu Hà', 'Phạm Quốc Bảo', 'Hoàng Thị Lan', 'Vũ Đức Thắng'];
const PROCEDURES = ['Đăng ký thường trú', 'Đăng ký tạm trú', 'Cấp lại giấy khai sinh', 'Xác nhận cư trú'];

/** A citizen's form as the portal's submit button sends it (form-urlencoded, about 300 bytes), different every call. */
function formBody(): string {
  const n = ++formsMade;
  return new URLSearchParams({
    ma_ho_so: `${RUN}-${n}`,
    ho_ten: NAMES[n % NAMES.length]!,
    ngay_sinh: `19${40 + (n % 60)}-0${1 + (n % 9)}-1${n % 10}`,
    so_dinh_danh: `0011${String(48_012_345 + (n % 1_000_000)).padStart(8, '0')}`,
    dien_thoai: `09${String(n % 100_000_000).padStart(8, '0')}`,
    thu_tuc: PROCEDURES[n % PROCEDURES.length]!,
    dia_chi: `Số ${1 + (n % 199)} ngõ 34 phố Tôn Đức Thắng, Đống Đa, Hà Nội`,
  }).toString();
}

const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' } as const;

/** A run's requests: POST the route, a new form each time. */
function submissions(): autocannon.Request[] {
  return [{ method: 'POST', path: ROUTE, headers: { ...FORM_HEADERS }, setupRequest: (request: autocannon.Request) => ({ ...request, body: formBody() }) }];
}

function roomWith(delivery: { deliverPerMinute: number; deliverBurst: number }) {
  return {
    id: 'main',
    match: ['/'],
    maxActive: 100_000,
    admitPerMinute: 6_000_000,
    ...LOAD_FROM_ONE_ADDRESS,
    submissions: { routes: [{ method: 'POST', path: ROUTE, defer: 'always' }], ...delivery },
  };
}

/** Top-level config: one address sends all the load, so the per-client acceptance limit is lifted. */
const configWith = (room: ReturnType<typeof roomWith>) =>
  JSON.stringify({ rooms: [room], submissions: { acceptPerMinute: 100_000_000, acceptPerMinutePerAddress: 100_000_000 } });

/** Calls of each command on Redis since its start, from `INFO commandstats` (scripts' own commands included). */
async function commandCalls(redis: Redis): Promise<Record<string, number>> {
  const info = await redis.info('commandstats');
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1]!] = Number(match[2]);
  return calls;
}

/** What the counting origin saw (`GET /_counts`). */
interface Counts {
  arrivals: number;
  distinctKeys: number;
  duplicates: number;
  missingKeys: number;
  malformedKeys: number;
  distinctReceipts: number;
  distinctBodies: number;
  /** Arrivals per port of the origin (each instance has its own). */
  perPort: Record<string, number>;
  receipts: string[];
  times: number[];
}

async function countsOf(url: string): Promise<Counts> {
  const response = await fetch(`${url}/_counts`);
  return (await response.json()) as Counts;
}

/** Sends `count` submissions, round-robin over `urls`, `SUBMITTERS` at a time; the receipt ids of the 202s. */
async function submitAll(urls: string[], count: number): Promise<{ receipts: string[]; errors: number; replayed: number }> {
  const receipts: string[] = [];
  let errors = 0;
  let replayed = 0;
  let next = 0;
  async function submitter(): Promise<void> {
    while (next < count) {
      const i = next++;
      try {
        const response = await fetch(`${urls[i % urls.length]!}${ROUTE}`, { method: 'POST', headers: FORM_HEADERS, body: formBody() });
        const view = (await response.json().catch(() => ({}))) as { receiptId?: string };
        if (response.status !== 202 || !view.receiptId) errors += 1;
        else if (response.headers.get('idempotent-replayed')) replayed += 1;
        else receipts.push(view.receiptId);
      } catch {
        errors += 1;
      }
    }
  }
  await Promise.all(Array.from({ length: SUBMITTERS }, submitter));
  return { receipts, errors, replayed };
}

/** How many receipts of `ids` read `delivered` (`GET /_sanh/receipts/:id`). */
async function deliveredReceipts(url: string, ids: string[]): Promise<number> {
  let delivered = 0;
  let next = 0;
  async function reader(): Promise<void> {
    while (next < ids.length) {
      const id = ids[next++]!;
      const response = await fetch(`${url}/_sanh/receipts/${id}`, { headers: { accept: 'application/json' } });
      const view = (await response.json().catch(() => ({}))) as { state?: string };
      if (view.state === 'delivered') delivered += 1;
    }
  }
  await Promise.all(Array.from({ length: SUBMITTERS }, reader));
  return delivered;
}

/** Part 1: acceptance against the one-round-trip baseline, forwarding idle. */
async function acceptance(context: ScenarioContext) {
  const redis = await startRedis();
  const origin = await startNodeServer('bench/servers/fast-origin.ts', {}, CORES.support);
  const roundtrip = await startNodeServer('bench/servers/redis-roundtrip.ts', { REDIS_URL: redis.redisUrl });
  // Forwarding idle: one delivery at the start (the bucket holds one), then one every 16 hours.
  const room = roomWith({ deliverPerMinute: 0.001, deliverBurst: 1 });
  const sanh = await startNodeServer('bench/servers/sanh.ts', { SANH_CONFIG_JSON: configWith(room), ORIGIN_URL: origin.url, REDIS_URL: redis.redisUrl });
  const observer = new Redis(redis.redisUrl);
  try {
    const targets: Target[] = [
      { label: 'Hono + one Redis round trip (same body)', url: `${roundtrip.url}${ROUTE}`, requests: submissions, expectStatus: 202 },
      { label: 'Sảnh submission accepted (202, Redis)', url: `${sanh.url}${ROUTE}`, requests: submissions, expectStatus: 202 },
    ];
    const before = await commandCalls(observer);
    const [base, accept] = await compare(targets, context.quick ? 3 : 15, context.progress);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = await commandCalls(observer);
    const delta = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);
    const stored = delta('xadd');
    const scripts = delta('evalsha') + delta('eval');
    // accept.lua, next.lua and settle.lua each call TIME once (nowMs); only accept.lua runs XADD.
    const otherScripts = delta('time') - stored;
    if (accept!.answered > stored) {
      throw new Error(`${accept!.answered} submissions answered 202 but only ${stored} were stored: the load sent the same body twice (replayed receipts)`);
    }
    return { base: base!, accept: accept!, stored, scripts, otherScripts };
  } finally {
    observer.disconnect();
    await Promise.all([sanh.stop(), roundtrip.stop(), origin.stop()]);
    await redis.stop();
  }
}

/** Part 2: delivery at a held rate through `INSTANCES` instances on one Redis, to the counting origin. */
async function delivery(context: ScenarioContext) {
  const count = context.quick ? 300 : 2_000;
  const heldRate = context.quick ? 20 : 50;
  // A bucket of a fifth of a second's deliveries absorbs timer jitter; its burst is excluded below.
  const burst = Math.max(1, Math.round(heldRate / 5));
  const redis = await startRedis();
  // One origin port per instance, so each instance's share of the deliveries is counted.
  const alsoPorts = await Promise.all(Array.from({ length: INSTANCES - 1 }, () => freePort()));
  const origin = await startNodeServer('bench/servers/counting-origin.ts', { ALSO_PORTS: alsoPorts.join(',') }, CORES.support);
  const originPorts = [origin.port, ...alsoPorts];
  const config = configWith(roomWith({ deliverPerMinute: heldRate * 60, deliverBurst: burst }));
  const instances = await Promise.all(
    originPorts.map((port) =>
      startNodeServer('bench/servers/sanh.ts', { SANH_CONFIG_JSON: config, ORIGIN_URL: `http://127.0.0.1:${port}`, REDIS_URL: redis.redisUrl }),
    ),
  );
  const urls = instances.map((i) => i.url);
  const submittedAt = Date.now();
  const sent = await submitAll(urls, count);
  const acceptSeconds = (Date.now() - submittedAt) / 1000;
  context.progress(`accepted ${sent.receipts.length} of ${count} in ${acceptSeconds.toFixed(1)} s through ${INSTANCES} instances; delivering at ${heldRate}/s`);
  // Allowed: the time the held rate needs, half again, and ten seconds.
  const allowedMs = ((sent.receipts.length / heldRate) * 1.5 + 10) * 1000;
  const deadline = submittedAt + allowedMs;
  let counts = await countsOf(origin.url);
  let shown = 0;
  while (counts.distinctReceipts < sent.receipts.length && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    counts = await countsOf(origin.url);
    if (Date.now() - shown >= 5_000) {
      shown = Date.now();
      context.progress(`delivered ${counts.distinctReceipts}/${sent.receipts.length}`);
    }
  }
  // Late duplicates (a second forwarder taking the same entry) would come now.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  counts = await countsOf(origin.url);
  const seen = new Set(counts.receipts);
  const lost = sent.receipts.filter((id) => !seen.has(id)).length;
  const readDelivered = await deliveredReceipts(urls[0]!, sent.receipts);

  const times = [...counts.times].sort((a, b) => a - b);
  const first = times[0] ?? 0;
  // The steady part: after the first second and after the bucket's burst, up to the last arrival.
  const steadyFrom = Math.max(first + 1_000, times[burst] ?? Number.POSITIVE_INFINITY);
  const steady = times.filter((t) => t >= steadyFrom);
  const steadySeconds = steady.length >= 2 ? (steady[steady.length - 1]! - steady[0]!) / 1000 : Number.NaN;
  const deliveryRps = steady.length >= 2 ? (steady.length - 1) / steadySeconds : Number.NaN;
  // Arrivals in each whole second since the first (the last, partial second is left out).
  const wholeSeconds = Math.floor(((times[times.length - 1] ?? first) - first) / 1000);
  const perSecond: [number, number][] = Array.from({ length: wholeSeconds }, (_, s) => [s, 0]);
  for (const t of times) {
    const s = Math.floor((t - first) / 1000);
    if (s < wholeSeconds) perSecond[s]![1] += 1;
  }
  const shares = originPorts.map((port) => counts.perPort[String(port)] ?? 0);
  return {
    count,
    heldRate,
    burst,
    shares,
    sent,
    acceptSeconds,
    allowedMs,
    counts,
    lost,
    readDelivered,
    deliveryRps,
    steady: steady.length,
    steadySeconds,
    perSecond,
  };
}

export const submissionsScenario: Scenario = {
  name: 'submissions',
  title: 'Store-and-forward submissions: accepted per second, and delivered at a held rate',
  async run(context) {
    const { base, accept, stored, scripts, otherScripts } = await acceptance(context);
    const d = await delivery(context);
    const ratio = d.deliveryRps / d.heldRate;
    const bodyBytes = Buffer.byteLength(formBody());
    const notes = [
      `Acceptance: each POST ${ROUTE} carries a different form-urlencoded citizen's form (${bodyBytes} bytes of Vietnamese fields) and accept: application/json; only 202 with a receipt counts. Each is a body fingerprint (SHA-256 under an HMAC), a visitor-scoped key and a hashed client address (HMACs), an AES-GCM seal and one Lua script on Redis (accept.lua: key check, the per-client limit, receipt, number, XADD). The baseline reads the same bodies, parses the form and does one INCR, on the same core and Redis.`,
      `Acceptance latency measured in open-model runs at ${accept.latencyRate} req/s (half the slower target's peak). During the acceptance runs Redis stored ${stored} submissions for ${accept.answered} 202s (the rest were in flight when runs ended) and ran ${scripts} Lua scripts (${round(scripts / Math.max(1, stored))} per stored submission: accept.lua is one; ${otherScripts} were the forwarder looking for a due delivery, woken by acceptances).`,
      `Forwarding was idle during acceptance: the room's deliverPerMinute was 0.001 (one delivery at the start).`,
      `Delivery: ${d.sent.receipts.length} submissions accepted through ${INSTANCES} Sảnh instances on one Redis in ${d.acceptSeconds.toFixed(1)} s, then forwarded to a counting origin with deliverPerMinute ${d.heldRate * 60} (held rate ${d.heldRate}/s over both instances) and deliverBurst ${d.burst}. Delivered per second is measured at the origin from its arrival times after the first second and the first ${d.burst} arrivals (the bucket's burst): ${d.steady} arrivals over ${round(d.steadySeconds)} s.`,
      `At the origin: ${d.counts.arrivals} arrivals, ${d.counts.distinctKeys} distinct Idempotency-Keys, ${d.counts.distinctReceipts} distinct Sanh-Receipt ids, ${d.counts.distinctBodies} distinct forms, ${d.counts.missingKeys} without a key, ${d.counts.malformedKeys} with a key that is not a quoted 64-hex string; delivered by each instance: ${d.shares.join(' and ')}. ${d.readDelivered} of ${d.sent.receipts.length} receipts read "delivered" afterwards. Lost: accepted but not at the origin within ${Math.round(d.allowedMs / 1000)} s of the first submission.`,
    ];
    if (d.sent.replayed > 0) notes.push(`${d.sent.replayed} delivery-part submissions were answered as replays of earlier ones (not counted as accepted).`);
    if (ratio > 1.05) notes.push(`Delivered faster than the held rate (${round(ratio)}×): the shared bucket let more through than deliverPerMinute allows.`);
    return {
      figures: {
        submission_accept_rps: figure(Math.round(accept.peakRps), 'req/s'),
        redis_roundtrip_rps: figure(Math.round(base.peakRps), 'req/s'),
        submission_accept_vs_redis_roundtrip_ratio: figure(round(accept.peakRps / base.peakRps), 'ratio'),
        submission_accept_p50_ms: figure(accept.p50, 'ms'),
        submission_accept_p99_ms: figure(accept.p99, 'ms'),
        redis_roundtrip_p50_ms: figure(base.p50, 'ms'),
        redis_roundtrip_p99_ms: figure(base.p99, 'ms'),
        submission_accept_errors: figure(accept.errors + d.sent.errors, 'count'),
        submission_delivery_rps: figure(round(d.deliveryRps), 'req/s'),
        submission_held_rate_rps: figure(d.heldRate, 'req/s'),
        submission_delivery_vs_held_rate_ratio: figure(round(ratio), 'ratio'),
        submission_duplicates: figure(d.counts.duplicates, 'count'),
        submission_lost: figure(d.lost, 'count'),
      },
      targets: {
        submission_accept_vs_redis_roundtrip_ratio: { op: '>=', value: 0.5 },
        submission_accept_errors: { op: '<=', value: 0, invariant: true },
        submission_delivery_vs_held_rate_ratio: { op: '>=', value: 0.95 },
        submission_duplicates: { op: '<=', value: 0, invariant: true },
        submission_lost: { op: '<=', value: 0, invariant: true },
      },
      charts: [
        {
          file: 'submissions-accept.svg',
          title: 'submissions: peak acceptances per second, same core, same Redis',
          svg: barChart({
            title: 'submissions: peak acceptances (202) per second, same core, same Redis',
            unit: 'req/s',
            bars: [base, accept].map((c) => ({ label: c.target.label, value: Math.round(c.peakRps) })),
          }),
        },
        {
          file: 'submissions-delivery.svg',
          title: 'submissions: deliveries per second at the origin',
          svg: lineChart({
            title: `submissions: deliveries per second at the origin, ${INSTANCES} instances, one Redis`,
            xLabel: 'seconds since the first delivery',
            yLabel: 'deliveries',
            series: [{ name: 'delivered per second', points: d.perSecond }],
            references: [{ value: d.heldRate, label: `held rate ${d.heldRate}/s` }],
          }),
        },
      ],
      notes,
    };
  },
};
