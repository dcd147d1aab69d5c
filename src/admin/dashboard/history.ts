import type { RoomFigures } from '../figures.js';

/** One room's figures at one moment, as the dashboard's charts plot them. Null: not known then. */
export interface FigureSample {
  at: number;
  active: number | null;
  maxActive: number;
  waiting: number | null;
  /** Admissions per minute: the operator's, adaptive admission's (rooms that adapt) and as measured. */
  ratePerMinute: { configured: number; adaptive: number | null; actual: number | null };
  waitSeconds: number | null;
  originP50Ms: number | null;
  originP95Ms: number | null;
  /** Share of origin answers that failed, 0-1. */
  originErrorRate: number | null;
  /** Drafts saved on this instance per minute (every room's: drafts are not kept per room). */
  draftsPerMinute: number | null;
  /** Deferred submissions not yet delivered (waiting, delivering, retrying). */
  submissionsPending: number | null;
}

/** The sample of a room's figures at `at`. */
export function sampleOf(figures: RoomFigures, at: number, draftsPerMinute: number | null): FigureSample {
  const { live, origin, submissions } = figures;
  return {
    at,
    active: live?.active ?? null,
    maxActive: figures.limits.maxActive,
    waiting: live?.waiting ?? null,
    ratePerMinute: {
      configured: figures.limits.admitPerMinute,
      adaptive: figures.adaptive?.ratePerMinute ?? null,
      actual: live?.admissionRatePerSecond == null ? null : live.admissionRatePerSecond * 60,
    },
    waitSeconds: live?.waitForNewArrivalSeconds ?? null,
    originP50Ms: origin.p50Ms,
    originP95Ms: origin.p95Ms,
    originErrorRate: origin.requests ? (origin.errors ?? 0) / origin.requests : null,
    draftsPerMinute,
    submissionsPending: submissions ? submissions.waiting + submissions.delivering + submissions.retrying : null,
  };
}

/** A bounded series of samples per room: the newest `capacity` kept, oldest first. */
export interface SampleRing {
  add(room: string, sample: FigureSample): void;
  samples(room: string): readonly FigureSample[];
}

/** A ring of samples per room in memory. */
export function createSampleRing(capacity: number): SampleRing {
  const rings = new Map<string, FigureSample[]>();
  return {
    add(room, sample) {
      let ring = rings.get(room);
      if (!ring) {
        ring = [];
        rings.set(room, ring);
      }
      ring.push(sample);
      if (ring.length > capacity) ring.splice(0, ring.length - capacity);
    },
    samples: (room) => rings.get(room) ?? [],
  };
}

/** A running total turned into a rate per minute between two readings (a restart of the total counts from zero). */
export function perMinute(previous: { at: number; total: number } | undefined, at: number, total: number): number | null {
  if (!previous || at <= previous.at) return null;
  const increase = total >= previous.total ? total - previous.total : total;
  return (increase * 60_000) / (at - previous.at);
}

/** Where a chart's lines are drawn: an SVG box `width` × `height`, time along x, values up y. */
export interface ChartFrame {
  width: number;
  height: number;
  /** The span of time the x axis shows, ending at `now`. */
  spanMs: number;
  now: number;
}

/** The top of a chart's y axis: the largest value (or `floor`), rounded up to a readable number. */
export function chartTop(values: readonly (number | null)[], floor: number): number {
  let top = floor;
  for (const value of values) if (value !== null && value > top) top = value;
  if (top <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(top));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * magnitude >= top) ?? 10;
  return step * magnitude;
}

/**
 * The `points` of an SVG polyline for values over time, or several when a value is unknown for a
 * while (a gap is left, not drawn as zero). Points older than the frame's span are left out.
 */
export function linePoints(times: readonly number[], values: readonly (number | null)[], top: number, frame: ChartFrame): string[] {
  const runs: string[] = [];
  let run: string[] = [];
  const from = frame.now - frame.spanMs;
  for (let i = 0; i < times.length; i++) {
    const at = times[i] as number;
    const value = values[i] ?? null;
    if (at < from) continue;
    if (value === null) {
      if (run.length) runs.push(run.join(' '));
      run = [];
      continue;
    }
    const x = ((at - from) / frame.spanMs) * frame.width;
    const y = frame.height - (Math.min(value, top) / top) * frame.height;
    run.push(`${x.toFixed(1)},${y.toFixed(1)}`);
  }
  if (run.length) runs.push(run.join(' '));
  return runs;
}
