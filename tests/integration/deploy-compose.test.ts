import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseAdminTokens } from '../../src/admin/tokens.js';
import { parseConfig } from '../../src/config/load.js';
import { parseRedisTarget } from '../../src/redis/connection.js';
import { canConnect, freePort, startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { until } from '../helpers/until.js';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));

/** A YAML document as read, loosely typed (each check reads the fields it needs). */
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, walked by the assertions
type Doc = Record<string, any>;

const readYaml = async (path: string) => parse(await readFile(join(DEPLOY, path), 'utf8'), { merge: true }) as Doc;

/** `host:container[:mode]` bind mounts and named volumes of a service. */
function mounts(service: Doc): { source: string; target: string; bind: boolean }[] {
  return ((service.volumes ?? []) as string[]).map((spec) => {
    const [source = '', target = ''] = spec.split(':');
    return { source, target, bind: source.startsWith('.') || source.startsWith('/') };
  });
}

/** Compose's `${NAME:?message}` / `${NAME:-default}` / `${NAME}` references in a string. */
const references = (value: string) => [...value.matchAll(/\$\{(\w+)(?::?[?-][^}]*)?\}/g)].map((m) => m[1] as string);

/**
 * deploy/compose.yaml and the files it mounts, read as compose would (no Docker engine runs here,
 * so `docker compose config` cannot): every path it names exists, and the pieces agree with one
 * another (ports, tokens, the rules file, the dashboard folder).
 */
