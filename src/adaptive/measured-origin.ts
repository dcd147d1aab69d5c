import { SanhError } from '../platform/errors.js';
import type { OriginClient } from '../proxy/port.js';
import type { OriginStats } from './origin-stats.js';

/**
 * The origin client, measured: for each request that names its room, the time to the origin's
 * answer headers, whether it was an error (5xx, timeout, unreachable) and how many are in flight.
 * One `performance.now()` pair and a few map updates per request; no store round trip.
 */
export function measuredOrigin(origin: OriginClient, stats: OriginStats): OriginClient {
  return {
    async forward(request) {
      const room = request.room;
      if (room === undefined) return origin.forward(request);
      stats.started(room);
      const started = performance.now();
      try {
        const answer = await origin.forward(request);
        stats.record(room, performance.now() - started, answer.status >= 500 ? 'error' : 'ok');
        return answer;
      } catch (error) {
        if (!clientBodyFault(error)) stats.record(room, performance.now() - started, 'error');
        throw error;
      } finally {
        stats.finished(room);
      }
    },
    close: () => origin.close(),
  };
}

/**
 * True when a forward failed because the visitor's own body came too slowly (the proxy's body
 * deadline, `request_timeout`, possibly wrapped as the cause of a fetch error): no fault of the
 * origin, so it must not count against the origin's health (slow-body attackers would otherwise
 * talk adaptive admission down).
 */
function clientBodyFault(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    if (cause instanceof SanhError && cause.code === 'request_timeout') return true;
  }
  return false;
}
