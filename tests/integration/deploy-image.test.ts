import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { childEnv } from '../helpers/child-env.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SECRETS = `k1:${'s'.repeat(40)}`;
const ADMIN_TOKEN = `prometheus:read:${'p'.repeat(32)}`;

/** One Dockerfile instruction: its keyword and the rest of its (joined) line. */
interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** A small Dockerfile reader: line continuations, comments, global ARG defaults, stages. */
function parseDockerfile(text: string): Stage[] {
  const lines: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue; // a comment inside a continued instruction
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    lines.push(pending + line);
    pending = '';
  }
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    const space = line.search(/\s/);
    const op = line.slice(0, space).toUpperCase();
    const rest = line.slice(space + 1).trim();
    if (op === 'ARG' && stages.length === 0) {
      const [name = '', value = ''] = rest.split('=');
      args.set(name, value);
    } else if (op === 'FROM') {
      const [image = '', as, name] = rest.replace(/\$\{(\w+)\}/g, (_, n: string) => args.get(n) ?? '').split(/\s+/);
      stages.push({ from: image, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ op, args: rest });
    }
  }
  return stages;
}

/** `--from=x --chown=y a b dest` as flags, sources and destination. */
function copyParts(args: string): { flags: Map<string, string>; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const flags = new Map<string, string>();
  while (words[0]?.startsWith('--')) {
    const [name = '', value = ''] = (words.shift() as string).slice(2).split('=');
    flags.set(name, value);
  }
  const dest = words.pop() ?? '';
  return { flags, sources: words, dest };
}

/** `ENV A=1 B="two"` as a map (the `KEY=value` form only). */
function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { op, args } of stage.instructions) {
    if (op !== 'ENV') continue;
    for (const match of args.matchAll(/(\w+)=("([^"]*)"|\S*)/g)) env[match[1] as string] = match[3] ?? (match[2] as string);
  }
  return env;
}

/** A .dockerignore's verdict on a context path: its last matching pattern decides (a pattern matching a parent matches the path). */
function dockerignored(patterns: string[], path: string): boolean {
  const toRegExp = (pattern: string) =>
    new RegExp(
      `^${pattern
        .replace(/^\/+|\/+$/g, '')
        .split('/')
        .map((part) =>
          part === '**'
            ? '.*'
            : part
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]'),
        )
        .join('/')
        .replace(/\.\*\//g, '(.*/)?')}$`,
    );
  const parts = path.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const line of patterns) {
    const negated = line.startsWith('!');
    const regExp = toRegExp(negated ? line.slice(1) : line);
    if (prefixes.some((prefix) => regExp.test(prefix))) ignored = !negated;
  }
  return ignored;
}

