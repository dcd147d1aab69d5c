/**
 * `surge`, the headline: citizens doing a whole journey on an overloaded portal (open the form,
 * three steps, submit), arriving at ten times what the portal can carry, in three setups measured
 * in one run: straight to the portal, behind nginx `limit_req` (when installed), behind Sảnh.
 */
import { CORES, NGINX, startNginx, startNodeServer, type Running } from '../lib/processes.js';
import { LOAD_FROM_ONE_ADDRESS, figure, type Chart, type Figure, type FigureTarget, type Scenario, type ScenarioContext } from '../lib/scenario.js';
import { quantile, round } from '../lib/stats.js';
import { barChart, lineChart } from '../lib/svg.js';
import { between, CookieJar, isQueued, PeopleClient, poissonArrivals, sleep, waitInLine, type Answer } from '../lib/visitors.js';

/** The portal: 4 workers, 200 ms a page when idle; 5 requests a journey. */
const PORTAL = { capacity: 4, serviceMs: 200, queueLimit: 16, timeoutMs: 5000 };
const REQUESTS_PER_JOURNEY = 5;
/**
 * The share of its workers a portal can keep busy and stay healthy: past it, random arrivals
 * queue, queued work slows every worker down (the model's latency grows with its queue) and the
 * portal collapses. 80 % is the usual capacity-planning ceiling; the calibration run checks it.
 */
const HEALTHY_UTILISATION = 0.8;
/** Requests per second the portal carries at healthy latency. */
const HEALTHY_REQUESTS_PER_SECOND = PORTAL.capacity * (1000 / PORTAL.serviceMs) * HEALTHY_UTILISATION;
/** Journeys per minute the portal completes at healthy latency. */
const HEALTHY_JOURNEYS_PER_MINUTE = (HEALTHY_REQUESTS_PER_SECOND * 60) / REQUESTS_PER_JOURNEY;

const FORM: readonly Record<string, string>[] = [
  { fullName: 'Nguyễn Thị Bình', birthDate: '1988-03-14', nationalId: '001188012345' },
  { province: 'Hà Nội', district: 'Ba Đình', address: '12 phố Đội Cấn' },
  { documents: 'Căn cước công dân; hợp đồng thuê nhà', phone: '0912345678' },
];

interface Step {
  method: 'GET' | 'POST';
  path: string;
  form?: Record<string, string>;
  expect: number;
}

const JOURNEY: readonly Step[] = [
  { method: 'GET', path: '/apply/step/1', expect: 200 },
  { method: 'POST', path: '/apply/step/1', form: FORM[0], expect: 303 },
  { method: 'POST', path: '/apply/step/2', form: FORM[1], expect: 303 },
  { method: 'POST', path: '/apply/step/3', form: FORM[2], expect: 303 },
  { method: 'POST', path: '/apply/submit', expect: 200 },
];

type Fate = 'completed' | 'turned-away' | 'broken' | 'still-waiting' | 'gave-up-in-line';

interface Citizen {
  arrivedAt: number;
  fate?: Fate;
  doneAt?: number;
  waitedMs?: number;
  etaError?: number;
}

interface Phase {
  seconds: number;
  arrivalsPerSecond: number;
  thinkMs: readonly [number, number];
}

interface SetupResult {
  citizens: Citizen[];
  startedAt: number;
  phase: Phase;
  portalP95: number | null;
}

interface PortalStats {
  served: number;
  rejected: number;
  timedOut: number;
  latencyMs: { count: number; p50: number | null; p95: number | null };
}

async function portalStats(portal: Running): Promise<PortalStats> {
  return (await (await fetch(`${portal.url}/_demo/stats`)).json()) as PortalStats;
}

