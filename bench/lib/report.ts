/**
 * Results on disk: one `bench/results/<scenario>.json` per scenario, and `REPORT.md` with SVG
 * charts under `bench/results/charts/`, rebuilt from every result file present.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { meets, type Figure, type FigureTarget, type ScenarioOutcome } from './scenario.js';

/** The machine a run was measured on. */
export interface Machine {
  cpus: number;
  model: string;
  memoryGiB: number;
  node: string;
  taskset: boolean;
  nginx: boolean;
}

/** The contents of `bench/results/<scenario>.json`. */
export interface ResultFile {
  scenario: string;
  title: string;
  machine: Machine;
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  figures: Record<string, Figure>;
  targets: Record<string, FigureTarget>;
  notes: string[];
  charts: { file: string; title: string }[];
}

const RESULTS = new URL('../results/', import.meta.url);
const CHARTS = new URL('./charts/', RESULTS);

/**
 * Writes a scenario's result file and its charts; returns what was written. A figure that could
 * not be measured (NaN: e.g. nobody saw an estimate in a short run) is left out and named in a note.
 */
export async function writeResult(meta: Omit<ResultFile, 'figures' | 'targets' | 'notes' | 'charts'>, outcome: ScenarioOutcome): Promise<ResultFile> {
  await mkdir(CHARTS, { recursive: true });
  for (const chart of outcome.charts ?? []) await writeFile(new URL(chart.file, CHARTS), `${chart.svg}\n`);
  const measured = Object.entries(outcome.figures).filter(([, f]) => Number.isFinite(f.value));
  const unmeasured = Object.keys(outcome.figures).filter((name) => !Number.isFinite(outcome.figures[name]!.value));
  const result: ResultFile = {
    ...meta,
    figures: Object.fromEntries(measured),
    targets: outcome.targets ?? {},
    notes: [
      ...(outcome.notes ?? []),
      ...(unmeasured.length ? [`Not measured in this run (nothing to measure): ${unmeasured.map((n) => `\`${n}\``).join(', ')}.`] : []),
    ],
    charts: (outcome.charts ?? []).map(({ file, title }) => ({ file, title })),
  };
  await writeFile(new URL(`${meta.scenario}.json`, RESULTS), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

/** Reads every result file present, in the given scenario order (others after). */
export async function readResults(order: readonly string[]): Promise<ResultFile[]> {
  const files = (await readdir(RESULTS).catch(() => [] as string[])).filter((f) => f.endsWith('.json'));
  const results: ResultFile[] = [];
  for (const file of files) {
    const parsed = JSON.parse(await readFile(new URL(file, RESULTS), 'utf8')) as Partial<ResultFile>;
    if (parsed.scenario && parsed.figures)
      results.push({ title: parsed.scenario, targets: {}, notes: [], charts: [], quick: false, finishedAt: '', ...parsed } as ResultFile);
  }
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  return results.sort((a, b) => rank(a.scenario) - rank(b.scenario));
}

function verdict(value: number, target: FigureTarget | undefined): string {
  if (!target) return '';
  return `${meets(value, target) ? 'met' : '**missed**'} (${target.op} ${target.value})`;
}

/** A target missed by a result: `[scenario, figure, value, target]`. */
export type Miss = [string, string, number, FigureTarget];

/** Every target a set of results misses. */
export function misses(results: readonly ResultFile[]): Miss[] {
  const out: Miss[] = [];
  for (const r of results) {
    for (const [name, target] of Object.entries(r.targets)) {
      const value = r.figures[name]?.value;
      if (value === undefined || !meets(value, target)) out.push([r.scenario, name, value ?? Number.NaN, target]);
    }
  }
  return out;
}

/** Writes `bench/results/REPORT.md` from the results given; returns its path. */
export async function writeReport(results: readonly ResultFile[]): Promise<string> {
  const lines: string[] = ['# Sảnh benchmark report', ''];
  const machine = results[0]?.machine;
  if (machine) {
    lines.push(
      `Machine: ${machine.cpus} × ${machine.model}, ${machine.memoryGiB} GiB, Node ${machine.node}; processes pinned with taskset: ${machine.taskset ? 'yes' : 'no'}; nginx baselines: ${machine.nginx ? 'yes' : 'no (not installed)'}.`,
      '',
      'Every ratio compares targets measured in the same run on the same core; absolute figures depend on the machine. `bench/README.md` explains each scenario and figure.',
      '',
    );
  }
  lines.push('## Targets', '', '| scenario | figure | value | target |', '| --- | --- | ---: | --- |');
  for (const r of results) {
    for (const [name, target] of Object.entries(r.targets)) {
      const f = r.figures[name];
      lines.push(
        `| ${r.scenario} | \`${name}\` | ${f ? `${f.value} ${f.unit}` : 'not measured'} | ${f ? verdict(f.value, target) : `${target.op} ${target.value}`} |`,
      );
    }
  }
  for (const r of results) {
    lines.push(
      '',
      `## \`${r.scenario}\`: ${r.title}`,
      '',
      `Run ${r.startedAt}${r.quick ? ' (quick smoke version: shorter and smaller, figures are indicative only)' : ''}.`,
      '',
    );
    for (const note of r.notes) lines.push(`- ${note}`);
    if (r.notes.length) lines.push('');
    lines.push('| figure | value | target |', '| --- | ---: | --- |');
    for (const [name, f] of Object.entries(r.figures)) lines.push(`| \`${name}\` | ${f.value} ${f.unit} | ${verdict(f.value, r.targets[name])} |`);
    for (const chart of r.charts) lines.push('', `![${chart.title}](charts/${chart.file})`);
  }
  lines.push('');
  const path = new URL('REPORT.md', RESULTS);
  await mkdir(RESULTS, { recursive: true });
  await writeFile(path, lines.join('\n'));
  return path.pathname;
}
