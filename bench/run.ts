/**
 * Benchmarks: `npm run bench -- <scenario...|all|quick> [--quick] [--check]`.
 *
 * Each scenario starts what it needs as separate processes on loopback (pinned to cores with
 * `taskset` where it exists), measures Sảnh against baselines in the same run, tears everything
 * down and writes `bench/results/<scenario>.json`; the run then rebuilds `bench/results/REPORT.md`.
 * `quick` runs every scenario in its one-minute smoke version. `--check` exits non-zero when a
 * correctness target (no errors, limits never exceeded) is missed; speed targets are reported,
 * never enforced, because a shared machine is noisy.
 */
import { cpus, totalmem } from 'node:os';
import { misses, readResults, writeReport, writeResult, type Machine } from './lib/report.js';
import { HAS_TASKSET, NGINX, pinSelf, stopAll } from './lib/processes.js';
import type { Scenario } from './lib/scenario.js';
import { draftsScenario } from './scenarios/drafts.js';
import { failoverScenario } from './scenarios/failover.js';
import { fairnessScenario } from './scenarios/fairness.js';
import { joinScenario, proxyScenario, statusScenario } from './scenarios/http.js';
import { memoryScenario } from './scenarios/memory.js';
import { precisionScenario } from './scenarios/precision.js';
import { submissionsScenario } from './scenarios/submissions.js';
import { surgeScenario } from './scenarios/surge.js';

const SCENARIOS: readonly Scenario[] = [
  statusScenario,
  proxyScenario,
  joinScenario,
  draftsScenario,
  submissionsScenario,
  precisionScenario,
  surgeScenario,
  memoryScenario,
  fairnessScenario,
  failoverScenario,
];

function usage(): string {
  return [
    'usage: npm run bench -- <scenario...|all|quick> [--quick] [--check] [--redis standalone|cluster]',
    '',
    'scenarios:',
    ...SCENARIOS.map((s) => `  ${s.name.padEnd(11)} ${s.title}${s.inQuickAll === false ? ' (only when named)' : ''}`),
    '  all         every scenario not marked "only when named", full length (about 30 minutes)',
    '  quick       the same, one-minute smoke version',
    '',
    '--quick       the named scenarios in their smoke version',
    '--check       exit 1 when a correctness target is missed',
    '--redis cluster  precision also on a Redis Cluster of three primaries, beside standalone',
  ].join('\n');
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage());
    return 0;
  }
  const check = args.includes('--check');
  const redisAt = args.indexOf('--redis');
  const redis = redisAt < 0 ? 'standalone' : args[redisAt + 1];
  if (redis !== 'standalone' && redis !== 'cluster') {
    console.error(`--redis takes standalone or cluster, got ${redis ?? 'nothing'}\n\n${usage()}`);
    return 2;
  }
  const words = args.filter((a, i) => !a.startsWith('--') && !(redisAt >= 0 && i === redisAt + 1));
  const quick = words.includes('quick') || args.includes('--quick');
  const named = words.filter((w) => w !== 'quick' && w !== 'all');
  const wanted = named.length === 0 ? SCENARIOS.filter((s) => s.inQuickAll !== false).map((s) => s.name) : named;
  const unknown = wanted.filter((w) => !SCENARIOS.some((s) => s.name === w));
  if (unknown.length > 0) {
    console.error(`unknown scenario: ${unknown.join(', ')}\n\n${usage()}`);
    return 2;
  }
  pinSelf();
  const machine: Machine = {
    cpus: cpus().length,
    model: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    taskset: HAS_TASKSET,
    nginx: NGINX !== undefined,
  };
  const runStarted = Date.now();
  const ran = [];
  for (const scenario of SCENARIOS.filter((s) => wanted.includes(s.name))) {
    const startedAt = new Date().toISOString();
    const t0 = Date.now();
    console.log(`\n▶ ${scenario.name}: ${scenario.title}${quick ? ' (quick)' : ''}`);
    const progress = (line: string) => console.log(`  [${scenario.name} ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);
    try {
      const outcome = await scenario.run({ quick, progress, redis });
      const result = await writeResult(
        { scenario: scenario.name, title: scenario.title, machine, startedAt, finishedAt: new Date().toISOString(), quick },
        outcome,
      );
      ran.push(result);
      for (const [name, { value, unit }] of Object.entries(result.figures)) {
        const target = result.targets[name];
        console.log(`  ${name.padEnd(44)} ${String(value).padStart(10)} ${unit}${target ? `   (target ${target.op} ${target.value})` : ''}`);
      }
    } finally {
      await stopAll();
    }
  }
  const all = await readResults(SCENARIOS.map((s) => s.name));
  const report = await writeReport(all);
  console.log(`\nReport: ${report} (${Math.round((Date.now() - runStarted) / 1000)} s)`);
  const missed = misses(ran);
  for (const [scenario, name, value, target] of missed) {
    console.log(`${target.invariant ? 'FAILED' : 'missed'}: ${scenario} ${name} = ${value} (target ${target.op} ${target.value})`);
  }
  return check && missed.some(([, , , t]) => t.invariant) ? 1 : 0;
}

main()
  .then((code) => {
    process.exitCode = code;
  })
  .catch(async (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    await stopAll();
    process.exit();
  });
