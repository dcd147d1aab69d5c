/**
 * `precision`: three Sảnh instances sharing one Redis, offered ten times the room's admission
 * rate, with visitors who browse, end their session, walk away while admitted or give up in
 * line. The store is sampled throughout: the room must never hold more than `maxActive`, and no
 * minute may see more admissions than the token bucket allows. With `--redis cluster` the same
 * run is repeated on a Redis Cluster of three primaries, its figures prefixed `cluster_`.
 */
import { connectRedis, whenReady } from '../../src/redis/connection.js';
import { roomKeys } from '../../src/redis/keys.js';
import { CORES, startNodeServer, startRedis, startRedisClusterServers } from '../lib/processes.js';
import { LOAD_FROM_ONE_ADDRESS, figure, type Scenario, type ScenarioContext, type ScenarioOutcome } from '../lib/scenario.js';
import { maxIncreaseInWindow, round } from '../lib/stats.js';
import { lineChart } from '../lib/svg.js';
import { between, CookieJar, isQueued, PeopleClient, poissonArrivals, sleep, waitInLine } from '../lib/visitors.js';

const ROOM = {
  id: 'main',
  match: ['/'],
  maxActive: 12,
  admitPerMinute: 120,
  admitBurst: 5,
  sessionIdleSeconds: 10,
  noShowSeconds: 10,
  ...LOAD_FROM_ONE_ADDRESS,
};
const INSTANCES = 3;
const OFFERED_OVER_RATE = 10;

