/**
 * The public listener's requests as the OpenTelemetry HTTP server conventions count them (method,
 * status, duration), for the admin listener's Prometheus histogram
 * `http_server_request_duration_seconds` (`admin/metrics.ts`). The public app records into it
 * (`measuredFetch`, the outermost layer of `createApp`'s fetch, so every answer is counted once:
 * routed, mapped from an error, or a status poll answered from memory); the metrics listen. The
 * public app exposes none of it. Cheap: a monotonic time pair, two header reads and a call per
 * request, no store round trip, no label object (the metrics count into a kept series).
 */

import { SANH_STATES } from '../platform/sanh-state.js';

/** The methods the HTTP semantic conventions name; any other is `_OTHER`. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/** The `Sanh-State` values Sảnh answers with; anything else is recorded as none (bounded labels). */
const KNOWN_STATES: ReadonlySet<string> = new Set(SANH_STATES);

/**
 * A listener of public answers: the method as the conventions name it (`GET`, …, `_OTHER`), the
 * status, the `Sanh-Room` header as answered (unchecked: the listener keeps only configured rooms),
 * Sảnh's state (`admitted`, `queued`, …, or '' for none) and the time to the answer's headers (s).
 */
export type HttpServerListener = (method: string, status: number, room: string | null, state: string, seconds: number) => void;

/** The public listener's answers, handed to whoever listens (the admin metrics). */
export interface HttpServerStats {
  /** The monotonic time source the durations are measured with (ms). */
  now(): number;
  record(method: string, status: number, room: string | null, state: string | null, seconds: number): void;
  /** Calls `listener` on every answer recorded from now on; returns how to stop. */
  listen(listener: HttpServerListener): () => void;
}

/** The method label of the HTTP conventions: the method when they name it, else `_OTHER`. */
export function conventionMethod(method: string): string {
  return KNOWN_METHODS.has(method) ? method : '_OTHER';
}

/** Public answers counted in this process's memory, timed with `now` (default `performance.now`). */
export function createHttpServerStats(options: { now?: () => number } = {}): HttpServerStats {
  const listeners = new Set<HttpServerListener>();
  return {
    now: options.now ?? (() => performance.now()),
    record(method, status, room, state, seconds) {
      const named = conventionMethod(method);
      const known = state !== null && KNOWN_STATES.has(state) ? state : '';
      for (const listener of listeners) listener(named, status, room, known, seconds);
    },
    listen(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}

const isPromise = (answer: Response | Promise<Response>): answer is Promise<Response> => typeof (answer as Promise<Response>).then === 'function';

type Fetch<E, X> = (request: Request, env?: E, executionCtx?: X) => Response | Promise<Response>;

/**
 * `fetch`, measured into `stats`: each answer once, from the request's arrival to the answer's
 * headers. A fetch that throws is counted as the 500 the server answers for it.
 */
export function measuredFetch<E, X>(fetch: Fetch<E, X>, stats: HttpServerStats): Fetch<E, X> {
  const recordAnswer = (request: Request, started: number, response: Response) => {
    const headers = response.headers;
    stats.record(request.method, response.status, headers.get('sanh-room'), headers.get('sanh-state'), (stats.now() - started) / 1000);
    return response;
  };
  return function measuredRequest(request, env, executionCtx) {
    const started = stats.now();
    let answer: Response | Promise<Response>;
    try {
      answer = fetch(request, env, executionCtx);
    } catch (error) {
      stats.record(request.method, 500, null, null, (stats.now() - started) / 1000);
      throw error;
    }
    if (!isPromise(answer)) return recordAnswer(request, started, answer);
    return answer.then(
      (response) => recordAnswer(request, started, response),
      (error: unknown) => {
        stats.record(request.method, 500, null, null, (stats.now() - started) / 1000);
        throw error;
      },
    );
  };
}