/** Spawns the image's CMD and reads its JSON log lines as they come. */
class Instance {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(command: string[], cwd: string, env: NodeJS.ProcessEnv) {
    // The image's `node` is Node 24: so is the one running this test (package.json engines).
    const [program, ...args] = command;
    this.child = spawn(program === 'node' ? process.execPath : (program as string), args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const complete = buffered.split('\n');
      buffered = complete.pop() ?? '';
      for (const line of complete) {
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not a log line (the friendly "open … in a browser" banner)
        }
      }
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** The first log line with this message, waiting up to `ms`; fails at once if the process exits. */
  async line(message: string, ms = 30_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + ms;
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (Date.now() < deadline) {
      const found = this.lines.find((line) => line.message === message);
      if (found) return found;
      if (exited) throw new Error(`exited before logging "${message}":\n${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no "${message}" within ${ms} ms:\n${this.stderr}`);
  }

  /** Waits for the exit, up to `ms` (then kills it and fails). */
  async exit(ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), ms);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}

/**
 * deploy/Dockerfile's recipe, proven without Docker: the runtime stage's files are assembled in an
 * empty folder outside the repository (so nothing resolves from the repository's node_modules),
 * its production dependencies installed with the deps stage's own `npm ci`, and the image's CMD
 * started with the image's ENV, in front of a test origin.
 */
describe('deploy/Dockerfile, replayed without Docker', { timeout: 120_000 }, () => {
  let stages: Stage[];
  let runtime: Stage;
  let image: string;
  let origin: Server;
  let originUrl: string;
  const arrivals: string[] = [];
  const children: Instance[] = [];

  const start = (env: Record<string, string>) => {
    const cmd = JSON.parse(runtime.instructions.find((i) => i.op === 'CMD')?.args ?? '[]') as string[];
    const instance = new Instance(cmd, image, { ...childEnv({ HOME: image }), ...envOf(runtime), ...env });
    children.push(instance);
    return instance;
  };

  beforeAll(async () => {
    stages = parseDockerfile(await readFile(join(ROOT, 'deploy/Dockerfile'), 'utf8'));
    runtime = stages.at(-1) as Stage;
    const built = await stat(join(ROOT, 'dist/entry/node.js')).catch(() => undefined);
    if (!built) throw new Error('dist/entry/node.js is missing: run `npm run build` first (npm test does)');

    origin = createServer((request, response) => {
      arrivals.push(`${request.method} ${request.url}`);
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>portal</title><p>hello from the origin</p>');
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;

    image = await mkdtemp(join(tmpdir(), 'sanh-image-'));
    expect(relative(ROOT, image).startsWith('..')).toBe(true);
    for (const { op, args } of runtime.instructions) {
      if (op !== 'COPY') continue;
      const { flags, sources, dest } = copyParts(args);
      const target = join(image, dest);
      const from = flags.get('from');
      if (from === undefined) {
        for (const source of sources) await cp(join(ROOT, source), join(target, dest.endsWith('/') ? source : ''), { recursive: true });
        continue;
      }
      const stage = stages.find((s) => s.name === from);
      if (!stage) throw new Error(`COPY --from=${from}: no such stage`);
      const workdir = stage.instructions.find((i) => i.op === 'WORKDIR')?.args ?? '/';
      for (const source of sources) {
        const inStage = relative(workdir, source);
        if (inStage === 'node_modules') {
          // The stage installs it: replay its COPY of the manifests and its `npm ci`.
          const npmCi = stage.instructions.find((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args));
          if (!npmCi) throw new Error(`stage ${from} has no RUN npm ci`);
          const [, command = ''] = /(npm ci\b[^&;|]*)/.exec(npmCi.args) ?? [];
          expect(command).toMatch(/--omit=dev/);
          for (const copy of stage.instructions.filter((i) => i.op === 'COPY')) {
            for (const file of copyParts(copy.args).sources) await cp(join(ROOT, file), join(image, file));
          }
          const [, ...npmArgs] = command.trim().split(/\s+/);
          // Without the npm_* variables of an enclosing `npm test` (npm_config_local_prefix and the like).
          const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
          await run('npm', npmArgs, { cwd: image, env: { ...env, NODE_ENV: 'production' }, timeout: 100_000 });
        } else {
          // Built by the build stage (its WORKDIR mirrors the repository root): the tree `npm run build` made here.
          expect(stage.instructions.map((i) => i.args).join('\n'), `stage ${from} builds ${inStage}`).toMatch(/npm run build/);
          await cp(join(ROOT, inStage), target, { recursive: true });
        }
      }
    }
  }, 110_000);

  afterAll(async () => {
    for (const child of children) if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
    await new Promise<void>((resolve) => {
      if (!origin) return resolve();
      origin.close(() => resolve());
      origin.closeAllConnections();
    });
    if (image) await rm(image, { recursive: true, force: true });
  });

  it('runs Node 24 as a non-root user, in production mode, with node (not npm) as the process', () => {
    expect(runtime.from).toMatch(/^(node:24(-slim)?|gcr\.io\/distroless\/nodejs24[\w-]*)(@|$)/);
    const user = runtime.instructions.filter((i) => i.op === 'USER').at(-1)?.args ?? 'root';
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(envOf(runtime)).toMatchObject({ NODE_ENV: 'production', ADMIN_HOST: '0.0.0.0' });
    const cmd = JSON.parse(runtime.instructions.find((i) => i.op === 'CMD')?.args ?? 'null') as unknown;
    expect(cmd).toEqual(['node', 'dist/entry/node.js']);
    // Every runtime file comes from the build context, the build stage or the deps stage; nothing else.
    const copied = runtime.instructions.filter((i) => i.op === 'COPY').flatMap((i) => copyParts(i.args).sources);
    for (const needed of ['/app/node_modules', '/app/dist', 'package.json', 'package-lock.json', 'sanh.schema.json']) expect(copied).toContain(needed);
  });

  it('sends the builder only what it copies (.dockerignore)', async () => {
    const patterns = (await readFile(join(ROOT, '.dockerignore'), 'utf8'))
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    const fromContext = stages.flatMap((stage) =>
      stage.instructions.filter((i) => i.op === 'COPY' && !copyParts(i.args).flags.has('from')).flatMap((i) => copyParts(i.args).sources),
    );
    for (const path of fromContext) expect(dockerignored(patterns, path), `${path} reaches the build`).toBe(false);
    expect(dockerignored(patterns, 'src/entry/node.ts')).toBe(false);
    for (const path of [
      'node_modules/hono/package.json',
      'dist/entry/node.js',
      '.git/HEAD',
      'bench/results/run.json',
      'tests/e2e/screenshots/a.png',
      '.env',
      'src/.env',
      'deploy/compose.yaml',
      'npm-debug.log',
    ]) {
      expect(dockerignored(patterns, path), `${path} stays out of the build`).toBe(true);
    }
  });

  it('installs the production dependencies and none of the dev ones', async () => {
    const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; optional?: boolean }> };
    const exists = (path: string) =>
      stat(join(image, path)).then(
        () => true,
        () => false,
      );
    for (const name of ['tsx', 'vitest', 'typescript', 'esbuild', 'wrangler', 'playwright-core', 'kubernetes-models'])
      expect(await exists(`node_modules/${name}`), name).toBe(false);
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (!path.startsWith('node_modules/')) continue;
      if (entry.dev) expect(await exists(path), `${path} is a dev dependency`).toBe(false);
      else if (!entry.optional) expect(await exists(path), `${path} is a production dependency`).toBe(true);
    }
  });

  it('serves a visitor through to the origin with the image CMD and ENV, is healthy by its HEALTHCHECK, and exits 0 on SIGTERM', async () => {
    // On Redis, as deployed: the Lua scripts in dist and ioredis from the production install are used.
    const config = join(image, 'sanh.json');
    await writeFile(
      config,
      JSON.stringify({ rooms: [{ id: 'main', match: ['/'], maxActive: 20, admitPerMinute: 600 }], redis: { keyPrefix: uniquePrefix('deploy-image') } }),
    );
    const sanh = start({
      PORT: '0',
      HOST: '127.0.0.1',
      ADMIN_PORT: '0',
      ADMIN_HOST: '127.0.0.1',
      ORIGIN_URL: originUrl,
      REDIS_URL: testRedisUrl(),
      SANH_CONFIG: config,
      SANH_SECRETS: SECRETS,
      SANH_ADMIN_TOKEN: ADMIN_TOKEN,
      SANH_DRAIN_SECONDS: '5',
    });
    const url = String((await sanh.line('Sảnh is ready')).url);
    const adminUrl = String((await sanh.line('admin listener is ready')).url);

    const visit = await fetch(`${url}/`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(visit.status).toBe(200);
    expect(visit.headers.get('sanh-state')).toBe('admitted');
    expect(await visit.text()).toContain('hello from the origin');
    expect(arrivals).toContain('GET /');

    expect((await fetch(`${url}/_sanh/live`)).status).toBe(200);
    expect((await fetch(`${url}/_sanh/ready`)).status).toBe(200);
    expect(await (await fetch(`${url}/_sanh/status?room=main`, { headers: { accept: 'application/json' } })).json()).toMatchObject({ room: 'main' });
    // The admin listener's /metrics with the read token; the visitor shows once the snapshot refreshed.
    let scraped = '';
    for (let tries = 0; tries < 50 && !/^sanh_room_active_visitors\{room="main"\} 1$/m.test(scraped); tries++) {
      if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      const metrics = await fetch(`${adminUrl}/metrics`, { headers: { authorization: `Bearer ${'p'.repeat(32)}` } });
      expect(metrics.status).toBe(200);
      scraped = await metrics.text();
    }
    expect(scraped).toMatch(/^sanh_room_active_visitors\{room="main"\} 1$/m);
    expect(scraped).toMatch(/^sanh_store_up 1$/m);

    // The HEALTHCHECK, as Docker runs it inside the container (same ENV, the PORT the process got).
    const healthcheck = runtime.instructions.find((i) => i.op === 'HEALTHCHECK')?.args ?? '';
    expect(healthcheck).not.toMatch(/\b(curl|wget)\b/);
    const probe = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD') + 3).trim()) as string[];
    expect(probe[0]).toBe('node');
    await run(process.execPath, probe.slice(1), { cwd: image, env: { ...envOf(runtime), PORT: new URL(url).port }, timeout: 10_000 });

    sanh.child.kill('SIGTERM');
    expect(await sanh.exit(20_000)).toEqual({ code: 0, signal: null });
  });

  it('refuses to start in production without SANH_SECRETS or ORIGIN_URL', async () => {
    const base = { PORT: '0', HOST: '127.0.0.1' };
    const noSecrets = start({ ...base, ORIGIN_URL: originUrl });
    const noOrigin = start({ ...base, SANH_SECRETS: SECRETS });
    const [a, b] = await Promise.all([noSecrets.exit(15_000), noOrigin.exit(15_000)]);
    expect(a.code, noSecrets.stderr).not.toBe(0);
    expect(a.signal).toBeNull();
    expect(noSecrets.stderr).toContain('SANH_SECRETS');
    expect(b.code, noOrigin.stderr).not.toBe(0);
    expect(b.signal).toBeNull();
    expect(noOrigin.stderr).toContain('ORIGIN_URL');
  });
});