/** Live members of the active set (expiry after Redis's own now) and the admissions counter. */
const SAMPLE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return { redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf'), tonumber(redis.call('HGET', KEYS[2], 'admittedTotal') or '0') }`;

export const precisionScenario: Scenario = {
  name: 'precision',
  title: 'Limits held by three instances sharing one Redis under ten times the load',
  async run(context) {
    const seconds = context.quick ? 15 : 150;
    const standalone = await measure(context, (await startRedis()).redisUrl, seconds, 'one Redis');
    if (context.redis !== 'cluster') return standalone;
    const cluster = await measure(context, (await startRedisClusterServers()).redisUrl, seconds, 'a Redis Cluster of three primaries');
    const prefixed = <T>(record: Record<string, T> | undefined) =>
      Object.fromEntries(Object.entries(record ?? {}).map(([name, value]) => [`cluster_${name}`, value]));
    return {
      figures: { ...standalone.figures, ...prefixed(cluster.figures) },
      targets: { ...standalone.targets, ...prefixed(cluster.targets) },
      charts: [
        ...(standalone.charts ?? []),
        ...(cluster.charts ?? []).map((chart) => ({ ...chart, file: `cluster-${chart.file}`, title: `${chart.title} (Redis Cluster)` })),
      ],
      notes: [
        ...(standalone.notes ?? []),
        "The `cluster_` figures are the same run on a Redis Cluster of three primaries (redis+cluster://), measured right after the standalone one: the room's keys share its hash tag, so they sit on one shard.",
      ],
    };
  },
};

/** One precision run on the Redis at `redisUrl` (`label` names it in the charts). */
async function measure(context: ScenarioContext, redisUrl: string, seconds: number, label: string): Promise<ScenarioOutcome> {
  {
    const origin = await startNodeServer('bench/servers/fast-origin.ts', {}, CORES.support);
    const config = JSON.stringify({ rooms: [ROOM] });
    const instances = await Promise.all(
      Array.from({ length: INSTANCES }, () =>
        startNodeServer('bench/servers/sanh.ts', { SANH_CONFIG_JSON: config, ORIGIN_URL: origin.url, REDIS_URL: redisUrl }),
      ),
    );
    const anyInstance = () => instances[Math.floor(Math.random() * instances.length)]!.url;
    const keys = roomKeys('sanh', ROOM.id);
    const observer = connectRedis(redisUrl, { connectionName: 'sanh-bench-observer' });
    observer.on('error', () => undefined);
    await whenReady(observer, 10_000);
    const client = new PeopleClient();
    const samples: { t: number; active: number; admitted: number }[] = [];
    const started = performance.now();
    const sampler = setInterval(() => {
      const t = (performance.now() - started) / 1000;
      void (observer.eval(SAMPLE, 2, keys.active, keys.state) as Promise<[number, number]>).then(
        ([active, admitted]) => samples.push({ t, active, admitted }),
        () => undefined,
      );
    }, 100);
    const ticker = setInterval(() => {
      const last = samples.at(-1);
      context.progress(
        `${Math.round((performance.now() - started) / 1000)}/${seconds} s: visitors ${counts.arrived}, admitted ${counts.admitted}, in line ${counts.inLine}, active now ${last?.active ?? '-'} of ${ROOM.maxActive}, errors ${counts.errors}`,
      );
    }, 10_000);
    const counts = { arrived: 0, admitted: 0, inLine: 0, errors: 0, ended: 0, walkedAway: 0, gaveUp: 0, stillInLine: 0 };
    let open = true;
    const arrivalsOver = new AbortController();
    const visits: Promise<void>[] = [];

    async function visit(): Promise<void> {
      const jar = new CookieJar();
      let answer = await client.send(jar, 'GET', `${anyInstance()}/page`, { accept: 'application/json' });
      if (isQueued(answer)) {
        counts.inLine += 1;
        const patienceMs = Math.random() < 0.1 ? between(5_000, 60_000) : Infinity;
        const lineStarted = performance.now();
        const line = await waitInLine(client, jar, anyInstance, ROOM.id, answer, () => performance.now() - lineStarted < patienceMs, arrivalsOver.signal);
        counts.inLine -= 1;
        if (line.result === 'gave-up') {
          if (open) counts.gaveUp += 1;
          else counts.stillInLine += 1;
          return;
        }
        if (line.result === 'error') {
          counts.errors += 1;
          return;
        }
        answer = await client.send(jar, 'GET', `${anyInstance()}/page`, { accept: 'application/json' });
      }
      if (answer.status !== 200 || answer.headers['sanh-state'] !== 'admitted') {
        counts.errors += 1;
        return;
      }
      counts.admitted += 1;
      const pages = Math.floor(between(1, 5));
      for (let i = 0; i < pages; i++) {
        await sleep(between(500, 1500));
        const page = await client.send(jar, 'GET', `${anyInstance()}/page`, { accept: 'application/json' });
        if (page.status !== 200) counts.errors += 1;
      }
      if (Math.random() < 0.8) {
        const end = await client.send(jar, 'GET', `${anyInstance()}/end`, { accept: 'application/json' });
        if (end.status !== 200) counts.errors += 1;
        counts.ended += 1;
      } else {
        counts.walkedAway += 1;
      }
    }

    const offeredPerSecond = (ROOM.admitPerMinute / 60) * OFFERED_OVER_RATE;
    await poissonArrivals(offeredPerSecond, started + seconds * 1000, () => {
      counts.arrived += 1;
      visits.push(visit());
    });
    open = false;
    arrivalsOver.abort();
    await Promise.all(visits);
    clearInterval(sampler);
    clearInterval(ticker);
    await sleep(200);
    await observer.quit();
    await client.close();
    // Stopped before a second run (on a Cluster) starts, so it has the cores to itself.
    await Promise.all([...instances, origin].map((running) => running.stop()));

    const windowMs = Math.min(60_000, seconds * 1000);
    const allowedInWindow = (ROOM.admitPerMinute * windowMs) / 60_000 + ROOM.admitBurst;
    const admissionSamples = samples.map((s) => [s.t * 1000, s.admitted] as [number, number]);
    const maxInWindow = maxIncreaseInWindow(admissionSamples, windowMs);
    const maxActive = Math.max(0, ...samples.map((s) => s.active));
    const total = [...samples].reverse().find((s) => s.t <= seconds)?.admitted ?? 0;
    const inWindowSeries: [number, number][] = admissionSamples
      .filter((_, i) => i % 10 === 0)
      .map(([t, c]) => {
        const earlier = admissionSamples.find(([t0]) => t0 >= t - windowMs) ?? [0, 0];
        return [round(t / 1000), c - earlier[1]];
      });
    return {
      figures: {
        max_active_allowed: figure(ROOM.maxActive, 'visitors'),
        max_active_observed: figure(maxActive, 'visitors'),
        admit_per_minute_limit: figure(ROOM.admitPerMinute, 'admissions/min'),
        admit_burst: figure(ROOM.admitBurst, 'admissions'),
        admissions_per_minute_max: figure(round((maxInWindow * 60_000) / windowMs), 'admissions/min'),
        admissions_per_minute_max_over_limit_ratio: figure(round(maxInWindow / allowedInWindow), 'ratio'),
        admissions_per_minute_mean: figure(round((total * 60) / seconds), 'admissions/min'),
        offered_per_minute: figure(round(offeredPerSecond * 60), 'visitors/min'),
        visitors: figure(counts.arrived, 'visitors'),
        visitors_admitted: figure(counts.admitted, 'visitors'),
        visitors_gave_up_in_line: figure(counts.gaveUp, 'visitors'),
        visitors_walked_away_admitted: figure(counts.walkedAway, 'visitors'),
        visitors_still_in_line_at_end: figure(counts.stillInLine, 'visitors'),
        store_samples: figure(samples.length, 'samples'),
        precision_errors: figure(counts.errors, 'count'),
      },
      targets: {
        max_active_observed: { op: '<=', value: ROOM.maxActive, invariant: true },
        admissions_per_minute_max_over_limit_ratio: { op: '<=', value: 1.01, invariant: true },
        precision_errors: { op: '<=', value: 0, invariant: true },
      },
      charts: [
        {
          file: 'precision-active.svg',
          title: 'precision: active visitors in the store',
          svg: lineChart({
            title: `precision: active visitors (sampled every 100 ms), ${INSTANCES} instances, ${label}`,
            xLabel: 'seconds',
            yLabel: 'visitors',
            series: [{ name: 'active', points: samples.map((s) => [round(s.t), s.active] as [number, number]) }],
            references: [{ value: ROOM.maxActive, label: `maxActive ${ROOM.maxActive}` }],
          }),
        },
        {
          file: 'precision-rate.svg',
          title: 'precision: admissions per minute',
          svg: lineChart({
            title: `precision: admissions in the last ${windowMs / 1000} s (sampled from the store)`,
            xLabel: 'seconds',
            yLabel: 'admissions',
            series: [{ name: `admissions in the last ${windowMs / 1000} s`, points: inWindowSeries }],
            references: [
              { value: allowedInWindow, label: `allowed: ${allowedInWindow} (rate + burst)` },
              { value: (ROOM.admitPerMinute * windowMs) / 60_000, label: `admitPerMinute × window: ${(ROOM.admitPerMinute * windowMs) / 60_000}` },
            ],
          }),
        },
      ],
      notes: [
        `Room: maxActive ${ROOM.maxActive}, admitPerMinute ${ROOM.admitPerMinute}, admitBurst ${ROOM.admitBurst}, sessionIdleSeconds ${ROOM.sessionIdleSeconds}, noShowSeconds ${ROOM.noShowSeconds}. Visitors arrive at ${OFFERED_OVER_RATE} × the admission rate for ${seconds} s and send each request to one of ${INSTANCES} instances at random.`,
        'Admitted visitors browse 1–4 pages; 80 % end their session (`Sanh-Session: end` from the origin), 20 % walk away and hold their slot until it idles out. 10 % of those in line give up after 5–60 s.',
        `The store is sampled every 100 ms (live sessions and reserved slots; the admissions counter). A token bucket allows at most admitPerMinute + admitBurst admissions in any minute, so the ratio divides the busiest ${windowMs / 1000}-second window by ${allowedInWindow}.`,
      ],
    };
  }
}
