/**
 * The request-rate scenarios: `status` (a queued visitor's poll), `proxy` (an admitted visitor's
 * request through to a fast origin) and `join` (new visitors joining a full room on Redis), each
 * against baselines measured in the same run on the same core.
 */
import { compare, type Compared, type Target } from '../lib/load.js';
import { CORES, NGINX, startNginx, startNodeServer, startRedis } from '../lib/processes.js';
import {
  BENCH_USER_AGENT,
  LOAD_FROM_ONE_ADDRESS,
  figure,
  type Chart,
  type Figure,
  type Scenario,
  type ScenarioContext,
  type ScenarioOutcome,
} from '../lib/scenario.js';
import { round } from '../lib/stats.js';
import { barChart } from '../lib/svg.js';

const secondsFor = (context: ScenarioContext) => (context.quick ? 3 : 15);

function cookieFrom(response: Response, name: string): string {
  const line = response.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  if (!line) throw new Error(`no ${name} cookie (status ${response.status})`);
  return line.split(';')[0]!;
}

function startSanh(config: unknown, env: Record<string, string>): ReturnType<typeof startNodeServer> {
  return startNodeServer('bench/servers/sanh.ts', { SANH_CONFIG_JSON: JSON.stringify(config), ...env });
}

/** Figures every compared target gets: `<prefix>_rps`, `_p50_ms`, `_p99_ms`, `_errors`. */
function targetFigures(prefix: string, c: Compared): Record<string, Figure> {
  return {
    [`${prefix}_rps`]: figure(Math.round(c.peakRps), 'req/s'),
    [`${prefix}_p50_ms`]: figure(c.p50, 'ms'),
    [`${prefix}_p99_ms`]: figure(c.p99, 'ms'),
    [`${prefix}_errors`]: figure(c.errors, 'count'),
  };
}

/**
 * The outcome of a one-subject, one-baseline comparison: both targets' figures, the named ratio
 * of their peaks with its target, no errors from the subject, and a bar chart.
 */
function pairOutcome(options: {
  subject: [prefix: string, measured: Compared];
  baseline: [prefix: string, measured: Compared];
  ratio: [name: string, target: number];
  chartTitle: string;
  notes: string[];
}): ScenarioOutcome {
  const [subjectPrefix, subject] = options.subject;
  const [baselinePrefix, baseline] = options.baseline;
  const [ratioName, ratioTarget] = options.ratio;
  return {
    figures: {
      ...targetFigures(subjectPrefix, subject),
      ...targetFigures(baselinePrefix, baseline),
      [ratioName]: figure(round(subject.peakRps / baseline.peakRps), 'ratio'),
    },
    targets: { [ratioName]: { op: '>=', value: ratioTarget }, [`${subjectPrefix}_errors`]: { op: '<=', value: 0, invariant: true } },
    charts: [throughputChart(`${subjectPrefix}.svg`, options.chartTitle, [baseline, subject])],
    notes: options.notes,
  };
}

function throughputChart(file: string, title: string, compared: Compared[]): Chart {
  return { file, title, svg: barChart({ title, unit: 'req/s', bars: compared.map((c) => ({ label: c.target.label, value: Math.round(c.peakRps) })) }) };
}

const ROOM_FULL = { id: 'main', match: ['/'], maxActive: 1, admitPerMinute: 60, ...LOAD_FROM_ONE_ADDRESS };

/** `status`: the queued visitor's status poll against a bare Hono "ok". */
export const statusScenario: Scenario = {
  name: 'status',
  title: "A queued visitor's status poll",
  async run(context) {
    const hono = await startNodeServer('bench/servers/hono-ok.ts');
    const origin = await startNodeServer('bench/servers/fast-origin.ts', {}, CORES.support);
    const sanh = await startSanh({ rooms: [ROOM_FULL] }, { ORIGIN_URL: origin.url });
    await fetch(`${sanh.url}/`);
    const queued = await fetch(`${sanh.url}/`, { headers: { accept: 'application/json', 'user-agent': BENCH_USER_AGENT } });
    if (queued.status !== 503) throw new Error(`expected to be queued, got ${queued.status}`);
    const ticket = cookieFrom(queued, 'sanh_ticket_main');
    const [base, status] = await compare(
      [
        { label: 'bare Hono "ok"', url: `${hono.url}/` },
        {
          label: 'Sảnh status (queued)',
          url: `${sanh.url}/_sanh/status?room=main`,
          headers: { cookie: ticket, accept: 'application/json', 'user-agent': BENCH_USER_AGENT },
        },
      ],
      secondsFor(context),
      context.progress,
    );
    return pairOutcome({
      subject: ['status', status!],
      baseline: ['hono_ok', base!],
      ratio: ['status_vs_hono_ratio', 0.8],
      chartTitle: 'status: peak requests per second, same core',
      notes: [`Latency measured in open-model runs at ${status!.latencyRate} req/s (half the slower target's peak).`],
    });
  },
};

