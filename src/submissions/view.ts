import { isFinal, publicState, type FailureReason, type PublicState, type ReceiptRecord } from './core.js';

/** The path of a receipt's status (page and JSON). */
export function receiptStatusPath(receiptId: string): string {
  return `/_sanh/receipts/${receiptId}`;
}

/** The path of the portal's answer to a delivered submission, when a copy is kept. */
export function receiptAnswerPath(receiptId: string): string {
  return `/_sanh/receipts/${receiptId}/answer`;
}

/**
 * What a receipt shows, as JSON (`GET /_sanh/receipts/:id`, the 202 answer) and on its page. No
 * personal data: the submission's content and the portal's answer stay sealed in the store.
 */
export interface ReceiptView {
  receiptId: string;
  /** The number a person can read out on the phone (`YYMMDD-NNNNNN`). */
  receiptNumber: string;
  statusUrl: string;
  state: PublicState;
  room: string;
  acceptedAt: string;
  updatedAt: string;
  /** Delivery attempts so far. */
  attempts: number;
  /** When the next attempt is due, while the portal is being retried. */
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  /** What the portal answered: its HTTP status and, when it named one, its own application number. */
  origin: { status: number; applicationNumber: string | null } | null;
  /** Why it failed for good: `rejected` (the portal refused it), `attempts`, `deadline`, `dropped` (by an operator). */
  failure: { reason: FailureReason } | null;
  /** The last delivery problem while it is still being retried (`unreachable`, `timeout`, `status 503`). */
  problem: string | null;
  /** Where the portal's answer can be viewed, when a copy is kept. */
  answerUrl: string | null;
  /** Seconds after which it is worth asking again; null once final. */
  pollAfterSeconds: number | null;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** The public view of a receipt at `now`. */
export function receiptView(record: ReceiptRecord, now: number): ReceiptView {
  const state = publicState(record.state);
  const final = isFinal(record.state);
  const untilNext = record.nextAttemptAt === undefined ? undefined : Math.ceil((record.nextAttemptAt - now) / 1000);
  return {
    receiptId: record.id,
    receiptNumber: record.number,
    statusUrl: receiptStatusPath(record.id),
    state,
    room: record.room,
    acceptedAt: new Date(record.acceptedAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    attempts: record.attempts,
    nextAttemptAt: record.state === 'retrying' ? iso(record.nextAttemptAt) : null,
    deliveredAt: iso(record.deliveredAt),
    origin: record.originStatus === undefined ? null : { status: record.originStatus, applicationNumber: record.applicationNumber ?? null },
    failure: record.state === 'failed' && record.failure ? { reason: record.failure } : null,
    problem: final ? null : (record.problem ?? null),
    answerUrl: record.hasAnswer ? receiptAnswerPath(record.id) : null,
    pollAfterSeconds: final ? null : Math.min(60, Math.max(5, untilNext ?? 10)),
  };
}
