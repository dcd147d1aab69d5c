/**
 * The proxy's limits on what a request may hold toward the origin (Node): how long its body may
 * take, how many unadmitted bodies one client address may have arriving at once, and the share
 * of the origin connection pool that requests nobody admitted (bypass, passthrough, no room) may
 * use, so that admitted visitors' requests always find a connection.
 */
import { Readable } from 'node:stream';
import { SanhError } from '../platform/errors.js';

/** The limits, resolved from `origin` in the configuration (`proxyLimitsOptions`). */
export interface ProxyLimitsOptions {
  /** Connections to the origin at most (the undici pool's size). */
  connections: number;
  /** Connections only admitted visitors may use; unadmitted requests share `connections - reservedForAdmitted`. */
  reservedForAdmitted: number;
  /** A body must arrive within this long (ms), plus a second per `bodyMinBytesPerSecond` bytes received. */
  bodyTimeoutMs: number;
  /** Bytes per second that extend the body deadline by a second (0: a fixed deadline). */
  bodyMinBytesPerSecond: number;
  /** Unadmitted requests from one client address whose bodies are still arriving, at most. */
  maxBodiesPerClient: number;
}

/** The `origin` section of the configuration, as far as the limits read it. */
export interface OriginLimitsConfig {
  connections: number;
  reservedForAdmitted?: number | undefined;
  requestBodyTimeoutSeconds: number;
  requestBodyMinBytesPerSecond: number;
  maxBodiesPerClient: number;
}

/** The limits for a configuration's `origin` section; `reservedForAdmitted` defaults to a quarter of the pool (at least 1). */
export function proxyLimitsOptions(origin: OriginLimitsConfig): ProxyLimitsOptions {
  return {
    connections: origin.connections,
    reservedForAdmitted: origin.reservedForAdmitted ?? Math.max(1, Math.ceil(origin.connections / 4)),
    bodyTimeoutMs: Math.round(origin.requestBodyTimeoutSeconds * 1000),
    bodyMinBytesPerSecond: origin.requestBodyMinBytesPerSecond,
    maxBodiesPerClient: origin.maxBodiesPerClient,
  };
}

/** Frees what was taken; calling it again does nothing. */
export type Release = () => void;

/** A request body on its way to the origin under a deadline (see `ProxyLimits.guardBody`). */
export interface GuardedBody {
  /** What to send to the origin instead of the raw body. */
  stream: Readable;
  /** True once the deadline cut the body. */
  timedOut(): boolean;
  /** Stops watching (the request failed before the body ended); frees the client's count. */
  dispose(): void;
}

/** How many slots are in use now (for tests and metrics). */
export interface ProxyLimitFigures {
  /** Origin requests of unadmitted visitors in flight. */
  unadmitted: number;
  /** Unadmitted bodies still arriving, summed over client addresses. */
  bodies: number;
}

/** The proxy's limits (see the module comment). */
export interface ProxyLimits {
  readonly options: ProxyLimitsOptions;
  /** A slot in the unadmitted share of the origin pool, or `undefined` when the share is in use. */
  takeUnadmitted(): Release | undefined;
  /**
   * Watches `source` under the body deadline. With `clientKey` (an unadmitted request), the body
   * also counts against that address's `maxBodiesPerClient` until it ends: `undefined` when the
   * address already has that many arriving.
   */
  guardBody(source: Readable, clientKey?: string): GuardedBody | undefined;
  figures(): ProxyLimitFigures;
}

/** The body deadline's error: the proxy answers it as 408 `request_timeout`. */
export function bodyTimeoutError(): SanhError {
  return new SanhError('request_timeout', 'The request body arrived too slowly. Please try again.', { headers: { connection: 'close' } });
}

/** A body stream with a deadline that grows with the bytes received (mod_reqtimeout's `body=…,MinRate=…`). */
class DeadlineBody extends Readable {
  #bytes = 0;
  readonly #startedAt = performance.now();
  /** Time the origin side was not reading (back-pressure): not the client's fault, so not counted. */
  #pausedMs = 0;
  #pausedAt: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #over = false;
  cut = false;

