import { systemClock, type Clock } from './clock.js';
import { silentLogger, type Logger } from './logger.js';

/** Whether the store answered its last check, and since when that has been so. */
export interface StoreHealthState {
  /** `ok`: the last check was answered; `down`: it failed. */
  status: 'ok' | 'down';
  /** When the status last changed (ms since the epoch; the start, when it never has). */
  since: number;
  /** Why the last check failed (while down). */
  error?: string;
}

/**
 * The store's health as this instance sees it: a ping every `intervalMs`, remembered, so probes,
 * `/_sanh/health` and metrics read it without a store round trip. It logs one warn line when the
 * store goes down and one info line when it comes back, never a line per check or per request.
 */
export interface StoreHealth {
  /** The state after the last check. */
  state(): StoreHealthState;
  /** Checks now (never rejects) and returns the new state. */
  check(): Promise<StoreHealthState>;
  /** Checks every `intervalMs` from now on. */
  start(): void;
  stop(): void;
}

/** What the store's health is measured with. */
export interface StoreHealthOptions {
  /** Resolves when the store answers; rejects (or throws) when it cannot. */
  ping: () => Promise<unknown>;
  /** Default 1 s. */
  intervalMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/** Creates the health check (state `ok` until a check fails). */
export function createStoreHealth(options: StoreHealthOptions): StoreHealth {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const intervalMs = options.intervalMs ?? 1_000;
  let current: StoreHealthState = { status: 'ok', since: clock() };
  let timer: ReturnType<typeof setInterval> | undefined;
  let checking: Promise<StoreHealthState> | undefined;

  function record(error: unknown): StoreHealthState {
    const now = clock();
    if (error === undefined) {
      if (current.status === 'down') logger.info('the store is reachable again', { downSeconds: Math.round((now - current.since) / 1000) });
      current = current.status === 'ok' ? current : { status: 'ok', since: now };
      return current;
    }
    const message = error instanceof Error ? error.message : String(error);
    if (current.status === 'ok') {
      logger.warn('the store is unreachable: each room follows its onStoreFailure policy until it is back', { error: message });
      current = { status: 'down', since: now, error: message };
    } else {
      current = { ...current, error: message };
    }
    return current;
  }

  function check(): Promise<StoreHealthState> {
    checking ??= Promise.resolve()
      .then(() => options.ping())
      .then(
        () => record(undefined),
        (error: unknown) => record(error ?? new Error('the store did not answer')),
      )
      .finally(() => {
        checking = undefined;
      });
    return checking;
  }

  return {
    state: () => current,
    check,
    start() {
      if (timer) return;
      timer = setInterval(() => void check(), intervalMs);
      timer.unref?.();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
