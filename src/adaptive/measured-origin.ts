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
        stats.record(room, performance.now() - started, 'error');
        throw error;
      } finally {
        stats.finished(room);
      }
    },
    close: () => origin.close(),
  };
}
