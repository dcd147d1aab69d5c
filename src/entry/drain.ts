/**
 * Graceful shutdown of Node HTTP listeners: stop accepting, let requests in flight finish within
 * a limit, then cut what remains. Used by `node-server.ts`; see docs/deploy.md, *Probes and shutdown*.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { constants } from 'node:os';
import type { Logger } from '../platform/logger.js';

/** An HTTP listener that can be drained (`drainable`). */
export interface DrainableListener {
  /** Requests being answered now. */
  inFlight(): number;
  /**
   * Starts draining (once; later calls return the same promise): the listener stops accepting
   * connections, idle keep-alive connections are closed (again every `sweepMs`, as answers
   * finish), and every answer not yet begun says `Connection: close`, so its connection ends with
   * it. Resolves when the listener has closed: every connection has ended.
   */
  drain(): Promise<void>;
  /** Ends every connection still open at once (the drain limit); returns how many requests it cut. */
  cut(): number;
}

/** How often idle keep-alive connections are closed again while draining (ms). */
const SWEEP_MS = 100;

/**
 * Wraps a listening Node HTTP server so it can be drained. Call it right after the server is
 * created: it counts requests from then on.
 */
export function drainable(server: Server, options: { sweepMs?: number } = {}): DrainableListener {
  const open = new Set<ServerResponse>();
  let draining = false;
  let closed: Promise<void> | undefined;
  // One handler for every answer's end, so counting a request makes no closure.
  function forget(this: ServerResponse): void {
    open.delete(this);
  }
  server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
    open.add(response);
    response.once('close', forget);
    if (draining) response.shouldKeepAlive = false;
  });
  return {
    inFlight: () => open.size,
    drain() {
      if (closed) return closed;
      draining = true;
      for (const response of open) if (!response.headersSent) response.shouldKeepAlive = false;
      closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const sweeper = setInterval(() => server.closeIdleConnections(), options.sweepMs ?? SWEEP_MS);
      sweeper.unref();
      void closed.finally(() => clearInterval(sweeper));
      return closed;
    },
    cut() {
      const cut = open.size;
      server.closeAllConnections();
      return cut;
    },
  };
}

/** What a drain came to (for the log line and the tests). */
export interface DrainFigures {
  /** How long the drain took (ms): until everything ended, or the limit. */
  ms: number;
  /** True when everything ended within the limit (nothing was cut). */
  drained: boolean;
  /** Requests in flight on the waited-for listeners when the drain began. */
  inFlight: number;
  /** Requests still in flight at the limit, cut with their connections. */
  cut: number;
}

/** What `drainWithin` drains. */
export interface DrainPlan {
  /** The drain limit (ms); 0 cuts everything at once. */
  limitMs: number;
  /** Listeners whose requests are waited for. */
  listeners: readonly DrainableListener[];
  /**
   * Listeners drained alongside but not waited for (the admin listener: an open dashboard's event
   * stream never ends on its own); cut as soon as the rest has ended.
   */
  alongside?: readonly DrainableListener[];
  /** Other work to wait for within the same limit (the submission forwarders' deliveries in flight). */
  work?: readonly Promise<unknown>[];
}

/**
 * Drains within a limit: every listener starts draining at once; when the waited-for listeners
 * have closed and the work has ended, or at the limit, whatever is still open is cut.
 */
export async function drainWithin(plan: DrainPlan): Promise<DrainFigures> {
  const started = performance.now();
  const inFlight = plan.listeners.reduce((sum, listener) => sum + listener.inFlight(), 0);
  const everything = Promise.all([...plan.listeners.map((listener) => listener.drain()), ...(plan.work ?? []).map((work) => work.catch(() => undefined))]);
  for (const listener of plan.alongside ?? []) void listener.drain();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<'limit'>((resolve) => {
    timer = setTimeout(() => resolve('limit'), Math.max(0, plan.limitMs));
  });
  const outcome = plan.limitMs <= 0 ? 'limit' : await Promise.race([everything.then(() => 'drained' as const), limit]);
  clearTimeout(timer);
  const cut = plan.listeners.reduce((sum, listener) => sum + listener.cut(), 0);
  for (const listener of plan.alongside ?? []) listener.cut();
  return { ms: Math.round(performance.now() - started), drained: outcome === 'drained' && cut === 0, inFlight, cut };
}

/** Waits for `promise` at most `ms`, never rejecting (for closing what may hang on a cut request). */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise.catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** The longest the steps after the drain may take before the process gives up and exits 1 (ms). */
export const SHUTDOWN_AFTER_DRAIN_MS = 5_000;

/** What `exitOnSignals` stops. */
export interface SignalShutdown {
  /** Drains and closes Sảnh (`NodeSanh.close`). */
  close(): Promise<DrainFigures>;
  /** The drain limit (s), for the log line and the backstop. */
  drainSeconds: number;
  logger: Logger;
  /** Work after the drain (the demo portal, the last traces); bounded by the backstop. */
  after?: () => Promise<void>;
  /** How the process exits (default `process.exit`). */
  exit?: (code: number) => void;
}

/**
 * SIGTERM and SIGINT drain and exit 0: a Node process that runs Sảnh without this dies at the
 * signal's default action, resetting every connection in flight (issue 17: 25 of 25 reset while
 * the portal still answered them all). A second signal exits at once with 128 + its number (143
 * for SIGTERM, 130 for SIGINT); a shutdown that outlasts the drain by `SHUTDOWN_AFTER_DRAIN_MS`
 * exits 1. Used by the Node entry (`node.ts`) and by every process that embeds `startNodeSanh`
 * (the test helper `sanh-child.ts`). Returns a function that removes the handlers.
 */
export function exitOnSignals(shutdown: SignalShutdown): () => void {
  const { logger, drainSeconds } = shutdown;
  const exit = shutdown.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn('a second signal: exiting at once, without finishing the drain', { signal });
      exit(128 + (constants.signals[signal] ?? 0));
      return;
    }
    stopping = true;
    logger.info('shutting down: draining', { signal, drainSeconds });
    // A backstop: the steps after the drain are bounded, but a process that must exit does.
    setTimeout(
      () => {
        logger.error('the shutdown did not finish in time', { signal });
        exit(1);
      },
      drainSeconds * 1000 + SHUTDOWN_AFTER_DRAIN_MS,
    ).unref();
    void (async () => {
      const figures = await shutdown.close();
      logger.info('drained', { ...figures });
      await shutdown.after?.();
      exit(0);
    })().catch((error: unknown) => {
      logger.error('the shutdown failed', { signal, error: String(error) });
      exit(1);
    });
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return () => {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  };
}
