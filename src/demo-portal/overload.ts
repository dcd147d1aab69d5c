/**
 * The demo portal's overload model: a fixed number of workers and a bounded FIFO queue in front
 * of them. Work slows down as the queue grows; past the queue's limit requests are refused, and a
 * request that waits too long times out — like a real overloaded portal.
 */
export interface OverloadOptions {
  capacity: number;
  queueLimit: number;
  serviceMs: number;
  timeoutMs: number;
}

/** What became of a request. */
export type Admission = 'served' | 'rejected' | 'timed-out';

/** Counters of the model. */
export interface OverloadStats {
  inFlight: number;
  queued: number;
  capacity: number;
  served: number;
  rejected: number;
  timedOut: number;
  /** Time from arrival to answer (any outcome) since the last reset, in milliseconds. */
  latencyMs: { count: number; p50: number | null; p95: number | null; p99: number | null };
}

/**
 * How much slower every page gets when the queue is full (0.5: half as slow again): a busy portal
 * spends more of its time on contention (locks, memory, garbage collection), so its capacity
 * shrinks just when it is needed most.
 */
const CONTENTION = 0.5;

/** How many latencies the model keeps between resets (older ones are sampled away). */
const MAX_LATENCIES = 100_000;

/** The overload model of one portal. */
export interface Overload {
  /** Waits for a worker, holds it for the service time, and says how it went. */
  run(): Promise<Admission>;
  /** Changes the worker count; queued requests start at once if it grew. */
  setCapacity(capacity: number): void;
  stats(): OverloadStats;
  /** Zeroes the counters and the latency record (in-flight and queued requests carry on). */
  resetStats(): void;
}

function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

function checkWhole(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
}

/** Creates the model; throws a RangeError on an impossible setting. */
export function createOverload(options: OverloadOptions): Overload {
  checkWhole('capacity', options.capacity, 1);
  checkWhole('queueLimit', options.queueLimit, 0);
  if (!(options.serviceMs >= 0) || !(options.timeoutMs > 0)) throw new RangeError('serviceMs must be >= 0 and timeoutMs > 0');
  let capacity = options.capacity;
  let inFlight = 0;
  const waiting: Array<() => void> = [];
  const counters = { served: 0, rejected: 0, timedOut: 0 };
  let latencies: number[] = [];
  let seen = 0;
  const record = (startedAt: number) => {
    seen += 1;
    const ms = Date.now() - startedAt;
    if (latencies.length < MAX_LATENCIES) latencies.push(ms);
    else {
      const slot = Math.floor(Math.random() * seen);
      if (slot < MAX_LATENCIES) latencies[slot] = ms;
    }
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  function startWaiting(): void {
    while (inFlight < capacity && waiting.length > 0) {
      inFlight += 1;
      waiting.shift()?.();
    }
  }

  const idle = () => inFlight < capacity && waiting.length === 0;

  async function acquire(deadline: number): Promise<boolean> {
    if (idle()) {
      inFlight += 1;
      return true;
    }
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(
        () => {
          const index = waiting.indexOf(wake);
          if (index >= 0) waiting.splice(index, 1);
          resolve(false);
        },
        Math.max(0, deadline - Date.now()),
      );
      waiting.push(wake);
    });
  }

  return {
    async run() {
      const startedAt = Date.now();
      if (!idle() && waiting.length >= options.queueLimit) {
        counters.rejected += 1;
        record(startedAt);
        return 'rejected';
      }
      const deadline = startedAt + options.timeoutMs;
      if (!(await acquire(deadline))) {
        counters.timedOut += 1;
        record(startedAt);
        return 'timed-out';
      }
      try {
        const load = 1 + (CONTENTION * waiting.length) / Math.max(1, options.queueLimit);
        const serviceMs = options.serviceMs * load * (0.85 + Math.random() * 0.3);
        const remaining = deadline - Date.now();
        if (serviceMs > remaining) {
          await sleep(Math.max(0, remaining));
          counters.timedOut += 1;
          return 'timed-out';
        }
        await sleep(serviceMs);
        counters.served += 1;
        return 'served';
      } finally {
        record(startedAt);
        inFlight -= 1;
        startWaiting();
      }
    },
    setCapacity(next) {
      checkWhole('capacity', next, 1);
      capacity = next;
      startWaiting();
    },
    stats: () => {
      const sorted = [...latencies].sort((a, b) => a - b);
      const latencyMs = { count: seen, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), p99: percentile(sorted, 0.99) };
      return { inFlight, queued: waiting.length, capacity, ...counters, latencyMs };
    },
    resetStats() {
      counters.served = 0;
      counters.rejected = 0;
      counters.timedOut = 0;
      latencies = [];
      seen = 0;
    },
  };
}
