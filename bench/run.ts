/**
 * Benchmarks: `npm run bench -- <scenario|all|quick>`. Every figure is a ratio against a baseline
 * measured in the same run, on the same core. Servers run as separate processes pinned with
 * `taskset` where it exists; the load generator runs in this process. Loopback only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import autocannon from 'autocannon';
import { freePort } from '../tests/helpers/redis-server.js';

interface Figure {
  value: number;
  unit: string;
}
type Figures = Record<string, Figure>;

const HAS_TASKSET = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const SERVER_CORE = '0';
const children: ChildProcess[] = [];

async function startServer(script: string, env: Record<string, string>, core = SERVER_CORE): Promise<string> {
  const port = await freePort();
  const command = ['node', '--import', 'tsx', script];
  const child = HAS_TASKSET
    ? spawn('taskset', ['-c', core, ...command], { env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(command[0]!, command.slice(1), { env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start`)), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return `http://127.0.0.1:${port}`;
}

function stopAll(): void {
  for (const child of children.splice(0)) child.kill('SIGKILL');
}

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function runOnce(url: string, seconds: number, headers: Record<string, string>): Promise<Load> {
  const result = await autocannon({ url, connections: 50, pipelining: 1, duration: seconds, headers });
  const errors = result.errors + result.timeouts + (result.non2xx ?? 0);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Target {
  label: string;
  url: string;
  headers?: Record<string, string>;
}

/**
 * Measures several targets in alternating rounds (A B C A B C ...) and keeps each one's median, so
 * a noisy neighbour on a shared machine hurts every target alike instead of one of them.
 */
async function compare(targets: Target[], seconds: number, rounds = 3): Promise<Load[]> {
  for (const t of targets) await autocannon({ url: t.url, connections: 20, duration: 1, headers: t.headers ?? {} });
  const runs: Load[][] = targets.map(() => []);
  const each = Math.max(2, Math.round(seconds / rounds));
  for (let round = 0; round < rounds; round++) {
    for (const [i, t] of targets.entries()) runs[i]!.push(await runOnce(t.url, each, t.headers ?? {}));
  }
  return targets.map((t, i) => {
    const mine = runs[i]!;
    const out = { rps: median(mine.map((r) => r.rps)), p50: median(mine.map((r) => r.p50)), p99: median(mine.map((r) => r.p99)), errors: mine.reduce((a, r) => a + r.errors, 0) };
    console.log(`  ${t.label.padEnd(34)} ${Math.round(out.rps).toString().padStart(7)} req/s   p50 ${out.p50} ms   p99 ${out.p99} ms   errors ${out.errors}   (median of ${rounds} × ${each} s)`);
    return out;
  });
}

function cookieFrom(response: Response, name: string): string {
  const line = response.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  if (!line) throw new Error(`no ${name} cookie`);
  return line.split(';')[0]!;
}

/** Queued visitor's status poll vs a bare Hono "ok". */
async function statusScenario(seconds: number): Promise<Figures> {
  const hono = await startServer('bench/servers/hono-ok.ts', {});
  const origin = await startServer('bench/servers/fast-origin.ts', {}, '1');
  const config = { rooms: [{ id: 'main', match: ['/'], maxActive: 1, admitPerMinute: 60 }] };
  const sanh = await startServer('bench/servers/sanh.ts', { ORIGIN_URL: origin, SANH_CONFIG_JSON: JSON.stringify(config) });
  await fetch(`${sanh}/`);
  const queued = await fetch(`${sanh}/`, { headers: { accept: 'application/json' } });
  if (queued.status !== 503) throw new Error(`expected to be queued, got ${queued.status}`);
  const ticket = cookieFrom(queued, 'sanh_ticket_main');
  const [base, status] = await compare(
    [
      { label: 'bare Hono "ok"', url: `${hono}/` },
      { label: 'Sảnh GET /_sanh/status (queued)', url: `${sanh}/_sanh/status?room=main`, headers: { cookie: ticket, accept: 'application/json' } },
    ],
    seconds,
  );
  if (!base || !status) throw new Error('missing measurements');
  stopAll();
  return {
    status_rps: { value: Math.round(status.rps), unit: 'req/s' },
    hono_ok_rps: { value: Math.round(base.rps), unit: 'req/s' },
    status_vs_hono_ratio: { value: round(status.rps / base.rps), unit: 'ratio' },
    status_p99_ms: { value: status.p99, unit: 'ms' },
    status_errors: { value: status.errors, unit: 'count' },
  };
}

/** Admitted visitor's path through Sảnh to a fast origin vs a node:http proxy and a bare Hono "ok". */
async function proxyScenario(seconds: number): Promise<Figures> {
  const origin = await startServer('bench/servers/fast-origin.ts', {}, '1');
  const hono = await startServer('bench/servers/hono-ok.ts', {});
  const nodeProxy = await startServer('bench/servers/node-proxy.ts', { ORIGIN_URL: origin });
  const config = { rooms: [{ id: 'main', match: ['/'], maxActive: 100_000, admitPerMinute: 6_000_000 }] };
  const sanh = await startServer('bench/servers/sanh.ts', { ORIGIN_URL: origin, SANH_CONFIG_JSON: JSON.stringify(config) });
  const admitted = await fetch(`${sanh}/`);
  if (admitted.headers.get('sanh-state') !== 'admitted') throw new Error('expected to be admitted');
  const pass = cookieFrom(admitted, 'sanh_pass_main');
  const [base, direct, proxied] = await compare(
    [
      { label: 'bare Hono "ok"', url: `${hono}/` },
      { label: 'node:http proxy -> origin', url: `${nodeProxy}/page` },
      { label: 'Sảnh admitted -> origin', url: `${sanh}/page`, headers: { cookie: pass } },
    ],
    seconds,
  );
  if (!base || !direct || !proxied) throw new Error('missing measurements');
  stopAll();
  return {
    proxy_rps: { value: Math.round(proxied.rps), unit: 'req/s' },
    node_proxy_rps: { value: Math.round(direct.rps), unit: 'req/s' },
    hono_ok_rps: { value: Math.round(base.rps), unit: 'req/s' },
    proxy_vs_node_proxy_ratio: { value: round(proxied.rps / direct.rps), unit: 'ratio' },
    proxy_vs_hono_ratio: { value: round(proxied.rps / base.rps), unit: 'ratio' },
    proxy_p99_ms: { value: proxied.p99, unit: 'ms' },
    proxy_errors: { value: proxied.errors, unit: 'count' },
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

const SCENARIOS: Record<string, (seconds: number) => Promise<Figures>> = { status: statusScenario, proxy: proxyScenario };

async function main(): Promise<void> {
  const arg = process.argv[2] ?? 'quick';
  const names = arg === 'all' || arg === 'quick' ? Object.keys(SCENARIOS) : [arg];
  const seconds = arg === 'quick' ? 6 : 15;
  const unknown = names.filter((n) => !SCENARIOS[n]);
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}, all, quick`);
  const machine = { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, taskset: HAS_TASKSET };
  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  for (const name of names) {
    console.log(`\n${name} (${seconds} s per run)`);
    const startedAt = new Date().toISOString();
    const figures = await SCENARIOS[name]!(seconds);
    await writeFile(new URL(`./results/${name}.json`, import.meta.url), `${JSON.stringify({ scenario: name, machine, startedAt, figures }, null, 2)}\n`);
    for (const [figure, { value, unit }] of Object.entries(figures)) console.log(`  ${figure.padEnd(30)} ${value} ${unit}`);
  }
}

process.on('exit', stopAll);
main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    stopAll();
    process.exit();
  });
