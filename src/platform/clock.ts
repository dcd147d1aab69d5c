/** A source of the current time in milliseconds since the epoch; injected so tests control time. */
export type Clock = () => number;

/** The wall clock. */
export const systemClock: Clock = () => Date.now();

/** A clock that only moves when told to; for tests and simulations. */
export interface ManualClock {
  (): number;
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void;
  /** Sets the clock to an absolute time. */
  set(ms: number): void;
}

/** Creates a manual clock starting at `start` (ms since the epoch). */
export function manualClock(start = Date.UTC(2026, 0, 1)): ManualClock {
  let now = start;
  const clock = (() => now) as ManualClock;
  clock.advance = (ms) => {
    now += ms;
  };
  clock.set = (ms) => {
    now = ms;
  };
  return clock;
}