/** Runs one setup: Poisson arrivals for the phase, then lets started journeys finish. */
async function runSetup(base: string, portal: Running, phase: Phase, behindSanh: boolean, progress: (line: string) => void): Promise<SetupResult> {
  const client = new PeopleClient();
  const citizens: Citizen[] = [];
  const startedAt = performance.now();
  const arrivalsEnd = startedAt + phase.seconds * 1000;
  const arrivalsOver = new AbortController();
  const running: Promise<void>[] = [];
  await fetch(`${portal.url}/_demo/stats/reset`, { method: 'POST' });

  async function journey(citizen: Citizen): Promise<void> {
    const jar = new CookieJar();
    for (const [index, step] of JOURNEY.entries()) {
      let answer: Answer = await client.send(jar, step.method, `${base}${step.path}`, { form: step.form });
      if (behindSanh && index === 0 && isQueued(answer)) {
        const line = await waitInLine(
          client,
          jar,
          () => base,
          'main',
          answer,
          () => true,
          arrivalsOver.signal,
        );
        if (line.result !== 'admitted') {
          citizen.fate = line.result === 'gave-up' ? 'still-waiting' : 'turned-away';
          return;
        }
        citizen.waitedMs = line.waitedMs;
        if (line.firstEstimate && line.waitedMs > line.firstEstimate.atMs) {
          const actual = (line.waitedMs - line.firstEstimate.atMs) / 1000;
          citizen.etaError = Math.abs(line.firstEstimate.etaSeconds - actual) / actual;
        }
        answer = await client.send(jar, step.method, `${base}${step.path}`, { form: step.form });
      }
      if (answer.status !== step.expect) {
        citizen.fate = index === 0 ? 'turned-away' : 'broken';
        citizen.doneAt = performance.now();
        return;
      }
      if (index < JOURNEY.length - 1) await sleep(between(...phase.thinkMs));
    }
    citizen.fate = 'completed';
    citizen.doneAt = performance.now();
  }

  const ticker = setInterval(() => {
    const count = (f: Fate) => citizens.filter((c) => c.fate === f).length;
    const inLineOrOn = citizens.filter((c) => c.fate === undefined).length;
    progress(
      `${Math.round((performance.now() - startedAt) / 1000)} s: arrived ${citizens.length}, completed ${count('completed')}, broken ${count('broken')}, turned away ${count('turned-away')}, waiting or on the way ${inLineOrOn}`,
    );
  }, 10_000);
  await poissonArrivals(phase.arrivalsPerSecond, arrivalsEnd, () => {
    const citizen: Citizen = { arrivedAt: performance.now() };
    citizens.push(citizen);
    running.push(journey(citizen));
  });
  const stats = await portalStats(portal);
  const portalP95 = stats.latencyMs.p95;
  progress(
    `portal during arrivals: ${stats.latencyMs.count} requests, served ${stats.served}, refused ${stats.rejected}, timed out ${stats.timedOut}, p50 ${stats.latencyMs.p50} ms, p95 ${stats.latencyMs.p95} ms`,
  );
  arrivalsOver.abort();
  await Promise.all(running);
  clearInterval(ticker);
  await client.close();
  return { citizens, startedAt, phase, portalP95 };
}

interface SetupFigures {
  completedPerMinute: number;
  broken: number;
  started: number;
  turnedAway: number;
  portalP95: number;
}

/** Completions per minute over the part of the run where journeys could have finished. */
function summarise(result: SetupResult): SetupFigures {
  const warmupMs = Math.min(15_000, (result.phase.seconds * 1000) / 4);
  const windowStart = result.startedAt + warmupMs;
  const windowEnd = result.startedAt + result.phase.seconds * 1000;
  const completed = result.citizens.filter((c) => c.fate === 'completed' && c.doneAt !== undefined && c.doneAt >= windowStart && c.doneAt <= windowEnd).length;
  const broken = result.citizens.filter((c) => c.fate === 'broken').length;
  const started = result.citizens.filter((c) => c.fate === 'completed' || c.fate === 'broken').length;
  return {
    completedPerMinute: round((completed * 60_000) / (windowEnd - windowStart), true),
    broken,
    started,
    turnedAway: result.citizens.filter((c) => c.fate === 'turned-away').length,
    portalP95: result.portalP95 ?? Number.NaN,
  };
}

function setupFigures(prefix: string, s: SetupFigures): Record<string, Figure> {
  return {
    [`${prefix}_journeys_completed_per_minute`]: figure(s.completedPerMinute, 'journeys/min'),
    [`${prefix}_journeys_broken`]: figure(s.broken, 'journeys'),
    [`${prefix}_journeys_broken_share`]: figure(round(s.started ? s.broken / s.started : 0), 'ratio'),
    [`${prefix}_turned_away`]: figure(s.turnedAway, 'citizens'),
    [`${prefix}_portal_p95_ms`]: figure(s.portalP95, 'ms'),
  };
}

