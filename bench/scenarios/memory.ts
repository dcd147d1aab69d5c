/**
 * `memory`: what a queued visitor costs Redis (one million joins through Sảnh's HTTP front door)
 * and whether Sảnh's resident memory grows under a steady mixed load (a soak: joins, status polls
 * from many different tickets, admitted requests from many different passes).
 */
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { roomKeys } from '../../src/redis/keys.js';
import { CORES, residentMiB, startNodeServer, startRedis } from '../lib/processes.js';
import { LOAD_FROM_ONE_ADDRESS, figure, type Scenario } from '../lib/scenario.js';
import { round, slope } from '../lib/stats.js';
import { lineChart } from '../lib/svg.js';

const FULL = { id: 'main', match: ['/apply'], maxActive: 1, admitPerMinute: 1, ...LOAD_FROM_ONE_ADDRESS };
const OPEN = { id: 'open', match: ['/'], maxActive: 1_000_000, admitPerMinute: 6_000_000, ...LOAD_FROM_ONE_ADDRESS };

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

function cookiesFrom(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .join('; ');
}

/** Collects `count` distinct cookies by visiting `url` as new visitors. */
async function collectCookies(url: string, count: number, accept = 'application/json'): Promise<string[]> {
  const out: string[] = [];
  while (out.length < count) {
    const batch = await Promise.all(Array.from({ length: Math.min(100, count - out.length) }, () => fetch(url, { headers: { accept } })));
    for (const response of batch) {
      await response.arrayBuffer();
      out.push(cookiesFrom(response));
    }
  }
  return out;
}

const pick = <T>(items: readonly T[]) => items[Math.floor(Math.random() * items.length)]!;

