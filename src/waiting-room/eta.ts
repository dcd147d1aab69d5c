import type { RoomSnapshot } from './core.js';

/**
 * Measures how fast a room's line moves from successive snapshots: an exponentially weighted
 * average of tickets passed per second (called, or skipped as abandoned: both bring everyone
 * behind them closer), counted only while people were waiting (when the line is empty, the
 * rate says how many came, not how many could be let in). Pure: state in, state out.
 */
export interface RateMeter {
  epoch: string | undefined;
  lastAt: number | undefined;
  lastFrontier: number;
  lastWaiting: number;
  /** Decayed tickets passed while the line was non-empty. */
  admitted: number;
  /** Decayed milliseconds observed while the line was non-empty. */
  observedMs: number;
}

/** Time constant of the average: recent minutes weigh most. */
export const RATE_TIME_CONSTANT_MS = 120_000;
/** Until this much waiting time has been observed, the wait is "not yet known". */
export const MIN_OBSERVATION_MS = 10_000;

/** A meter that has seen nothing. */
export function newRateMeter(): RateMeter {
  return { epoch: undefined, lastAt: undefined, lastFrontier: 0, lastWaiting: 0, admitted: 0, observedMs: 0 };
}

/** Folds one snapshot into the meter. A new line lifetime (epoch) starts the meter afresh. */
export function observe(meter: RateMeter, snapshot: RoomSnapshot): RateMeter {
  if (meter.epoch !== snapshot.epoch || meter.lastAt === undefined) {
    return { ...newRateMeter(), epoch: snapshot.epoch, lastAt: snapshot.at, lastFrontier: snapshot.frontier, lastWaiting: snapshot.waiting };
  }
  const elapsed = snapshot.at - meter.lastAt;
  if (elapsed <= 0) return meter;
  const delta = Math.max(0, snapshot.frontier - meter.lastFrontier);
  const busy = meter.lastWaiting > 0 || snapshot.waiting > 0;
  const decay = Math.exp(-elapsed / RATE_TIME_CONSTANT_MS);
  return {
    epoch: snapshot.epoch,
    lastAt: snapshot.at,
    lastFrontier: snapshot.frontier,
    lastWaiting: snapshot.waiting,
    admitted: busy ? meter.admitted * decay + delta : meter.admitted,
    observedMs: busy ? meter.observedMs * decay + elapsed : meter.observedMs,
  };
}

/** Tickets passed per second, or undefined while it cannot be known honestly. */
export function admissionRate(meter: RateMeter): number | undefined {
  if (meter.observedMs < MIN_OBSERVATION_MS || meter.admitted <= 0) return undefined;
  return meter.admitted / (meter.observedMs / 1000);
}

/** Seconds until the visitor at `position` is called, or undefined when not yet known. */
export function estimateWaitSeconds(position: number, rate: number | undefined): number | undefined {
  if (position <= 0) return 0;
  if (rate === undefined || rate <= 0) return undefined;
  return Math.ceil(position / rate);
}

/**
 * How long a waiting page should wait before asking again: soon when the turn is near, rarely
 * when it is far, never so rarely that a called visitor misses their reserved slot.
 */
export function pollAfterSeconds(position: number, etaSeconds: number | undefined, noShowSeconds: number): number {
  const ceiling = Math.max(2, Math.min(30, Math.floor(noShowSeconds / 3)));
  const wanted = etaSeconds === undefined ? Math.max(3, position / 4) : etaSeconds / 8;
  return Math.round(Math.min(ceiling, Math.max(2, wanted)));
}
