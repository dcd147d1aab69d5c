/** What one origin answer was, for the origin's health. */
export type OriginOutcome = 'ok' | 'error';

/** Samples kept per room per interval: enough for a p95, bounded in memory. */
const MAX_SAMPLES = 2_048;

interface Window {
  requests: number;
  errors: number;
  samples: number[];
}

/** A listener of origin answers: the room, the time to the answer's headers (ms) and the outcome. */
export type OriginListener = (room: string, latencyMs: number, outcome: OriginOutcome) => void;

/** The origin's latency and errors per room, collected as Sảnh proxies, taken one interval at a time. */
export interface OriginStats {
  record(room: string, latencyMs: number, outcome: OriginOutcome): void;
  /** Calls `listener` on every answer recorded from now on (the metrics' latency histogram); returns how to stop. */
  listen(listener: OriginListener): () => void;
  /** Requests sent to the origin and not answered yet, per room. */
  started(room: string): void;
  finished(room: string): void;
  inFlight(room: string): number;
  /** The window since the last `take` (and starts a new one). */
  take(room: string): { requests: number; errors: number; p50Ms: number | undefined; p95Ms: number | undefined };
  /** The last window taken, for the admin figures. */
  last(room: string): { requests: number; errors: number; p50Ms: number | undefined; p95Ms: number | undefined } | undefined;
}

function quantile(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Origin statistics in this instance's memory (reservoir-sampled latencies per interval). */
export function createOriginStats(random: () => number = Math.random): OriginStats {
  const windows = new Map<string, Window>();
  const flying = new Map<string, number>();
  const taken = new Map<string, ReturnType<OriginStats['take']>>();
  const listeners = new Set<OriginListener>();
  const windowOf = (room: string) => {
    let window = windows.get(room);
    if (!window) {
      window = { requests: 0, errors: 0, samples: [] };
      windows.set(room, window);
    }
    return window;
  };
  return {
    record(room, latencyMs, outcome) {
      for (const listener of listeners) listener(room, latencyMs, outcome);
      const window = windowOf(room);
      window.requests += 1;
      if (outcome === 'error') window.errors += 1;
      if (window.samples.length < MAX_SAMPLES) window.samples.push(latencyMs);
      else {
        const at = Math.floor(random() * window.requests);
        if (at < MAX_SAMPLES) window.samples[at] = latencyMs;
      }
    },
    listen(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    started: (room) => void flying.set(room, (flying.get(room) ?? 0) + 1),
    finished: (room) => void flying.set(room, Math.max(0, (flying.get(room) ?? 0) - 1)),
    inFlight: (room) => flying.get(room) ?? 0,
    take(room) {
      const window = windowOf(room);
      windows.delete(room);
      const sorted = [...window.samples].sort((a, b) => a - b);
      const result = { requests: window.requests, errors: window.errors, p50Ms: quantile(sorted, 0.5), p95Ms: quantile(sorted, 0.95) };
      taken.set(room, result);
      return result;
    },
    last: (room) => taken.get(room),
  };
}
