/**
 * The processes a scenario runs: Node servers, redis-server and nginx, each pinned to a core with
 * `taskset` where it exists, each ready once its port accepts connections, all killed by
 * `stopAll()` (also on exit). Loopback only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect, freePort } from '../../tests/helpers/redis-server.js';
import { startRedisCluster } from '../../tests/helpers/redis-topologies.js';

/** Whether `taskset` can pin processes on this machine. */
export const HAS_TASKSET = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/** Whether nginx is installed (its baselines are skipped otherwise). */
export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx'].find((p) => spawnSync(p, ['-v']).status === 0);

/**
 * Cores by role. The servers under test share core 0; the load generator (this process), the
 * origin and Redis share core 1. On a one-core machine everything shares core 0.
 */
export const CORES = { server: '0', support: '1' } as const;

/** A started process. */
export interface Running {
  name: string;
  pid: number;
  port: number;
  url: string;
  /** Kills it and waits for it to exit. */
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
const cleanups: Array<() => Promise<void>> = [];

/** Pins this process (the load generator) to the support core. */
export function pinSelf(): void {
  if (HAS_TASKSET) spawnSync('taskset', ['-cp', CORES.support, String(process.pid)], { stdio: 'ignore' });
}

interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  port: number;
  core: string;
  env?: Record<string, string>;
}

async function spawnPinned(options: SpawnOptions): Promise<Running> {
  const argv = HAS_TASKSET ? ['taskset', '-c', options.core, options.command, ...options.args] : [options.command, ...options.args];
  let stderr = '';
  const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...options.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const deadline = Date.now() + 30_000;
  while (!(await canConnect(options.port))) {
    if (child.exitCode !== null) throw new Error(`${options.name} exited with ${child.exitCode}: ${stderr.trim()}`);
    if (Date.now() > deadline) throw new Error(`${options.name} did not listen on ${options.port}: ${stderr.trim()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    name: options.name,
    pid: child.pid ?? 0,
    port: options.port,
    url: `http://127.0.0.1:${options.port}`,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    },
  };
}

/** Starts one of `bench/servers/*.ts` with `PORT` and `env`; resolves once it listens. */
export async function startNodeServer(script: string, env: Record<string, string> = {}, core: string = CORES.server): Promise<Running> {
  const port = await freePort();
  return spawnPinned({ name: script, command: process.execPath, args: ['--import', 'tsx', script], port, core, env: { ...env, PORT: String(port) } });
}

/** Starts a private redis-server (no persistence) on a free port. */
export async function startRedis(core: string = CORES.support): Promise<Running & { redisUrl: string }> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'sanh-bench-redis-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const running = await spawnPinned({
    name: 'redis-server',
    command: 'redis-server',
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    port,
    core,
  });
  return { ...running, redisUrl: `redis://127.0.0.1:${port}` };
}

/**
 * Starts a Redis Cluster of three primaries on free ports (the test setup's, not pinned to a core),
 * stopped by `stopAll()`.
 */
export async function startRedisClusterServers(): Promise<{ redisUrl: string }> {
  const cluster = await startRedisCluster({ primaries: 3 });
  cleanups.push(() => cluster.stop());
  return { redisUrl: cluster.url };
}

/**
 * Starts nginx (one worker) with the given `http { ... }` body, where `{{PORT}}` is replaced by
 * the port it listens on. Throws when nginx is not installed: check `NGINX` first.
 */
export async function startNginx(httpBody: (port: number) => string, core: string = CORES.server): Promise<Running> {
  if (!NGINX) throw new Error('nginx is not installed');
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'sanh-bench-nginx-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const conf = [
    'worker_processes 1;',
    'daemon off;',
    'master_process off;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    'events { worker_connections 4096; }',
    'http {',
    '  access_log off;',
    `  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;`,
    `  fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;`,
    httpBody(port),
    '}',
    '',
  ].join('\n');
  await writeFile(join(dir, 'nginx.conf'), conf);
  return spawnPinned({ name: 'nginx', command: NGINX, args: ['-p', dir, '-c', join(dir, 'nginx.conf')], port, core });
}

/** Resident memory of a process in MiB (Linux `/proc`; NaN elsewhere). */
export async function residentMiB(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Kills every process started here and removes their temporary directories. */
export async function stopAll(): Promise<void> {
  const exits = [...children].map((child) => new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r))));
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(exits);
  for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => undefined);
}

process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