  constructor(
    private readonly source: Readable,
    private readonly timeoutMs: number,
    private readonly minBytesPerSecond: number,
    private readonly done: () => void,
  ) {
    super();
    source.on('data', this.#onData);
    source.on('end', this.#onEnd);
    source.on('error', this.#onError);
    source.on('close', this.#onClose);
    this.#arm();
  }

  #onData = (chunk: Buffer): void => {
    this.#bytes += chunk.byteLength;
    if (!this.push(chunk)) {
      this.source.pause();
      this.#pausedAt = performance.now();
    }
  };

  #onEnd = (): void => {
    this.#finish();
    this.push(null);
  };

  #onError = (error: Error): void => {
    this.#finish();
    this.destroy(error);
  };

  #onClose = (): void => {
    if (this.#over) return;
    this.#finish();
    this.destroy(new Error('The visitor went away before the request body ended.'));
  };

  override _read(): void {
    if (this.#pausedAt !== undefined) {
      this.#pausedMs += performance.now() - this.#pausedAt;
      this.#pausedAt = undefined;
    }
    this.source.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#finish();
    callback(error);
  }

  /** How long the body may have taken by now (ms since the start, pauses on our side excluded). */
  #allowanceMs(): number {
    const rated = this.minBytesPerSecond > 0 ? (this.#bytes / this.minBytesPerSecond) * 1000 : 0;
    const paused = this.#pausedMs + (this.#pausedAt === undefined ? 0 : performance.now() - this.#pausedAt);
    return this.timeoutMs + rated + paused;
  }

  #arm(): void {
    const left = this.#allowanceMs() - (performance.now() - this.#startedAt);
    if (left <= 0) {
      this.cut = true;
      this.source.pause();
      this.destroy(bodyTimeoutError());
      return;
    }
    this.#timer = setTimeout(() => this.#arm(), Math.ceil(left));
    this.#timer.unref();
  }

  #finish(): void {
    if (this.#over) return;
    this.#over = true;
    clearTimeout(this.#timer);
    this.source.off('data', this.#onData);
    this.source.off('end', this.#onEnd);
    this.source.off('error', this.#onError);
    this.source.off('close', this.#onClose);
    this.done();
  }
}

/** Creates the proxy's limits for one process (counts are per instance). */
export function createProxyLimits(options: ProxyLimitsOptions): ProxyLimits {
  const unadmittedShare = Math.max(1, options.connections - options.reservedForAdmitted);
  let unadmitted = 0;
  const bodies = new Map<string, number>();
  let bodyCount = 0;

  function once(free: () => void): Release {
    let freed = false;
    return () => {
      if (freed) return;
      freed = true;
      free();
    };
  }

  return {
    options,
    takeUnadmitted() {
      if (unadmitted >= unadmittedShare) return undefined;
      unadmitted++;
      return once(() => void unadmitted--);
    },
    guardBody(source, clientKey) {
      let free: Release = () => undefined;
      if (clientKey !== undefined) {
        const held = bodies.get(clientKey) ?? 0;
        if (held >= options.maxBodiesPerClient) return undefined;
        bodies.set(clientKey, held + 1);
        bodyCount++;
        free = once(() => {
          bodyCount--;
          const left = (bodies.get(clientKey) ?? 1) - 1;
          if (left <= 0) bodies.delete(clientKey);
          else bodies.set(clientKey, left);
        });
      }
      const stream = new DeadlineBody(source, options.bodyTimeoutMs, options.bodyMinBytesPerSecond, free);
      return {
        stream,
        timedOut: () => stream.cut,
        dispose: () => {
          if (!stream.destroyed) stream.destroy();
        },
      };
    },
    figures: () => ({ unadmitted, bodies: bodyCount }),
  };
}
