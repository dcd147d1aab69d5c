import { execFile, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseAdminTokens } from '../../src/admin/tokens.js';
import { parseConfig } from '../../src/config/load.js';
import { parseRedisTarget } from '../../src/redis/connection.js';
import { startNodeSanh, type NodeSanh } from '../../src/entry/node-server.js';
import { parseKeyRing } from '../../src/platform/keyring.js';
import { silentLogger } from '../../src/platform/logger.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BASE = join(ROOT, 'deploy/kubernetes');

/** A Kubernetes object as rendered, read loosely (each check reads the fields it needs). */
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, walked by the assertions
type K8s = Record<string, any>;

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const haveKubectl = kubectl.status === 0;
if (!haveKubectl)
  console.warn('deploy-kubernetes: kubectl is not installed, so the kustomize base is not rendered or validated (install kubectl to run those checks)');

const yamlFile = async (path: string) => parse(await readFile(join(ROOT, path), 'utf8')) as K8s;

/** Whether `selector` (matchLabels) selects objects labelled `labels`. */
const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/**
 * The metric names a PromQL expression reads: identifiers left once strings, label matchers,
 * ranges, grouping clauses, functions, keywords and numbers are taken out.
 */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const keywords = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, name = '', call] = match;
    if (call || keywords.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

describe('deploy/prometheus/alerts.yml', () => {
  let alerts: { groups: { name: string; rules: Rule[] }[] };
  let sanh: NodeSanh;
  beforeAll(async () => {
    alerts = (await yamlFile('deploy/prometheus/alerts.yml')) as typeof alerts;
  });
  afterAll(async () => {
    await sanh?.close();
  });

  it('reads PromQL metric names the way the check below needs', () => {
    expect(
      metricNames(
        'sum by (room, le) (rate(a_seconds_bucket{outcome="error", x=~"5.."}[5m])) / on (room) max(b_total offset 5m) > 0.5 and bool c unless up{job="sanh"} == 0',
      ),
    ).toEqual(['a_seconds_bucket', 'b_total', 'c', 'up']);
  });

  it('alerts on what an SRE is paged for, each rule complete', () => {
    const rules = alerts.groups.flatMap((group) => group.rules);
    const names = rules.map((rule) => rule.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const rule of rules) {
      expect(rule.alert, JSON.stringify(rule)).toMatch(/^Sanh[A-Z]\w+$/);
      expect(rule.labels?.severity, rule.alert).toMatch(/^(critical|warning)$/);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
    }
    const reading = (metric: string) => rules.filter((rule) => metricNames(rule.expr).some((name) => name.startsWith(metric))).map((rule) => rule.alert);
    expect(reading('sanh_room_queue_length_visitors')).toContain('SanhLineGrowing'); // the line grows
    expect(reading('sanh_room_wait_')).toContain('SanhWaitOverTarget'); // waits over target
    expect(reading('sanh_origin_request_duration_seconds')).toContain('SanhOriginErrors'); // origin error ratio
    expect(reading('sanh_store_errors_total')).toContain('SanhStoreErrors'); // store errors
    expect(reading('sanh_submissions_oldest_waiting_seconds')).toContain('SanhSubmissionBacklogStuck'); // backlog age
  });

  it("names only metrics that a real Sảnh /metrics scrape exports (and Prometheus' own up)", async () => {
    sanh = await startNodeSanh({
      config: parseConfig({
        rooms: [{ id: 'main', match: ['/'], maxActive: 5, admitPerMinute: 600, submissions: { routes: [{ path: '/apply/submit', defer: 'always' }] } }],
      }),
      keyRing: parseKeyRing(`k:${'s'.repeat(40)}`),
      originUrl: 'http://127.0.0.1:9',
      port: 0,
      hostname: '127.0.0.1',
      logger: silentLogger,
      admin: { port: 0, hostname: '127.0.0.1', tokens: parseAdminTokens(`prometheus:read:${'r'.repeat(32)}`) },
    });
    // A visit to an unreachable origin: the public listener's and the origin's histograms get series (and labels).
    await fetch(`${sanh.url}/`, { headers: { accept: 'text/html' }, redirect: 'manual' }).then((response) => response.arrayBuffer());
    const scraped = await fetch(`${sanh.adminUrl}/metrics`, { headers: { authorization: `Bearer ${'r'.repeat(32)}` } });
    expect(scraped.status).toBe(200);
    const text = await scraped.text();
    const families = parsePrometheusTextFormat(text);
    const exported = new Set(families.map((family) => family.name));
    const histograms = new Set(families.filter((family) => family.type === 'HISTOGRAM' || family.type === 'SUMMARY').map((family) => family.name));
    const series = (name: string) => {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      return base !== name && histograms.has(base) ? base : name;
    };
    const named = new Set(alerts.groups.flatMap((group) => group.rules.flatMap((rule) => metricNames(rule.expr))).map(series));
    expect(named.size).toBeGreaterThan(8);
    const missing = [...named].filter((name) => name !== 'up' && !exported.has(name));
    expect(missing, `alert rules name metrics /metrics does not export; exported: ${[...exported].sort().join(', ')}`).toEqual([]);

    // Label matchers name labels the metric's series have (where the scrape shows series), or the
    // target's (job, instance). Read off the sample lines: the parser above drops histograms' labels.
    const labelsOf = new Map<string, Set<string>>();
    for (const [, name = '', labels = ''] of text.matchAll(/^([a-zA-Z_:][\w:]*)\{((?:[^"}]|"(?:[^"\\]|\\.)*")*)\}/gm)) {
      const known = labelsOf.get(name) ?? new Set<string>();
      for (const [, label = ''] of labels.matchAll(/(\w+)="/g)) known.add(label);
      labelsOf.set(name, known);
    }
    const checked: string[] = [];
    for (const rule of alerts.groups.flatMap((group) => group.rules)) {
      // Grouping labels (by, on) are labels of every metric the rule reads.
      const grouping = [...rule.expr.matchAll(/\b(?:by|on)\s*\(([^)]*)\)/g)]
        .flatMap((m) => (m[1] as string).split(',').map((l) => l.trim()))
        .filter((l) => l && !['job', 'instance', 'le'].includes(l));
      for (const metric of metricNames(rule.expr)) {
        const known = labelsOf.get(metric);
        if (!known || known.size === 0) continue;
        for (const label of grouping) {
          expect([...known], `${rule.alert}: ${metric} by ${label}`).toContain(label);
          checked.push(`${metric} by ${label}`);
        }
      }
      for (const [, metric = '', matchers = ''] of rule.expr.matchAll(/([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}/g)) {
        const known = labelsOf.get(metric);
        if (!known || known.size === 0) continue;
        for (const [, label = ''] of matchers.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)) {
          if (label !== 'job' && label !== 'instance') expect([...known], `${rule.alert}: ${metric}{${label}}`).toContain(label);
          checked.push(`${metric}{${label}}`);
        }
      }
    }
    expect(checked).toEqual(
      expect.arrayContaining([
        'sanh_room_queue_length_visitors by room',
        'sanh_origin_request_duration_seconds_count{outcome}',
        'http_server_request_duration_seconds_count{http_response_status_code}',
        'sanh_room_mode{mode}',
      ]),
    );
  });
});

describe.skipIf(!haveKubectl)('deploy/kubernetes (kustomize base, rendered by kubectl kustomize)', () => {
  let objects: K8s[];
  const find = (kind: string, name?: string) => {
    const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
    if (!found) throw new Error(`no ${kind}${name ? ` ${name}` : ''} in the rendered base`);
    return found;
  };
  let deployment: K8s;
  let container: K8s;
  const env = (name: string) => (container.env as K8s[]).find((e) => e.name === name);

  beforeAll(async () => {
    const { stdout } = await run('kubectl', ['kustomize', BASE], { timeout: 60_000 });
    objects = parseAllDocuments(stdout).map((document) => document.toJS() as K8s);
    deployment = find('Deployment', 'sanh');
    container = deployment.spec.template.spec.containers.find((c: K8s) => c.name === 'sanh');
  });

  it('renders the base objects, and no Secret (the operator creates those)', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(
      [
        'ConfigMap',
        'ConfigMap',
        'Deployment',
        'HorizontalPodAutoscaler',
        'NetworkPolicy',
        'PodDisruptionBudget',
        'PrometheusRule',
        'Service',
        'Service',
        'ServiceAccount',
        'ServiceMonitor',
      ].sort(),
    );
    expect(objects.some((o) => o.kind === 'Secret')).toBe(false);
  });

  it('validates every core object against the Kubernetes schemas (kubernetes-models)', async () => {
    const core = objects.filter((o) => !String(o.apiVersion).includes('monitoring.coreos.com'));
    expect(core.length).toBeGreaterThanOrEqual(9);
    for (const object of core) {
      const apiVersion = String(object.apiVersion);
      const path = `kubernetes-models/${apiVersion}/${object.kind}`;
      const module = (await import(path)) as Record<string, new (data: K8s) => { validate(): void }>;
      const Model = module[object.kind as string];
      if (!Model) throw new Error(`${path} exports no ${object.kind}`);
      expect(() => new Model(object).validate(), `${object.kind}/${object.metadata?.name}`).not.toThrow();
    }
    // And the check is real: a wrong type is refused.
    const { Deployment } = await import('kubernetes-models/apps/v1/Deployment');
    expect(() => new Deployment({ ...deployment, spec: { ...deployment.spec, minReadySeconds: 'soon' } } as never).validate()).toThrow();
  });

  it('probes liveness on /_sanh/live and readiness on /_sanh/ready, on the public port', () => {
    const http = (container.ports as K8s[]).find((p) => p.name === 'http');
    expect(http?.containerPort).toBe(Number(env('PORT')?.value));
    for (const probe of ['livenessProbe', 'startupProbe']) {
      expect(container[probe].httpGet, probe).toMatchObject({ path: '/_sanh/live', port: 'http' });
    }
    expect(container.readinessProbe.httpGet).toMatchObject({ path: '/_sanh/ready', port: 'http' });
  });

  it('gives a stopping pod the preStop sleep plus the whole drain before SIGKILL', () => {
    const drain = Number(env('SANH_DRAIN_SECONDS')?.value);
    expect(drain).toBeGreaterThan(0);
    const preStop = container.lifecycle.preStop as K8s;
    const sleep = preStop.sleep?.seconds ?? Number(preStop.exec?.command?.at(-1));
    expect(sleep).toBeGreaterThanOrEqual(3);
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(drain + sleep);
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  });

  it('runs as a non-root user on a read-only root filesystem, with emptyDirs for /tmp and the uploads', () => {
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    const config = parseConfig(
      JSON.parse(find('ConfigMap', objects.find((o) => o.metadata.name.startsWith('sanh-config'))?.metadata.name).data['sanh.json']) as unknown,
    );
    const uploads = config.drafts.uploads.directory;
    expect(uploads).toBeTruthy();
    const volume = (mountPath: string) => {
      const mount = (container.volumeMounts as K8s[]).find((m) => m.mountPath === mountPath);
      return (pod.volumes as K8s[]).find((v) => v.name === mount?.name);
    };
    expect(volume('/tmp')?.emptyDir).toBeDefined();
    expect(volume(uploads as string)?.emptyDir ?? volume(uploads as string)?.persistentVolumeClaim).toBeDefined();
  });

  it("reads its JSON config from the ConfigMap (valid under Sảnh's schema) and its secrets from the Secret the operator creates", () => {
    expect(env('NODE_ENV')?.value).toBe('production');
    expect(env('ADMIN_HOST')?.value).toBe('0.0.0.0');
    const configPath = env('SANH_CONFIG')?.value as string;
    const mount = (container.volumeMounts as K8s[]).find((m) => configPath.startsWith(`${m.mountPath}/`));
    const volume = (deployment.spec.template.spec.volumes as K8s[]).find((v) => v.name === mount?.name);
    const configMap = find('ConfigMap', volume?.configMap?.name);
    const file = configPath.slice(String(mount?.mountPath).length + 1);
    expect(() => parseConfig(JSON.parse(configMap.data[file]) as unknown)).not.toThrow();
    for (const name of ['SANH_SECRETS', 'SANH_ADMIN_TOKEN', 'REDIS_URL']) {
      expect(env(name)?.value, `${name} is never written in a manifest`).toBeUndefined();
      expect(env(name)?.valueFrom?.secretKeyRef, name).toMatchObject({ name: 'sanh', key: name });
    }
    const envFrom = (container.envFrom as K8s[]).map((e) => find('ConfigMap', e.configMapRef.name));
    expect(envFrom.flatMap((c) => Object.keys(c.data))).toContain('ORIGIN_URL');
    expect(deployment.spec.replicas, 'the HorizontalPodAutoscaler owns replicas').toBeUndefined();
  });

  it('keeps the admin port out of the public Service and open only to the monitoring namespace', () => {
    const labels = deployment.spec.template.metadata.labels as Record<string, string>;
    const publicService = find('Service', 'sanh');
    expect(selects(publicService.spec.selector, labels)).toBe(true);
    for (const port of publicService.spec.ports as K8s[]) {
      expect(port.targetPort).not.toBe('admin');
      expect([port.port, port.targetPort]).not.toContain(Number(env('ADMIN_PORT')?.value));
    }
    const adminService = find('Service', 'sanh-admin');
    expect(adminService.spec.clusterIP).toBe('None');
    const policy = find('NetworkPolicy');
    expect(selects(policy.spec.podSelector.matchLabels, labels)).toBe(true);
    expect(policy.spec.policyTypes).toContain('Ingress');
    for (const rule of policy.spec.ingress as K8s[]) {
      const ports = (rule.ports as K8s[]).map((p) => p.port);
      if (!ports.includes('admin') && !ports.includes(9090)) continue;
      expect(rule.from, 'the admin port has a source restriction').toBeDefined();
      for (const peer of rule.from as K8s[]) expect(peer.namespaceSelector?.matchLabels).toEqual({ 'kubernetes.io/metadata.name': 'monitoring' });
    }
    const adminRules = (policy.spec.ingress as K8s[]).filter((rule) => (rule.ports as K8s[]).some((p) => p.port === 'admin'));
    expect(adminRules).toHaveLength(1);
    expect(
      (policy.spec.ingress as K8s[]).every((rule) => rule.ports?.length > 0),
      'no rule opens every port',
    ).toBe(true);
  });

  it('scales with an HPA and keeps pods through disruptions with a PDB', () => {
    const labels = deployment.spec.template.metadata.labels as Record<string, string>;
    const hpa = find('HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'sanh' });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    const pdb = find('PodDisruptionBudget');
    expect(selects(pdb.spec.selector.matchLabels, labels)).toBe(true);
    expect(pdb.spec.maxUnavailable ?? hpa.spec.minReplicas - pdb.spec.minAvailable).toBeLessThan(hpa.spec.minReplicas);
    expect(selects(deployment.spec.selector.matchLabels, labels)).toBe(true);
  });

  it('scrapes every pod\'s admin listener with the read token (ServiceMonitor), as job "sanh"', () => {
    const monitor = find('ServiceMonitor');
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    const adminService = find('Service', 'sanh-admin');
    expect(selects(monitor.spec.selector.matchLabels, adminService.metadata.labels)).toBe(true);
    expect(adminService.metadata.labels[monitor.spec.jobLabel]).toBe('sanh');
    const [endpoint] = monitor.spec.endpoints as K8s[];
    expect((adminService.spec.ports as K8s[]).map((p) => p.name)).toContain(endpoint?.port);
    expect((container.ports as K8s[]).find((p) => p.name === 'admin')?.containerPort).toBe(Number(env('ADMIN_PORT')?.value));
    expect(endpoint).toMatchObject({ path: '/metrics', authorization: { type: 'Bearer', credentials: { name: expect.any(String), key: expect.any(String) } } });
  });

  it('carries exactly deploy/prometheus/alerts.yml in its PrometheusRule', async () => {
    const rule = find('PrometheusRule');
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.spec, 'regenerate deploy/kubernetes/prometheusrule.yaml as its header says').toEqual(await yamlFile('deploy/prometheus/alerts.yml'));
  });
});

describe('deploy/kubernetes/secret.example.yaml', () => {
  it('documents the Secrets with placeholders only, and is not part of the kustomization', async () => {
    const kustomization = await yamlFile('deploy/kubernetes/kustomization.yaml');
    expect(kustomization.resources).not.toContain('secret.example.yaml');
    const secrets = parseAllDocuments(await readFile(join(BASE, 'secret.example.yaml'), 'utf8')).map((d) => d.toJS() as K8s);
    const { Secret } = await import('kubernetes-models/v1/Secret');
    for (const secret of secrets) {
      expect(() => new Secret(secret).validate()).not.toThrow();
      for (const [key, value] of Object.entries(secret.stringData as Record<string, string>)) {
        if (key !== 'REDIS_URL') expect(value, key).toMatch(/</);
      }
    }
    expect(Object.keys(secrets[0]?.stringData ?? {}).sort()).toEqual(['REDIS_URL', 'SANH_ADMIN_TOKEN', 'SANH_SECRETS']);
  });
});

const OVERLAY = join(ROOT, 'deploy/kubernetes-sentinel');

/** A sanh.json with `submissions.durability` and `submissions.replicas` taken out: what the overlay must leave as the base has it. */
function withoutDurability(config: K8s): K8s {
  const { durability: _durability, replicas: _replicas, ...submissions } = config.submissions as K8s;
  return { ...config, submissions };
}

describe('deploy/kubernetes-sentinel (files)', () => {
  it('is an overlay of the base whose sanh.json is the base\'s with "replicated" durability', async () => {
    const kustomization = await yamlFile('deploy/kubernetes-sentinel/kustomization.yaml');
    expect(kustomization.resources).toEqual(['../kubernetes']);
    const generator = (kustomization.configMapGenerator as K8s[]).find((g) => g.name === 'sanh-config');
    expect(generator).toMatchObject({ behavior: 'replace', files: ['sanh.json'] });
    const overlay = JSON.parse(await readFile(join(OVERLAY, 'sanh.json'), 'utf8')) as K8s;
    const base = JSON.parse(await readFile(join(BASE, 'sanh.json'), 'utf8')) as K8s;
    const config = parseConfig(overlay as unknown);
    expect(config.submissions.durability).toBe('replicated');
    expect(config.submissions.replicas).toBeGreaterThanOrEqual(1);
    expect(withoutDurability(overlay), "keep deploy/kubernetes-sentinel/sanh.json equal to the base's but for durability").toEqual(withoutDurability(base));
  });
});

describe.skipIf(!haveKubectl)('deploy/kubernetes-sentinel (kustomize overlay, rendered by kubectl kustomize)', () => {
  let base: K8s[];
  let objects: K8s[];
  let deployment: K8s;
  let env: K8s[];
  const render = async (dir: string) =>
    parseAllDocuments((await run('kubectl', ['kustomize', dir], { timeout: 60_000 })).stdout).map((document) => document.toJS() as K8s);
  const entry = (name: string) => env.find((e) => e.name === name);

  beforeAll(async () => {
    [base, objects] = await Promise.all([render(BASE), render(OVERLAY)]);
    deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'sanh') as K8s;
    env = deployment.spec.template.spec.containers.find((c: K8s) => c.name === 'sanh').env as K8s[];
  });

  it("renders the base's objects, the Deployment valid under the Kubernetes schemas", async () => {
    const kinds = (list: K8s[]) => list.map((o) => `${o.kind}/${o.metadata.name.replace(/^(sanh-config)-\w+$/, '$1')}`).sort();
    expect(kinds(objects)).toEqual(kinds(base));
    const { Deployment } = await import('kubernetes-models/apps/v1/Deployment');
    expect(() => new Deployment(deployment).validate()).not.toThrow();
  });

  it('sets REDIS_URL to the redis+sentinel:// form, its password only a reference to a Secret', () => {
    const url = entry('REDIS_URL');
    expect(url?.valueFrom, 'REDIS_URL is written in the overlay, not read from the Secret sanh').toBeUndefined();
    expect(url?.value).toMatch(/^redis\+sentinel:\/\//);
    // Kubernetes expands $(NAME) only for entries listed before; each one here comes from a Secret.
    const index = env.indexOf(url as K8s);
    const referenced = [...String(url?.value).matchAll(/\$\((\w+)\)/g)].map((m) => m[1] as string);
    expect(referenced).not.toEqual([]);
    for (const name of referenced) {
      const at = env.findIndex((e) => e.name === name);
      expect(at, `$(${name}) is defined before REDIS_URL`).toBeGreaterThanOrEqual(0);
      expect(at).toBeLessThan(index);
      expect(env[at]?.valueFrom?.secretKeyRef, name).toMatchObject({ name: expect.any(String), key: expect.any(String) });
    }
    const target = parseRedisTarget({ REDIS_URL: String(url?.value).replace(/\$\((\w+)\)/g, 'example') });
    if (target?.kind !== 'sentinel') throw new Error('REDIS_URL is not a Sentinel target');
    expect(target.password, "the data nodes' password comes from the reference").toBe('example');
    expect(new Set(target.sentinels.map((s) => s.host)).size).toBe(3);
    for (const s of target.sentinels) expect(s.port).toBe(26379);
    expect(target.name).toBeTruthy();
    expect(entry('REDIS_SENTINEL_PASSWORD')?.valueFrom?.secretKeyRef).toMatchObject({ name: expect.any(String), key: expect.any(String) });
    for (const name of ['SANH_SECRETS', 'SANH_ADMIN_TOKEN']) expect(entry(name)?.valueFrom?.secretKeyRef, name).toMatchObject({ name: 'sanh', key: name });
  });

  it('changes nothing else in the Deployment, and mounts its own sanh.json with "replicated" durability', () => {
    const baseDeployment = base.find((o) => o.kind === 'Deployment') as K8s;
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('sanh-config-')) as K8s;
    const baseConfigMap = base.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('sanh-config-')) as K8s;
    const volume = (d: K8s) => (d.spec.template.spec.volumes as K8s[]).find((v) => v.name === 'config');
    expect(volume(deployment)?.configMap?.name).toBe(configMap.metadata.name);
    const sameBut = (d: K8s) => {
      const copy = structuredClone(d);
      const container = copy.spec.template.spec.containers.find((c: K8s) => c.name === 'sanh');
      container.env = (container.env as K8s[]).filter((e) => !e.name.startsWith('REDIS_')).sort((a, b) => a.name.localeCompare(b.name));
      ((copy.spec.template.spec.volumes as K8s[]).find((v) => v.name === 'config') as K8s).configMap.name = 'sanh-config';
      return copy;
    };
    expect(sameBut(deployment)).toEqual(sameBut(baseDeployment));
    const config = parseConfig(JSON.parse(configMap.data['sanh.json']) as unknown);
    expect(config.submissions.durability).toBe('replicated');
    expect(withoutDurability(JSON.parse(configMap.data['sanh.json']) as K8s)).toEqual(withoutDurability(JSON.parse(baseConfigMap.data['sanh.json']) as K8s));
  });
});
