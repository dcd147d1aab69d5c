/**
 * Adaptive admission, the pure part: AIMD on the origin's health (the approach of Netflix's
 * concurrency-limits and Envoy's adaptive concurrency, applied to a room's admission rate). When
 * the origin's p95 latency passes the target or its error rate passes the threshold, the rate is
 * multiplied down; while it is healthy, it grows by a fixed step; never above the operator's rate,
 * never below the floor.
 */

/** How a room adapts (its `adaptive` settings, with defaults applied). */
export interface AdaptivePolicy {
  targetP95Ms: number;
  maxErrorRate: number;
  /** The floor (admissions per minute). */
  minPerMinute: number;
  /** Added per healthy interval (admissions per minute). */
  increasePerMinute: number;
  /** Multiplied by on an unhealthy interval (0 < f < 1). */
  decreaseFactor: number;
  /** Fewer origin answers than this in an interval say nothing: the rate is held. */
  minSamples: number;
}

/** What the origin did during one control interval. */
export interface OriginWindow {
  requests: number;
  /** 5xx answers, timeouts and unreachable. */
  errors: number;
  p50Ms: number | undefined;
  p95Ms: number | undefined;
}

/** When an interval counts as unhealthy (the `AdaptivePolicy` fields auto-activation shares). */
export type HealthThresholds = Pick<AdaptivePolicy, 'targetP95Ms' | 'maxErrorRate' | 'minSamples'>;

/** The verdict on one interval of the origin: too few answers to tell, healthy, or unhealthy and why. */
export type OriginHealth = { verdict: 'quiet' } | { verdict: 'healthy' } | { verdict: 'unhealthy'; reason: string };

/** The origin's health in one interval: p95 over the target or errors over the threshold, given enough answers. */
export function originHealth(window: OriginWindow, thresholds: HealthThresholds): OriginHealth {
  if (window.requests < thresholds.minSamples) return { verdict: 'quiet' };
  const errorRate = window.errors / window.requests;
  const slow = window.p95Ms !== undefined && window.p95Ms > thresholds.targetP95Ms;
  const failing = errorRate > thresholds.maxErrorRate;
  if (!slow && !failing) return { verdict: 'healthy' };
  const reason = [
    slow ? `p95 ${Math.round(window.p95Ms ?? 0)} ms over ${thresholds.targetP95Ms} ms` : '',
    failing ? `errors ${(errorRate * 100).toFixed(1)} % over ${(thresholds.maxErrorRate * 100).toFixed(1)} %` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return { verdict: 'unhealthy', reason };
}

/** The controller's decision for one interval. */
export interface AdaptiveStep {
  /** The adaptive rate for the next interval (admissions per minute). */
  rate: number;
  verdict: 'decrease' | 'increase' | 'hold';
  reason: string;
}

/**
 * The next adaptive rate from the current one, the operator's rate and the last interval's origin
 * window. Right after a decrease, one unhealthy interval is held rather than cut again: the
 * origin's queue takes about an interval to drain, and cutting on it would overshoot.
 */
export function nextAdaptiveRate(current: number, operator: number, window: OriginWindow, policy: AdaptivePolicy, previous?: AdaptiveStep): AdaptiveStep {
  const capped = Math.min(current, operator);
  const health = originHealth(window, policy);
  if (health.verdict === 'quiet') {
    // Below the operator's rate, a quiet origin is no evidence of trouble (a low rate starves the
    // samples it would need to climb back): treat it as healthy.
    if (capped < operator && window.errors === 0)
      return {
        rate: Math.min(operator, capped + policy.increasePerMinute),
        verdict: 'increase',
        reason: `quiet (${window.requests} origin answers, no errors)`,
      };
    return { rate: capped, verdict: 'hold', reason: `${window.requests} origin answers (fewer than ${policy.minSamples})` };
  }
  if (health.verdict === 'unhealthy') {
    if (previous?.verdict === 'decrease') return { rate: capped, verdict: 'hold', reason: 'waiting for the last decrease to show' };
    return { rate: Math.max(Math.min(policy.minPerMinute, operator), capped * policy.decreaseFactor), verdict: 'decrease', reason: health.reason };
  }
  const rate = Math.min(operator, capped + policy.increasePerMinute);
  return { rate, verdict: rate > capped ? 'increase' : 'hold', reason: 'healthy' };
}

/** The token bucket size to use at an adaptive rate: the room's burst, scaled down with the rate. */
export function adaptiveBurst(burst: number, operator: number, adaptive: number): number {
  if (adaptive >= operator) return burst;
  return Math.max(1, Math.round((burst * adaptive) / operator));
}
