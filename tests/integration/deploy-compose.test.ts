import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseAdminTokens } from '../../src/admin/tokens.js';
import { parseConfig } from '../../src/config/load.js';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));

/** A YAML document as read, loosely typed (each check reads the fields it needs). */
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
    const command = (services.redis?.command as string[]).join(' ');
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
      for (const key of ['SANH_SECRETS', 'SANH_ADMIN_TOKEN']) expect(references(env[key] ?? ''), `${key} comes from the operator's environment`).not.toEqual([]);
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
    expect((services.prometheus?.command as string[]).some((c) => c.startsWith('--web.listen-address'))).toBe(false); // so it listens on 9090
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