describe('deploy/compose.yaml', () => {
  let compose: Doc;
  let services: Record<string, Doc>;
  let prometheus: Doc;
  beforeAll(async () => {
    compose = await readYaml('compose.yaml');
    services = compose.services as Record<string, Doc>;
    prometheus = await readYaml('prometheus/prometheus.yml');
  });

  it('has two Sảnh instances built from deploy/Dockerfile, Redis, the demo portal, Prometheus and Grafana', () => {
    expect(Object.keys(services).sort()).toEqual(['grafana', 'portal', 'prometheus', 'redis', 'sanh-1', 'sanh-2']);
    for (const name of ['sanh-1', 'sanh-2', 'portal']) {
      const build = services[name]?.build as Doc;
      expect(build, name).toBeDefined();
      expect(posix.join(build.context, build.dockerfile)).toBe('../deploy/Dockerfile');
      expect(existsSync(join(DEPLOY, build.context, build.dockerfile))).toBe(true);
      expect(services[name]?.image).toBe('sanh:local');
    }
  });

  it('runs Redis with an append-only file, fsynced, and never evicting', () => {
    const command = ((services.redis?.command ?? []) as string[]).join(' ');
    expect(command).toMatch(/--appendonly yes\b/);
    expect(command).toMatch(/--appendfsync (everysec|always)\b/);
    expect(command).toMatch(/--maxmemory-policy noeviction\b/);
    expect(mounts(services.redis as Doc).map((m) => m.target)).toContain('/data');
    // 7.2+ for WAITAOF (submissions.durability "fsync").
    const [major = 0, minor = 0] = String(services.redis?.image).split(':')[1]?.split(/[.-]/).map(Number) ?? [];
    expect(major * 100 + minor).toBeGreaterThanOrEqual(702);
  });

  it('points both instances at the portal and Redis, with a valid config, shared uploads and a stop grace above the drain', async () => {
    for (const name of ['sanh-1', 'sanh-2']) {
      const service = services[name] as Doc;
      const env = service.environment as Record<string, string>;
      const origin = new URL(env.ORIGIN_URL as string);
      expect(services[origin.hostname], `ORIGIN_URL names the ${origin.hostname} service`).toBeDefined();
      expect(JSON.stringify(services[origin.hostname]?.command)).toContain(`port: ${origin.port}`);
      expect(services[new URL(env.REDIS_URL as string).hostname]).toBeDefined();
      for (const key of ['SANH_SECRETS', 'SANH_ADMIN_TOKEN'])
        expect(references(env[key] ?? ''), `${key} comes from the operator's environment`).not.toEqual([]);
      const configMount = mounts(service).find((m) => m.target === env.SANH_CONFIG);
      expect(configMount?.bind).toBe(true);
      const config = parseConfig(JSON.parse(await readFile(join(DEPLOY, configMount?.source as string), 'utf8')) as unknown);
      const uploads = config.drafts.uploads.directory;
      const uploadsMount = mounts(service).find((m) => m.target === uploads);
      expect(uploadsMount && !uploadsMount.bind, 'drafts.uploads.directory is a named volume both instances share').toBe(true);
      expect(compose.volumes).toHaveProperty(uploadsMount?.source as string);
      const drain = Number(env.SANH_DRAIN_SECONDS ?? 25);
      expect(Number.parseInt(String(service.stop_grace_period), 10)).toBeGreaterThan(drain);
      expect(service.read_only).toBe(true);
      expect(service.cap_drop).toContain('ALL');
    }
    expect(services['sanh-1']?.environment).toEqual(services['sanh-2']?.environment);
    // The portal is reached only through Sảnh; every published port is on loopback.
    expect(services.portal?.ports).toBeUndefined();
    for (const [name, service] of Object.entries(services)) for (const port of (service.ports ?? []) as string[]) expect(port, name).toMatch(/^127\.0\.0\.1:/);
  });

  it('gives Prometheus the read token both instances accept, and scrapes both admin listeners', () => {
    const env = services['sanh-1']?.environment as Record<string, string>;
    const job = (prometheus.scrape_configs as Doc[]).find((c) => c.job_name === 'sanh') as Doc;
    expect(job.metrics_path).toBe('/metrics');
    expect(job.authorization.type).toBe('Bearer');
    const targets = (job.static_configs as Doc[]).flatMap((c) => c.targets as string[]);
    expect(targets.sort()).toEqual(['sanh-1:9090', 'sanh-2:9090']);
    // The token file is a compose secret mounted in Prometheus, from the variable SANH_ADMIN_TOKEN's read entry uses.
    const secretName = posix.basename(job.authorization.credentials_file as string);
    expect(job.authorization.credentials_file).toBe(`/run/secrets/${secretName}`);
    expect(services.prometheus?.secrets).toContain(secretName);
    const variable = compose.secrets[secretName].environment as string;
    const tokens = parseAdminTokens((env.SANH_ADMIN_TOKEN as string).replace(/\$\{(\w+)[^}]*\}/g, (_, name: string) => `${name}-${'x'.repeat(24)}`));
    const readToken = tokens.find((t) => t.secret === `${variable}-${'x'.repeat(24)}`);
    expect(readToken?.scope).toBe('read');
    // The admin listener listens where Prometheus looks (the image's ADMIN_PORT, on all addresses).
    expect(env.ADMIN_PORT ?? '9090').toBe('9090');
    expect(env.ADMIN_HOST ?? '0.0.0.0').toBe('0.0.0.0');
  });

  it('loads the alert rules into Prometheus', () => {
    const ruleFiles = prometheus.rule_files as string[];
    expect(ruleFiles).toHaveLength(1);
    const mount = mounts(services.prometheus as Doc).find((m) => m.target === ruleFiles[0]);
    expect(mount?.source).toBe('./prometheus/alerts.yml');
    const config = mounts(services.prometheus as Doc).find((m) => m.target === '/etc/prometheus/prometheus.yml');
    expect(config?.source).toBe('./prometheus/prometheus.yml');
    expect(services.prometheus?.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
  });

  it('provisions Grafana with the Prometheus datasource and the Sảnh dashboard', async () => {
    const grafana = services.grafana as Doc;
    const provisioning = mounts(grafana).find((m) => m.target === '/etc/grafana/provisioning');
    expect(provisioning?.source).toBe('./grafana/provisioning');
    const datasources = await readYaml('grafana/provisioning/datasources/prometheus.yaml');
    const [datasource] = datasources.datasources as Doc[];
    expect(datasource).toMatchObject({ type: 'prometheus', isDefault: true });
    const url = new URL(datasource?.url as string);
    expect(url.hostname).toBe('prometheus');
    expect(((services.prometheus?.command ?? []) as string[]).some((c) => c.startsWith('--web.listen-address'))).toBe(false); // so it listens on 9090
    expect(url.port).toBe('9090');
    const dashboards = await readYaml('grafana/provisioning/dashboards/sanh.yaml');
    const [provider] = dashboards.providers as Doc[];
    expect(provider?.type).toBe('file');
    const dashboardMount = mounts(grafana).find((m) => m.source === './grafana/sanh-dashboard.json');
    expect(posix.dirname(dashboardMount?.target as string)).toBe(provider?.options.path);
    const dashboard = JSON.parse(await readFile(join(DEPLOY, 'grafana/sanh-dashboard.json'), 'utf8')) as Doc;
    expect(dashboard.uid).toBeTruthy();
    expect(references(JSON.stringify(grafana.environment))).toContain('GRAFANA_ADMIN_PASSWORD');
  });

  it('mounts only files that exist, and every variable it needs is documented in deploy/README.md', async () => {
    for (const [name, service] of Object.entries(services)) {
      for (const mount of mounts(service).filter((m) => m.bind)) expect(existsSync(join(DEPLOY, mount.source)), `${name}: ${mount.source}`).toBe(true);
      for (const volume of mounts(service).filter((m) => !m.bind)) expect(compose.volumes, `${name}: ${volume.source}`).toHaveProperty(volume.source);
    }
    const readme = await readFile(join(DEPLOY, 'README.md'), 'utf8');
    const text = await readFile(join(DEPLOY, 'compose.yaml'), 'utf8');
    for (const variable of new Set([...references(text), ...Object.values(compose.secrets as Record<string, Doc>).map((s) => s.environment as string)])) {
      expect(readme, variable).toContain(variable);
    }
  });

  // promtool is not on this project's machines; where it is, it checks the rules' PromQL too.
  it.skipIf(spawnSync('promtool', ['--version']).status !== 0)('passes promtool check rules', () => {
    const result = spawnSync('promtool', ['check', 'rules', join(DEPLOY, 'prometheus/alerts.yml')], { encoding: 'utf8' });
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });
});

