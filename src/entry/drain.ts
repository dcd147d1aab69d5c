/**
 * Graceful shutdown of Node HTTP listeners: stop accepting, let requests in flight finish within
 * a limit, then cut what remains. Used by `node-server.ts`; see the README's *Operations*.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

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
