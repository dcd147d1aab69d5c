/**
 * Load with autocannon's programmatic API: closed-model runs (a fixed number of connections as
 * fast as they can) for peak throughput, open-model runs (`overallRate`: requests sent on a
 * schedule whether or not earlier ones came back, so slow answers are not hidden by coordinated
 * omission) for latency.
 */
import autocannon from 'autocannon';
import { median } from './stats.js';

/** A URL to load, with the headers every request carries and the status it should answer. */
export interface Target {
  label: string;
  url: string;
  headers?: Record<string, string>;
  /** The status every answer should have (default 200); anything else counts as an error. */
  expectStatus?: number;
  /**
   * Each request carries a different `X-Forwarded-For` address, as when many people arrive at
   * once (the server under test trusts one proxy hop); otherwise every request is from loopback.
   */
  distinctClients?: boolean;
  /**
   * Builds each run's request sequence (method, body, per-connection state through autocannon's
   * `setupRequest`/`onResponse` context), for targets whose requests depend on earlier answers.
   */
  requests?: () => autocannon.Request[];
  /** Runs before each run (not timed): e.g. re-reading state the last run's unanswered requests changed. */
  before?: () => Promise<void>;
}

let nextClient = 0;

/** A different private address for each call (10.0.0.0/8, wrapping). */
function distinctAddress(): string {
  nextClient = (nextClient + 1) % 16_777_214;
  const n = nextClient + 1;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/** What one run measured. */
export interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Answers with the expected status. */
  answered: number;
}

function errorsOf(result: autocannon.Result, expectStatus: number): number {
  let wrong = 0;
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) {
    if (Number(code) !== expectStatus) wrong += (stat as { count: number }).count;
  }
  return result.errors + result.timeouts + wrong;
}

async function run(target: Target, options: { seconds: number; connections: number; overallRate?: number }): Promise<Load> {
  await target.before?.();
  const result = await autocannon({
    url: target.url,
    headers: target.headers ?? {},
    connections: options.connections,
    pipelining: 1,
    duration: options.seconds,
    timeout: 10,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    ...(target.requests ? { requests: target.requests() } : {}),
    ...(target.distinctClients && !target.requests
      ? { requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, headers: { ...request.headers, 'x-forwarded-for': distinctAddress() } }) }] }
      : {}),
  });
  const expected = target.expectStatus ?? 200;
  const answered = (result.statusCodeStats?.[`${expected}`] as { count?: number } | undefined)?.count ?? 0;
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: errorsOf(result, expected), answered };
}

/** A closed-model run: `connections` keep-alive connections as fast as the server answers. */
export function peak(target: Target, seconds: number, connections = 50): Promise<Load> {
  return run(target, { seconds, connections });
}

/** An open-model run at a fixed offered rate (requests per second). */
export function atRate(target: Target, rate: number, seconds: number): Promise<Load> {
  return run(target, { seconds, connections: 100, overallRate: Math.max(1, Math.round(rate)) });
}

/** A target's peak throughput (median of rounds) and its latency at a common offered rate. */
export interface Compared {
  target: Target;
  peakRps: number;
  /** Latency under the open-model run at `latencyRate`. */
  p50: number;
  p99: number;
  latencyRate: number;
  errors: number;
  /** Answers with the expected status over every run of this target, the warm-up included. */
  answered: number;
}

/**
 * Measures targets in alternating rounds (A B C, A B C, ...) and keeps each one's median, so a
 * noisy neighbour hurts every target alike; then measures each one's latency in an open-model
 * run at half the slowest target's peak, the same offered rate for all.
 */
export async function compare(targets: Target[], seconds: number, progress: (line: string) => void, rounds = 3): Promise<Compared[]> {
  const warmups: Load[] = [];
  for (const t of targets) warmups.push(await peak(t, 1, 20));
  const runs: Load[][] = targets.map(() => []);
  const each = Math.max(1, Math.round(seconds / rounds));
  for (let round = 0; round < rounds; round++) {
    for (const [i, t] of targets.entries()) {
      const load = await peak(t, each);
      runs[i]!.push(load);
      progress(`round ${round + 1}/${rounds} ${t.label}: ${Math.round(load.rps)} req/s`);
    }
  }
  const peaks = runs.map((r) => median(r.map((l) => l.rps)));
  const latencyRate = Math.max(1, Math.round(Math.min(...peaks) / 2));
  const out: Compared[] = [];
  for (const [i, t] of targets.entries()) {
    const open = await atRate(t, latencyRate, each);
    progress(`latency at ${latencyRate} req/s ${t.label}: p50 ${open.p50} ms, p99 ${open.p99} ms`);
    const errors = runs[i]!.reduce((sum, l) => sum + l.errors, 0) + open.errors;
    const answered = [warmups[i]!, ...runs[i]!, open].reduce((sum, l) => sum + l.answered, 0);
    out.push({ target: t, peakRps: peaks[i]!, p50: open.p50, p99: open.p99, latencyRate, errors, answered });
  }
  return out;
}