/** A redis-server command line's `--name value…` options, in order (`--sentinel` alone has no value). */
function options(args: readonly string[]): [string, string[]][] {
  const found: [string, string[]][] = [];
  for (const arg of args) {
    if (arg.startsWith('--')) found.push([arg.slice(2), []]);
    else found.at(-1)?.[1].push(arg);
  }
  return found;
}
const option = (args: readonly string[], name: string) => options(args).find(([n]) => n === name)?.[1];

/** A Redis configuration file's directives, in order, comments left out. */
const directives = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(/\s+/));

/** How a sentinel service of compose.sentinel.yaml starts: what it copies where, and the redis-server command it execs. */
function sentinelStart(service: Doc): { from: string; to: string; args: string[] } {
  const [shell, flag, script = ''] = service.command as string[];
  expect([shell, flag]).toEqual(['sh', '-c']);
  const copy = /\bcp (\S+) (\S+);/.exec(script);
  const exec = /\bexec docker-entrypoint\.sh (redis-server .+)$/.exec(script);
  if (!copy || !exec) throw new Error(`unexpected sentinel command: ${script}`);
  return { from: copy[1] as string, to: copy[2] as string, args: (exec[1] as string).split(/\s+/) };
}

async function ask<T>(port: number, ...command: [string, ...string[]]): Promise<T> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.call(...command)) as T;
  } finally {
    client.disconnect();
  }
}

/**
 * deploy/compose.sentinel.yaml, deploy/redis-sentinel/sentinel.conf and deploy/sanh.sentinel.json:
 * read as compose would, then the Redis part run by this machine's redis-server with the service
 * names mapped to loopback ports, through a failover.
 */