function phases(context: ScenarioContext): { calibration: Phase; surge: Phase } {
  const healthyPerSecond = HEALTHY_JOURNEYS_PER_MINUTE / 60;
  const thinkMs = context.quick ? ([200, 500] as const) : ([1000, 2000] as const);
  return {
    calibration: { seconds: context.quick ? 6 : 40, arrivalsPerSecond: healthyPerSecond, thinkMs },
    surge: { seconds: context.quick ? 10 : 120, arrivalsPerSecond: healthyPerSecond * 10, thinkMs },
  };
}

export const surgeScenario: Scenario = {
  name: 'surge',
  title: 'Citizens on whole journeys at ten times the portal’s capacity',
  async run(context) {
    const { calibration, surge } = phases(context);
    const portalEnv = {
      PORTAL_CAPACITY: String(PORTAL.capacity),
      PORTAL_SERVICE_MS: String(PORTAL.serviceMs),
      PORTAL_QUEUE_LIMIT: String(PORTAL.queueLimit),
      PORTAL_TIMEOUT_MS: String(PORTAL.timeoutMs),
    };
    const portal = await startNodeServer('bench/servers/portal.ts', portalEnv, CORES.support);
    const figures: Record<string, Figure> = { portal_healthy_capacity_journeys_per_minute: figure(HEALTHY_JOURNEYS_PER_MINUTE, 'journeys/min') };
    const summaries: [string, SetupFigures][] = [];

    context.progress(`calibration: straight to the portal at its healthy capacity for ${calibration.seconds} s`);
    const healthy = summarise(await runSetup(portal.url, portal, calibration, false, context.progress));
    figures.portal_healthy_p95_ms = figure(healthy.portalP95, 'ms');

    context.progress(`straight to the portal: ${surge.arrivalsPerSecond.toFixed(1)} arrivals/s for ${surge.seconds} s`);
    const direct = summarise(await runSetup(portal.url, portal, surge, false, context.progress));
    Object.assign(figures, setupFigures('direct', direct));
    summaries.push(['straight to the portal', direct]);

    if (NGINX) {
      const requestsPerSecond = HEALTHY_REQUESTS_PER_SECOND;
      const nginx = await startNginx(
        (port) => `
  limit_req_zone $server_name zone=portal:1m rate=${requestsPerSecond}r/s;
  upstream portal { server 127.0.0.1:${portal.port}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    server_name portal;
    location / { limit_req zone=portal burst=${PORTAL.capacity * 2} nodelay; proxy_pass http://portal; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $http_host; }
  }`,
      );
      context.progress(`behind nginx limit_req (${requestsPerSecond} r/s, burst ${PORTAL.capacity * 2})`);
      const limited = summarise(await runSetup(nginx.url, portal, surge, false, context.progress));
      Object.assign(figures, setupFigures('nginx', limited));
      summaries.push(['behind nginx limit_req', limited]);
      await nginx.stop();
    }

    const room = {
      id: 'main',
      match: ['/'],
      maxActive: 200,
      admitPerMinute: HEALTHY_JOURNEYS_PER_MINUTE,
      admitBurst: PORTAL.capacity,
      noShowSeconds: 30,
      sessionIdleSeconds: 120,
      ...LOAD_FROM_ONE_ADDRESS,
    };
    const sanh = await startNodeServer('bench/servers/sanh.ts', { SANH_CONFIG_JSON: JSON.stringify({ rooms: [room] }), ORIGIN_URL: portal.url });
    context.progress(`behind Sảnh (admitPerMinute ${room.admitPerMinute})`);
    const sanhRun = await runSetup(sanh.url, portal, surge, true, context.progress);
    const behind = summarise(sanhRun);
    summaries.push(['behind Sảnh', behind]);
    const admitted = sanhRun.citizens.filter((c) => c.waitedMs !== undefined || c.fate === 'completed' || c.fate === 'broken');
    const waits = sanhRun.citizens.flatMap((c) => (c.waitedMs === undefined ? [] : [c.waitedMs / 1000]));
    const etaErrors = sanhRun.citizens.flatMap((c) => (c.etaError === undefined ? [] : [c.etaError]));
    Object.assign(figures, setupFigures('sanh', behind), {
      sanh_admitted_journeys_broken: figure(behind.broken, 'journeys'),
      sanh_completed_vs_healthy_capacity_ratio: figure(round(behind.completedPerMinute / HEALTHY_JOURNEYS_PER_MINUTE), 'ratio'),
      sanh_portal_p95_vs_healthy_ratio: figure(round(behind.portalP95 / healthy.portalP95), 'ratio'),
      sanh_admitted: figure(admitted.length, 'citizens'),
      sanh_still_waiting_at_end: figure(sanhRun.citizens.filter((c) => c.fate === 'still-waiting').length, 'citizens'),
      sanh_wait_p50_s: figure(round(quantile(waits, 0.5)), 's'),
      sanh_wait_p95_s: figure(round(quantile(waits, 0.95)), 's'),
      sanh_eta_error_p50: figure(round(quantile(etaErrors, 0.5)), 'ratio'),
      sanh_eta_error_p90: figure(round(quantile(etaErrors, 0.9)), 'ratio'),
    });

    const targets: Record<string, FigureTarget> = {
      sanh_admitted_journeys_broken: { op: '<=', value: 0 },
      sanh_completed_vs_healthy_capacity_ratio: { op: '>=', value: 0.9 },
      sanh_portal_p95_vs_healthy_ratio: { op: '<=', value: 1 },
    };
    const charts: Chart[] = [
      {
        file: 'surge-completed.svg',
        title: 'surge: journeys completed per minute',
        svg: barChart({
          title: 'surge: journeys completed per minute at 10× capacity',
          unit: '/min',
          bars: summaries.map(([label, s]) => ({ label, value: s.completedPerMinute })),
          target: { value: HEALTHY_JOURNEYS_PER_MINUTE, label: 'healthy capacity' },
        }),
      },
      {
        file: 'surge-broken.svg',
        title: 'surge: journeys broken mid-way',
        svg: barChart({
          title: 'surge: journeys broken mid-way (an error after the first step)',
          unit: '',
          bars: summaries.map(([label, s]) => ({ label, value: s.broken })),
        }),
      },
      {
        file: 'surge-portal-p95.svg',
        title: 'surge: portal p95 latency',
        svg: barChart({
          title: 'surge: portal p95 latency (ms)',
          unit: 'ms',
          bars: summaries.map(([label, s]) => ({ label, value: s.portalP95 })),
          target: { value: healthy.portalP95, label: 'healthy p95' },
        }),
      },
      {
        file: 'surge-sanh-completions.svg',
        title: 'surge: completions over time behind Sảnh',
        svg: lineChart({
          title: 'surge behind Sảnh: journeys completed (cumulative)',
          xLabel: 'seconds since the surge began',
          yLabel: 'journeys',
          series: [{ name: 'completed', points: cumulative(sanhRun) }],
          references: [],
        }),
      },
    ];
    return {
      figures,
      targets,
      charts,
      notes: [
        `The portal: ${PORTAL.capacity} workers, ${PORTAL.serviceMs} ms a page when idle (slower as its queue grows), ${PORTAL.queueLimit} requests may queue (then 503), ${PORTAL.timeoutMs} ms timeout (504). Healthy capacity: ${HEALTHY_UTILISATION * 100} % of its workers, ${HEALTHY_REQUESTS_PER_SECOND} requests a second, ${HEALTHY_JOURNEYS_PER_MINUTE} journeys a minute (${REQUESTS_PER_JOURNEY} requests each).`,
        `Healthy p95 (\`portal_healthy_p95_ms\`) comes from a calibration run in the same run: citizens straight to the portal at its healthy capacity for ${calibration.seconds} s.`,
        `Citizens arrive at random (Poisson) at ${surge.arrivalsPerSecond.toFixed(1)} a second (10 × healthy capacity) for ${surge.seconds} s, think ${calibration.thinkMs[0]}–${calibration.thinkMs[1]} ms between steps, and do not retry.`,
        `Sảnh's room admits ${room.admitPerMinute} a minute (the portal's healthy capacity); the portal ends the session on submit (\`Sanh-Session: end\`). Citizens still in line when arrivals stop are counted, not served.`,
        NGINX
          ? "nginx: one global `limit_req` zone at the portal's healthy request rate with a burst of two requests per worker, `nodelay`."
          : 'nginx is not installed: the nginx setup was skipped.',
      ],
    };
  },
};

function cumulative(result: SetupResult): [number, number][] {
  const times = result.citizens
    .flatMap((c) => (c.fate === 'completed' && c.doneAt !== undefined ? [(c.doneAt - result.startedAt) / 1000] : []))
    .sort((a, b) => a - b);
  return [[0, 0], ...times.map((t, i) => [round(t), i + 1] as [number, number])];
}