/** `proxy`: the admitted visitor's request through Sảnh against a node:http proxy and nginx. */
export const proxyScenario: Scenario = {
  name: 'proxy',
  title: "An admitted visitor's request through to a fast origin",
  async run(context) {
    const origin = await startNodeServer('bench/servers/fast-origin.ts', {}, CORES.support);
    const nodeProxy = await startNodeServer('bench/servers/node-proxy.ts', { ORIGIN_URL: origin.url });
    const sanh = await startSanh(
      { rooms: [{ id: 'main', match: ['/'], maxActive: 100_000, admitPerMinute: 6_000_000, ...LOAD_FROM_ONE_ADDRESS }] },
      { ORIGIN_URL: origin.url },
    );
    const admitted = await fetch(`${sanh.url}/`, { headers: { 'user-agent': BENCH_USER_AGENT } });
    if (admitted.headers.get('sanh-state') !== 'admitted') throw new Error('expected to be admitted');
    const pass = cookieFrom(admitted, 'sanh_pass_main');
    const targets: Target[] = [
      { label: 'node:http proxy', url: `${nodeProxy.url}/page` },
      { label: 'Sảnh (admitted)', url: `${sanh.url}/page`, headers: { cookie: pass, 'user-agent': BENCH_USER_AGENT } },
    ];
    if (NGINX) {
      const nginx = await startNginx(
        (port) => `
  upstream origin { server 127.0.0.1:${origin.port}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }`,
      );
      targets.push({ label: 'nginx proxy_pass', url: `${nginx.url}/page` });
    }
    const compared = await compare(targets, secondsFor(context), context.progress);
    const [node, proxied, nginx] = compared;
    const figures: Record<string, Figure> = {
      ...targetFigures('proxy', proxied!),
      ...targetFigures('node_proxy', node!),
      proxy_vs_node_proxy_ratio: figure(round(proxied!.peakRps / node!.peakRps), 'ratio'),
    };
    if (nginx) {
      Object.assign(figures, targetFigures('nginx_proxy', nginx));
      figures.proxy_vs_nginx_ratio = figure(round(proxied!.peakRps / nginx.peakRps), 'ratio');
    }
    return {
      figures,
      targets: { proxy_vs_node_proxy_ratio: { op: '>=', value: 0.9 }, proxy_errors: { op: '<=', value: 0, invariant: true } },
      charts: [throughputChart('proxy.svg', 'proxy: peak requests per second to the same origin, same core', compared)],
      notes: NGINX ? [] : ['nginx is not installed: `proxy_vs_nginx_ratio` was not measured (apt-get install nginx-light).'],
    };
  },
};

/** `join`: new visitors joining a full room on Redis against a Hono app doing one Redis round trip. */
export const joinScenario: Scenario = {
  name: 'join',
  title: 'New visitors joining the line on Redis',
  async run(context) {
    const redis = await startRedis();
    const origin = await startNodeServer('bench/servers/fast-origin.ts', {}, CORES.support);
    const roundtrip = await startNodeServer('bench/servers/redis-roundtrip.ts', { REDIS_URL: redis.redisUrl });
    const room = { id: 'main', match: ['/'], maxActive: 1, admitPerMinute: 60 };
    const sanh = await startSanh({ rooms: [room], trustProxyHops: 1 }, { ORIGIN_URL: origin.url, REDIS_URL: redis.redisUrl });
    await fetch(`${sanh.url}/`);
    const [base, join] = await compare(
      [
        { label: 'Hono + one Redis round trip', url: `${roundtrip.url}/`, distinctClients: true },
        { label: 'Sảnh join (new visitor)', url: `${sanh.url}/apply`, headers: { accept: 'application/json' }, expectStatus: 503, distinctClients: true },
      ],
      secondsFor(context),
      context.progress,
    );
    return pairOutcome({
      subject: ['join', join!],
      baseline: ['redis_roundtrip', base!],
      ratio: ['join_vs_redis_roundtrip_ratio', 0.5],
      chartTitle: 'join: peak requests per second, same core, same Redis',
      notes: [
        'Every join request carries no cookie, so each one is a new visitor: one Lua script on Redis, a signed ticket, a 503 with the status JSON.',
        'Each request comes from a different address (X-Forwarded-For, one trusted hop), as in a real surge, so the per-address join limit (default 120 a minute) is counted locally; both targets get the same headers.',
      ],
    });
  },
};