describe('deploy/compose.sentinel.yaml', () => {
  let compose: Doc;
  let services: Record<string, Doc>;
  let sentinelConf: string[][];
  const named = (test: (service: Doc) => boolean) => Object.keys(services).filter((name) => test(services[name] as Doc));
  const isSentinel = (service: Doc) => JSON.stringify(service.command ?? []).includes('--sentinel');
  const isDataNode = (service: Doc) => (service.command as string[] | undefined)?.[0] === 'redis-server';
  const dataNodes = () => named(isDataNode);
  const primaries = () => dataNodes().filter((name) => !option(services[name]?.command as string[], 'replicaof'));
  const replicas = () => dataNodes().filter((name) => option(services[name]?.command as string[], 'replicaof'));
  const sentinels = () => named(isSentinel);
  const sanhs = () => named((service) => Boolean(service.environment?.REDIS_URL));
  const monitor = () => sentinelConf.find((d) => d[0] === 'sentinel' && d[1] === 'monitor')?.slice(2) as [string, string, string, string];

  beforeAll(async () => {
    compose = await readYaml('compose.sentinel.yaml');
    services = compose.services as Record<string, Doc>;
    sentinelConf = directives(await readFile(join(DEPLOY, 'redis-sentinel/sentinel.conf'), 'utf8'));
  });

  it('has a Redis primary, one replica of it, three sentinels, two Sảnh instances and the demo portal', () => {
    expect(primaries()).toEqual(['redis-1']);
    expect(replicas()).toEqual(['redis-2']);
    expect(sentinels()).toEqual(['sentinel-1', 'sentinel-2', 'sentinel-3']);
    expect(sanhs()).toEqual(['sanh-1', 'sanh-2']);
    expect(Object.keys(services).sort()).toEqual([...dataNodes(), ...sentinels(), ...sanhs(), 'portal'].sort());
    for (const name of [...sanhs(), 'portal']) {
      const build = services[name]?.build as Doc;
      expect(posix.join(build.context, build.dockerfile), name).toBe('../deploy/Dockerfile');
      expect(services[name]?.image).toBe('sanh:local');
    }
    // One Redis image for data nodes and sentinels, 7.2+ as in compose.yaml.
    const images = new Set([...dataNodes(), ...sentinels()].map((name) => String(services[name]?.image)));
    expect([...images]).toHaveLength(1);
    const [major = 0, minor = 0] = [...images][0]?.split(':')[1]?.split(/[.-]/).map(Number) ?? [];
    expect(major * 100 + minor).toBeGreaterThanOrEqual(702);
  });

  it('runs both data nodes alike (either may be primary): AOF, no eviction, min-replicas-to-write 1, max lag 10, announcing its service name', () => {
    const [primary = '', replica = ''] = [primaries()[0], replicas()[0]];
    expect(option(services[replica]?.command as string[], 'replicaof')).toEqual([primary, '6379']);
    for (const name of dataNodes()) {
      const args = services[name]?.command as string[];
      const text = args.join(' ');
      expect(text, name).toMatch(/--appendonly yes\b/);
      expect(text, name).toMatch(/--appendfsync (everysec|always)\b/);
      expect(text, name).toMatch(/--maxmemory-policy noeviction\b/);
      expect(option(args, 'min-replicas-to-write'), name).toEqual(['1']);
      expect(option(args, 'min-replicas-max-lag'), name).toEqual(['10']);
      expect(option(args, 'replica-announce-ip'), name).toEqual([name]);
      const data = mounts(services[name] as Doc).find((m) => m.target === '/data');
      expect(data && !data.bind, `${name} keeps /data in a named volume`).toBe(true);
      expect(services[name]?.healthcheck?.test, name).toBeDefined();
    }
    const settings = (name: string) => options(services[name]?.command as string[]).filter(([n]) => n !== 'replicaof' && n !== 'replica-announce-ip');
    expect(settings(replica)).toEqual(settings(primary));
    const volumes = dataNodes().map((name) => mounts(services[name] as Doc).find((m) => m.target === '/data')?.source);
    expect(new Set(volumes).size).toBe(volumes.length);
  });

  it('has three sentinels that resolve and announce host names and watch the primary: quorum 2, down after 5 s, failover timeout 10 s', () => {
    const keys = sentinelConf.map((d) => (d[0] === 'sentinel' ? `sentinel ${d[1]}` : d[0]));
    expect(keys.indexOf('sentinel resolve-hostnames')).toBeGreaterThanOrEqual(0);
    expect(keys.indexOf('sentinel resolve-hostnames'), 'resolve-hostnames comes before monitor').toBeLessThan(keys.indexOf('sentinel monitor'));
    const value = (key: string) => sentinelConf.find((_, i) => keys[i] === key)?.slice(key.split(' ').length);
    expect(value('sentinel resolve-hostnames')).toEqual(['yes']);
    expect(value('sentinel announce-hostnames')).toEqual(['yes']);
    expect(value('port')).toEqual(['26379']);
    const [name, host, port, quorum] = monitor();
    expect([host, port]).toEqual([primaries()[0], '6379']);
    expect(Number(quorum)).toBe(2);
    expect(Number(quorum)).toBeGreaterThan(sentinels().length / 2);
    expect(value('sentinel down-after-milliseconds')).toEqual([name, '5000']);
    expect(value('sentinel failover-timeout')).toEqual([name, '10000']);

    const copies = new Set<string>();
    for (const sentinel of sentinels()) {
      const service = services[sentinel] as Doc;
      const start = sentinelStart(service);
      // The file in git, mounted read-only, copied into the sentinel's own volume (Sentinel rewrites it), and run from there.
      expect(mounts(service).find((m) => m.target === start.from)?.source, sentinel).toBe('./redis-sentinel/sentinel.conf');
      const volume = mounts(service).find((m) => !m.bind && start.to.startsWith(`${m.target}/`));
      expect(volume, `${sentinel} keeps its configuration in a named volume`).toBeDefined();
      copies.add(volume?.source as string);
      expect(start.args.slice(0, 3)).toEqual(['redis-server', start.to, '--sentinel']);
      expect(
        options(start.args)
          .filter(([n]) => n === 'sentinel')
          .at(-1)?.[1],
        sentinel,
      ).toEqual(['announce-ip', sentinel]);
      expect(JSON.stringify(service.healthcheck?.test), sentinel).toContain(`ckquorum ${name}`);
      expect(service.depends_on?.[primaries()[0] as string]?.condition, `${sentinel} starts once the primary it resolves is up`).toBe('service_healthy');
    }
    expect(copies.size, 'each sentinel its own volume').toBe(sentinels().length);
  });

  it('points both Sảnh instances at all three sentinels and the monitored name, with sanh.sentinel.json ("replicated")', async () => {
    const [name] = monitor();
    const sentinelPort = Number(sentinelConf.find((d) => d[0] === 'port')?.[1]);
    for (const instance of sanhs()) {
      const service = services[instance] as Doc;
      const env = service.environment as Record<string, string>;
      expect(env.REDIS_URL).toMatch(/^redis\+sentinel:\/\//);
      const target = parseRedisTarget({ REDIS_URL: env.REDIS_URL });
      if (target?.kind !== 'sentinel') throw new Error(`${instance}: REDIS_URL is not a Sentinel target`);
      expect(target.sentinels.map((s) => s.host).sort()).toEqual(sentinels());
      for (const s of target.sentinels) expect(s.port).toBe(sentinelPort);
      expect(target.name).toBe(name);
      const origin = new URL(env.ORIGIN_URL as string);
      expect(JSON.stringify(services[origin.hostname]?.command)).toContain(`port: ${origin.port}`);
      for (const key of ['SANH_SECRETS', 'SANH_ADMIN_TOKEN'])
        expect(references(env[key] ?? ''), `${key} comes from the operator's environment`).not.toEqual([]);
      for (const dependency of [...sentinels(), ...replicas(), 'portal'])
        expect(service.depends_on?.[dependency]?.condition, `${instance} waits for ${dependency}`).toBe('service_healthy');

      const configMount = mounts(service).find((m) => m.target === env.SANH_CONFIG);
      expect(configMount?.source).toBe('./sanh.sentinel.json');
      const raw = JSON.parse(await readFile(join(DEPLOY, configMount?.source as string), 'utf8')) as Doc;
      const config = parseConfig(raw as unknown);
      expect(config.submissions.durability).toBe('replicated');
      expect(config.submissions.replicas).toBeGreaterThanOrEqual(1);
      expect(config.submissions.replicas, 'no more replicas waited for than there are').toBeLessThanOrEqual(replicas().length);
      // Otherwise the configuration compose.yaml mounts.
      const plain = JSON.parse(await readFile(join(DEPLOY, 'sanh.compose.json'), 'utf8')) as Doc;
      const { durability: _d, replicas: _r, ...submissions } = raw.submissions as Doc;
      const { durability: _pd, ...plainSubmissions } = plain.submissions as Doc;
      expect({ ...raw, submissions }).toEqual({ ...plain, submissions: plainSubmissions });

      const uploadsMount = mounts(service).find((m) => m.target === config.drafts.uploads.directory);
      expect(uploadsMount && !uploadsMount.bind, 'drafts.uploads.directory is a named volume both instances share').toBe(true);
      expect(Number.parseInt(String(service.stop_grace_period), 10)).toBeGreaterThan(Number(env.SANH_DRAIN_SECONDS ?? 25));
      expect(service.read_only).toBe(true);
      expect(service.cap_drop).toContain('ALL');
    }
    expect(services['sanh-1']?.environment).toEqual(services['sanh-2']?.environment);
    expect(services.portal?.ports).toBeUndefined();
    for (const [service, spec] of Object.entries(services)) for (const port of (spec.ports ?? []) as string[]) expect(port, service).toMatch(/^127\.0\.0\.1:/);
  });

  it('mounts only files that exist, and every variable it needs is documented in deploy/README.md', async () => {
    for (const [name, service] of Object.entries(services)) {
      for (const mount of mounts(service).filter((m) => m.bind)) expect(existsSync(join(DEPLOY, mount.source)), `${name}: ${mount.source}`).toBe(true);
      for (const volume of mounts(service).filter((m) => !m.bind)) expect(compose.volumes, `${name}: ${volume.source}`).toHaveProperty(volume.source);
    }
    const readme = await readFile(join(DEPLOY, 'README.md'), 'utf8');
    const text = await readFile(join(DEPLOY, 'compose.sentinel.yaml'), 'utf8');
    const variables = new Set(references(text));
    expect(variables.size).toBeGreaterThan(0);
    for (const variable of variables) expect(readme, variable).toContain(variable);
    expect(readme).toContain('compose.sentinel.yaml');
  });

  describe.skipIf(spawnSync('redis-server', ['--version']).status !== 0)('run by redis-server, service names mapped to loopback ports', () => {
    const servers = new Map<string, RedisServer>();
    const sentinelPorts = new Map<string, number>();
    const stops: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const stop of stops.reverse()) await stop();
    });

    /** A service's command line with every service name as 127.0.0.1, and `--replicaof <service> 6379` at that service's port. */
    const local = (args: readonly string[]) =>
      args.map((arg, i) => {
        if (args[i - 2] === '--replicaof') return String(servers.get(args[i - 1] as string)?.port);
        return Object.hasOwn(services, arg) ? '127.0.0.1' : arg;
      });

    async function startSentinel(name: string): Promise<void> {
      const start = sentinelStart(services[name] as Doc);
      const port = await freePort();
      const dir = await mkdtemp(join(tmpdir(), 'sanh-compose-sentinel-'));
      const [, primaryHost = '', primaryPort = ''] = monitor();
      const text = (await readFile(join(DEPLOY, 'redis-sentinel/sentinel.conf'), 'utf8'))
        .replace(/^port \d+$/m, `port ${port}`)
        .replace(` ${primaryHost} ${primaryPort} `, ` 127.0.0.1 ${servers.get(primaryHost)?.port} `);
      const conf = join(dir, 'sentinel.conf');
      await writeFile(conf, `${text}\nbind 127.0.0.1\ndir ${dir}\n`);
      const child = spawn('redis-server', [conf, ...local(start.args.slice(2))], { stdio: 'ignore' });
      stops.push(async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const gone = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          await gone;
        }
        await rm(dir, { recursive: true, force: true });
      });
      await until(
        async () => {
          if (child.exitCode !== null) throw new Error(`${name} (redis-server --sentinel) exited with ${child.exitCode}`);
          return canConnect(port);
        },
        { what: `${name} on port ${port}`, ms: 10_000, everyMs: 25 },
      );
      sentinelPorts.set(name, port);
    }

    it('the sentinels see the replica and one another, fail over to the replica, and writes wait for a replica again', { timeout: 90_000 }, async () => {
      const [name] = monitor();
      const [primaryName = '', replicaName = ''] = [primaries()[0], replicas()[0]];
      for (const node of [primaryName, replicaName]) {
        const server = await startRedisServer(local(((services[node]?.command ?? []) as string[]).slice(1)));
        servers.set(node, server);
        stops.push(() => server.stop());
      }
      const primary = servers.get(primaryName) as RedisServer;
      const replica = servers.get(replicaName) as RedisServer;
      for (const sentinel of sentinels()) await startSentinel(sentinel);

      await until(
        async () => {
          for (const port of sentinelPorts.values()) {
            const fields = await ask<string[]>(port, 'SENTINEL', 'MASTER', name);
            const field = (key: string) => Number(fields[fields.indexOf(key) + 1]);
            if (field('num-slaves') !== 1 || field('num-other-sentinels') !== sentinelPorts.size - 1) return false;
          }
          return true;
        },
        { what: 'every sentinel to know the replica and the other sentinels', ms: 30_000, everyMs: 100 },
      );
      const anySentinel = sentinelPorts.get(sentinels()[0] as string) as number;
      expect(await ask<string>(anySentinel, 'SENTINEL', 'CKQUORUM', name)).toMatch(/^OK/);
      await until(async () => (await ask<string>(primary.port, 'SET', 'sanh:compose-sentinel', '1').catch(() => '')) === 'OK', {
        what: 'the primary to take writes',
        ms: 15_000,
        everyMs: 100,
      });
      expect(await ask<number>(primary.port, 'WAIT', '1', '2000')).toBe(1);

      await primary.kill();
      const primaryPort = async () => Number((await ask<[string, string]>(anySentinel, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name))[1]);
      await until(async () => (await primaryPort()) === replica.port, { what: 'the sentinels to promote the replica', ms: 30_000, everyMs: 100 });
      expect(await ask<string>(replica.port, 'GET', 'sanh:compose-sentinel')).toBe('1');
      // min-replicas-to-write 1: the promoted node takes no writes while it has no replica ...
      await expect(ask(replica.port, 'SET', 'sanh:compose-sentinel', '2')).rejects.toThrow(/NOREPLICAS/);
      // ... until the old primary is back, turned into its replica by the sentinels.
      await primary.restart();
      await until(async () => (await ask<string>(replica.port, 'SET', 'sanh:compose-sentinel', '2').catch(() => '')) === 'OK', {
        what: 'the old primary to come back as a replica',
        ms: 45_000,
        everyMs: 200,
      });
      expect(await ask<string>(primary.port, 'INFO', 'replication')).toMatch(/^role:slave/m);
    });
  });
});
