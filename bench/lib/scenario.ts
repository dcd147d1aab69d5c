/** What a benchmark scenario is and what it gives back. */

/** One measured figure, as written to `bench/results/<scenario>.json`. */
export interface Figure {
  value: number;
  unit: string;
}

/**
 * A figure's target. `invariant` targets are correctness, not speed (no errors, never more than
 * `maxActive` admitted): `--check` fails the run when one is missed, on any machine.
 */
export interface FigureTarget {
  op: '>=' | '<=';
  value: number;
  invariant?: boolean;
}

/** An SVG chart for the report. */
export interface Chart {
  /** File name under `bench/results/charts/`. */
  file: string;
  title: string;
  svg: string;
}

/** What a scenario measured. */
export interface ScenarioOutcome {
  figures: Record<string, Figure>;
  targets?: Record<string, FigureTarget>;
  charts?: Chart[];
  /** Plain-language remarks for the report (what was skipped and why, how to read a figure). */
  notes?: string[];
}

/** What a scenario is given. */
export interface ScenarioContext {
  /** The one-minute smoke version: same steps, shorter and smaller. */
  quick: boolean;
  /** Prints a progress line. */
  progress(line: string): void;
  /**
   * `--redis cluster`: scenarios that measure the store (precision) also run on a Redis Cluster of
   * three primaries, beside the standalone figures of the same run. Default: standalone only.
   */
  redis: 'standalone' | 'cluster';
}

/** A benchmark scenario. */
export interface Scenario {
  name: string;
  title: string;
  /** false: left out of `quick` and `all` (named, it runs): what an integration test already runs in `npm test`. */
  inQuickAll?: boolean;
  run(context: ScenarioContext): Promise<ScenarioOutcome>;
}

/** A figure value with its unit. */
export function figure(value: number, unit: string): Figure {
  return { value, unit };
}

/** Whether `value` meets `target`. */
export function meets(value: number, target: FigureTarget): boolean {
  return target.op === '>=' ? value >= target.value : value <= target.value;
}

/**
 * Every benchmark's load comes from one address (loopback), where in production it would come
 * from many thousands of clients; rooms under load lift the per-client join and poll limits so
 * the benchmarks measure the service, not the abuse limits (those have tests of their own).
 */
export const LOAD_FROM_ONE_ADDRESS = { clientLimits: { joinPerMinute: 100_000_000, statusPerMinute: 100_000_000, requestsPerMinute: 1_000_000 } } as const;

/**
 * The user agent every benchmark client says, on the request that got a pass and on the load
 * that uses it: a pass is bound to its client's network and browser family, and a load generator
 * saying nothing would be another client (a rebinding on every request).
 */
export const BENCH_USER_AGENT = 'sanh-bench/1';