export const memoryScenario: Scenario = {
  name: 'memory',
  title: 'Redis memory per queued visitor, and Sảnh’s memory over a soak',
  async run(context) {
    const joins = context.quick ? 10_000 : 1_000_000;
    const soakSeconds = context.quick ? 10 : 600;
    const redis = await startRedis();
    const origin = await startNodeServer('bench/servers/fast-origin.ts', {}, CORES.support);
    const sanh = await startNodeServer('bench/servers/sanh.ts', {
      SANH_CONFIG_JSON: JSON.stringify({ rooms: [FULL, OPEN] }),
      ORIGIN_URL: origin.url,
      REDIS_URL: redis.redisUrl,
    });
    const observer = new Redis(redis.redisUrl);
    await fetch(`${sanh.url}/apply`);
    const keys = roomKeys('sanh', FULL.id);
    const lineBefore = Number(await observer.hget(keys.state, 'nextTicket'));
    const before = await usedMemory(observer);

    context.progress(`${joins.toLocaleString('en-US')} joins through HTTP`);
    const joinTicker = setInterval(
      () => void observer.hget(keys.state, 'nextTicket').then((n) => context.progress(`${(Number(n) - lineBefore).toLocaleString('en-US')} joined`)),
      10_000,
    );
    const joined = await autocannon({ url: `${sanh.url}/apply`, connections: 50, amount: joins, headers: { accept: 'application/json' }, timeout: 10 });
    clearInterval(joinTicker);
    const after = await usedMemory(observer);
    const queued = Number(await observer.hget(keys.state, 'nextTicket')) - lineBefore;
    const joinFailures =
      joined.errors +
      joined.timeouts +
      Object.entries(joined.statusCodeStats ?? {}).reduce((n, [code, s]) => n + (code === '503' ? 0 : (s as { count: number }).count), 0);

    context.progress(`soak: ${soakSeconds} s of mixed load, resident memory sampled every 5 s`);
    const tickets = await collectCookies(`${sanh.url}/apply`, context.quick ? 500 : 5_000);
    const passes = await collectCookies(`${sanh.url}/page`, context.quick ? 200 : 2_000);
    const rss: [number, number][] = [];
    const soakStarted = performance.now();
    const sampleRss = async () => rss.push([round((performance.now() - soakStarted) / 1000), round(await residentMiB(sanh.pid))]);
    await sampleRss();
    const sampler = setInterval(() => {
      void sampleRss().then(() => {
        const last = rss.at(-1);
        if (last && Math.round(last[0]) % 30 < 5) context.progress(`soak ${Math.round(last[0])}/${soakSeconds} s: Sảnh resident ${last[1]} MiB`);
      });
    }, 5_000);
    const soak = (path: string, rate: number, cookies: readonly string[] | undefined) =>
      autocannon({
        url: sanh.url,
        connections: 20,
        overallRate: rate,
        duration: soakSeconds,
        timeout: 10,
        requests: [
          {
            method: 'GET',
            path,
            headers: { accept: 'application/json' },
            setupRequest: (req) => (cookies ? { ...req, headers: { ...req.headers, cookie: pick(cookies) } } : req),
          },
        ],
      });
    const [joinLoad, pollLoad, proxyLoad] = await Promise.all([
      soak('/apply', 200, undefined),
      soak('/_sanh/status?room=main', 800, tickets),
      soak('/page', 600, passes),
    ]);
    clearInterval(sampler);
    await sampleRss();
    await observer.quit();
    const soakErrors = [joinLoad, pollLoad, proxyLoad].reduce((n, r) => n + r.errors + r.timeouts, 0) + (pollLoad.non2xx ?? 0) + (proxyLoad.non2xx ?? 0);
    const warm = rss.filter(([t]) => t >= soakSeconds * 0.2);
    const growthPerMinute = slope(warm) * 60;

    return {
      figures: {
        joins: figure(joins, 'joins'),
        queued_after_joins: figure(queued, 'visitors'),
        join_failures: figure(joinFailures, 'count'),
        redis_bytes_per_queued_visitor: figure(Math.max(0, round((after - before) / Math.max(1, queued))), 'bytes'),
        redis_used_memory_delta_bytes: figure(after - before, 'bytes'),
        redis_used_memory_before_mib: figure(round(before / 2 ** 20), 'MiB'),
        redis_used_memory_after_mib: figure(round(after / 2 ** 20), 'MiB'),
        soak_seconds: figure(soakSeconds, 's'),
        soak_requests: figure(joinLoad.requests.total + pollLoad.requests.total + proxyLoad.requests.total, 'requests'),
        soak_errors: figure(soakErrors, 'count'),
        soak_rss_start_mib: figure(warm[0]?.[1] ?? Number.NaN, 'MiB'),
        soak_rss_end_mib: figure(rss.at(-1)?.[1] ?? Number.NaN, 'MiB'),
        soak_rss_max_mib: figure(Math.max(...rss.map(([, m]) => m)), 'MiB'),
        soak_rss_growth_mib_per_min: figure(round(growthPerMinute), 'MiB/min'),
      },
      targets: {
        redis_bytes_per_queued_visitor: { op: '<=', value: 100 },
        join_failures: { op: '<=', value: 0, invariant: true },
        soak_errors: { op: '<=', value: 0, invariant: true },
        soak_rss_growth_mib_per_min: { op: '<=', value: 1 },
      },
      charts: [
        {
          file: 'memory-soak.svg',
          title: 'memory: Sảnh resident memory over the soak',
          svg: lineChart({
            title: `memory: Sảnh resident memory during a ${soakSeconds} s soak`,
            xLabel: 'seconds',
            yLabel: 'MiB',
            series: [{ name: 'resident memory', points: rss }],
          }),
        },
      ],
      notes: [
        `Joins: ${joins.toLocaleString('en-US')} requests without cookies to a full room (one Sảnh instance on Redis), each a new visitor given a ticket; Redis \`used_memory\` before and after, divided by the growth of the line (never below 0: the delta, which can be slightly negative when connection buffers shrink, is reported as \`redis_used_memory_delta_bytes\`). A queued visitor's place is a signed ticket the visitor holds, so the line itself is two counters.`,
        `Soak: ${soakSeconds} s at 200 joins, 800 status polls (${tickets.length} different tickets) and 600 admitted requests (${passes.length} different passes) a second, open model. The growth figure is the least-squares slope of resident memory after the first 20 % of the soak; "no growth trend" means at most 1 MiB a minute.`,
      ],
    };
  },
};
