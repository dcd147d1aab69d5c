/**
 * `failover`: the Sentinel failover of `tests/helpers/failover.ts` (one primary, one replica,
 * three sentinels, two Sảnh processes, load of every kind; the primary SIGKILLed mid-load),
 * reported as figures. The integration test holds the same run to the same targets.
 */
import { runFailover, type FailoverFigures } from '../../tests/helpers/failover.js';
import { figure, type Figure, type Scenario } from '../lib/scenario.js';

const UNITS: Record<keyof FailoverFigures, string> = {
  failover_seconds: 's',
  joins_recovered_seconds: 's',
  saves_recovered_seconds: 's',
  submissions_recovered_seconds: 's',
  admitted_refused: 'requests',
  admitted_requests: 'requests',
  queue_positions_lost: 'visitors',
  queue_positions_reordered: 'pairs',
  queued_never_admitted: 'visitors',
  undocumented_5xx: 'answers',
  unanswered_requests: 'requests',
  documented_503: 'answers',
  submissions_acknowledged: 'submissions',
  submissions_refused: 'submissions',
  acknowledged_submissions_lost: 'submissions',
  duplicate_deliveries: 'submissions',
  duplicate_filings: 'submissions',
  draft_saves: 'saves',
  draft_saves_refused: 'saves',
  draft_saves_lost: 'saves',
  joins: 'visitors',
  joins_refused: 'visitors',
};

export const failoverScenario: Scenario = {
  name: 'failover',
  title: 'A Sentinel failover under load: what it costs, what is lost',
  inQuickAll: false,
  async run(context) {
    const { figures, notes } = await runFailover({
      warmSeconds: context.quick ? 3 : 10,
      afterSeconds: context.quick ? 3 : 10,
      admitted: context.quick ? 6 : 20,
      queued: context.quick ? 6 : 20,
      savers: context.quick ? 3 : 10,
      progress: context.progress,
    });
    const recoveryBound = figures.failover_seconds + 5;
    return {
      figures: Object.fromEntries(Object.entries(figures).map(([name, value]) => [name, figure(value, UNITS[name as keyof FailoverFigures])])) as Record<
        string,
        Figure
      >,
      targets: {
        admitted_refused: { op: '<=', value: 0, invariant: true },
        queue_positions_lost: { op: '<=', value: 0, invariant: true },
        queue_positions_reordered: { op: '<=', value: 0, invariant: true },
        undocumented_5xx: { op: '<=', value: 0, invariant: true },
        unanswered_requests: { op: '<=', value: 0, invariant: true },
        acknowledged_submissions_lost: { op: '<=', value: 0, invariant: true },
        duplicate_filings: { op: '<=', value: 0, invariant: true },
        duplicate_deliveries: { op: '<=', value: 0 },
        joins_recovered_seconds: { op: '<=', value: recoveryBound },
        saves_recovered_seconds: { op: '<=', value: recoveryBound },
      },
      notes: [
        'Redis: 1 primary, 1 replica, 3 sentinels (quorum 2, down-after-milliseconds 1000, failover-timeout 5000), on loopback; two Sảnh processes on redis+sentinel://; submissions with durability "replicated" (WAIT 1).',
        'Load: admitted visitors browse every 200 ms, queued visitors poll their place every 300 ms, citizens save a draft every 300 ms, a new visitor arrives every 150 ms and a deferred submission is sent every 100 ms, each request to either instance.',
        'The primary is SIGKILLed after the warm-up; a second after the sentinels promote the replica, the old primary is started again as the new primary\'s replica (as a supervisor that asks the sentinels does). Until then "replicated" has no replica to confirm and submissions are refused with 503 store_not_durable, never acknowledged and lost.',
        "Recovery figures: seconds from the kill to the first success after the last failure. Documented 503s (store_unavailable, store_not_durable, the gate's own unavailable page, each with Retry-After) are counted, not failed.",
        ...notes.map((note) => `undocumented answer: ${note}`),
      ],
    };
  },
};
