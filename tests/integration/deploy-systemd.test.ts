import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const UNIT = fileURLToPath(new URL('../../deploy/systemd/sanh.service', import.meta.url));
const haveAnalyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' }).status === 0;
if (!haveAnalyze) console.warn('deploy-systemd: systemd-analyze is not installed, so the unit is only read, not verified');

/** A unit file's settings: section → key → every value given (in order). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1] as string, current);
      continue;
    }
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    current?.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

/** deploy/systemd/sanh.service, checked by systemd itself where it is installed. */
describe('deploy/systemd/sanh.service', () => {
  let service: Map<string, string[]>;
  let unitCopy: string;
  let dir: string;
  const one = (key: string) => service.get(key)?.at(-1);

  beforeAll(async () => {
    const text = await readFile(UNIT, 'utf8');
    service = parseUnit(text).get('Service') as Map<string, string[]>;
    // systemd-analyze verify insists that ExecStart's program exists: on a machine without
    // /usr/bin/node, verify a copy that names this test's node instead.
    dir = await mkdtemp(join(tmpdir(), 'sanh-unit-'));
    unitCopy = join(dir, 'sanh.service');
    await writeFile(unitCopy, existsSync('/usr/bin/node') ? text : text.replace('ExecStart=/usr/bin/node ', `ExecStart=${process.execPath} `));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs the compiled entry with node itself, in production, with an EnvironmentFile', () => {
    expect(one('ExecStart')).toMatch(/^\/usr\/bin\/node \/opt\/sanh\/dist\/entry\/node\.js$/);
    expect(one('Type')).toBe('simple');
    expect(one('User')).toBe('sanh');
    const environment = (service.get('Environment') ?? []).join(' ').split(/\s+/);
    expect(environment).toContain('NODE_ENV=production');
    expect(environment).toContain('ADMIN_HOST=127.0.0.1');
    expect(one('EnvironmentFile')).toBe('/etc/sanh/env');
  });

  it('stops with SIGTERM and waits longer than the drain before anything is killed', () => {
    const environment = (service.get('Environment') ?? []).join(' ').split(/\s+/);
    const drain = Number(environment.find((e) => e.startsWith('SANH_DRAIN_SECONDS='))?.split('=')[1] ?? 25);
    expect(one('KillSignal')).toBe('SIGTERM');
    expect(one('KillMode')).toBe('mixed');
    expect(Number(one('TimeoutStopSec'))).toBeGreaterThan(drain);
  });

  it('is hardened, with only the uploads directory writable', () => {
    for (const [key, value] of Object.entries({
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      PrivateDevices: 'yes',
      RestrictSUIDSGID: 'yes',
      CapabilityBoundingSet: '',
    })) {
      expect(one(key), key).toBe(value);
    }
    expect(one('ReadWritePaths')).toBe('/var/lib/sanh/uploads');
    // V8's JIT needs writable executable memory.
    expect(one('MemoryDenyWriteExecute')).toBeUndefined();
  });

  it.skipIf(!haveAnalyze)('passes systemd-analyze verify with no complaint', async () => {
    const { stdout, stderr } = await run('systemd-analyze', ['verify', '--man=no', unitCopy], { timeout: 30_000 });
    expect(`${stdout}${stderr}`.trim()).toBe('');
  });

  it.skipIf(!haveAnalyze)('has a low exposure level by systemd-analyze security', async () => {
    const result = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', unitCopy], { encoding: 'utf8', timeout: 30_000 });
    const level = /Overall exposure level for \S+: ([\d.]+)/.exec(`${result.stdout}${result.stderr}`);
    if (!level) {
      // Older systemd without --offline: nothing to measure.
      console.warn(`deploy-systemd: systemd-analyze security --offline is not supported here: ${result.stderr.trim().split('\n')[0]}`);
      return;
    }
    expect(Number(level[1])).toBeLessThanOrEqual(2.5);
  });
});
