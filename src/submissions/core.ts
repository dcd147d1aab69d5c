/**
 * The pure core of store-and-forward submissions: which routes defer, what an origin's answer
 * means for a delivery, how long to wait before the next attempt, and what a receipt tells the
 * citizen. No I/O, no clock: `now` and randomness come in as arguments.
 */
import type { SubmissionRouteConfig, SubmissionsConfig } from '../config/submissions.js';

/** Where a submission is, as the store keeps it. */
export type StoredState = 'accepted' | 'delivering' | 'retrying' | 'delivered' | 'failed';

/** Where a submission is, as the citizen is told: accepted → delivering → delivered, or failed. */
export type PublicState = 'accepted' | 'delivering' | 'delivered' | 'failed';

/** Why a submission failed for good. */
export type FailureReason = 'rejected' | 'attempts' | 'deadline' | 'dropped';

/** A submission's receipt as the store keeps it (no personal data: the request and answer are sealed apart). */
export interface ReceiptRecord {
  /** The receipt id: `<room>.<22 random base64url characters>`, unguessable. */
  id: string;
  room: string;
  /** The receipt number a person can read out: `YYMMDD-NNNNNN` (day in Vietnam time, then the day's count in the room). */
  number: string;
  state: StoredState;
  acceptedAt: number;
  updatedAt: number;
  /** Delivery attempts started so far. */
  attempts: number;
  /** The latest moment the submission may still be delivered (ms). */
  deadlineAt: number;
  /** When the next attempt is due (retrying only, ms). */
  nextAttemptAt?: number;
  deliveredAt?: number;
  /** What the portal answered (delivered, or rejected). */
  originStatus?: number;
  /** The portal's own application number, when it named one. */
  applicationNumber?: string;
  /** The last thing that went wrong, in a word (`unreachable`, `timeout`, `status 503`). */
  problem?: string;
  failure?: FailureReason;
  /** A copy of the portal's answer is kept and may be viewed from the receipt. */
  hasAnswer: boolean;
}

/** The state the citizen sees. */
export function publicState(state: StoredState): PublicState {
  return state === 'retrying' ? 'delivering' : state;
}

/** True once nothing more will happen to a submission (unless an operator retries it). */
export function isFinal(state: StoredState): boolean {
  return state === 'delivered' || state === 'failed';
}

/** A route pattern compiled for matching. */
export interface CompiledRoute {
  route: SubmissionRouteConfig;
  matches(method: string, path: string): boolean;
}

/** Compiles a room's deferrable routes; `:name` matches one segment, a final `/*` the rest. */
export function compileRoutes(routes: readonly SubmissionRouteConfig[]): CompiledRoute[] {
  return routes.map((route) => {
    const rest = route.path.endsWith('/*');
    const segments = (rest ? route.path.slice(0, -2) : route.path).split('/').slice(1);
    return {
      route,
      matches(method, path) {
        if (method !== route.method) return false;
        const parts = path.split('/').slice(1);
        if (rest ? parts.length <= segments.length : parts.length !== segments.length) return false;
        return segments.every((segment, i) => {
          const part = parts[i] ?? '';
          return segment.startsWith(':') ? part.length > 0 : segment === part || (segment === '' && part === '');
        });
      },
    };
  });
}

/** The first of a room's compiled routes matching a request, if any. */
export function matchRoute(routes: readonly CompiledRoute[], method: string, path: string): SubmissionRouteConfig | undefined {
  return routes.find((r) => r.matches(method, path))?.route;
}

/** What came of one delivery attempt. */
export type AttemptResult = { kind: 'answered'; status: number; retryAfter?: string | null } | { kind: 'unreachable' } | { kind: 'timeout' };

/** What an attempt's result means. */
export type AttemptVerdict = { kind: 'delivered' } | { kind: 'retry'; problem: string; retryAfterMs?: number } | { kind: 'rejected'; problem: string };

/** Statuses worth trying again: the origin timed out, is busy, or hit a conflict that may clear. */
const RETRYABLE_4XX = new Set([408, 409, 425, 429]);

/** True when a status is one of a route's `deliveredStatuses` (`"2xx"`, `"3xx"` or exact statuses). */
export function isDeliveredStatus(status: number, delivered: readonly string[] = ['2xx', '3xx']): boolean {
  return delivered.includes(String(status)) || delivered.includes(`${Math.floor(status / 100)}xx`);
}

/**
 * The meaning of an attempt: the route's `deliveredStatuses` (2xx and 3xx by default) are
 * delivered; network errors, timeouts, 408/409/425/429 and 5xx are retried (honouring
 * `Retry-After`); anything else (other 4xx, a 2xx/3xx not listed) is final: the portal refused it.
 */
export function judgeAttempt(result: AttemptResult, now: number, delivered?: readonly string[]): AttemptVerdict {
  if (result.kind === 'unreachable') return { kind: 'retry', problem: 'unreachable' };
  if (result.kind === 'timeout') return { kind: 'retry', problem: 'timeout' };
  const { status } = result;
  if (status >= 200 && status < 400) return isDeliveredStatus(status, delivered) ? { kind: 'delivered' } : { kind: 'rejected', problem: `status ${status}` };
  const problem = `status ${status}`;
  if (status >= 500 || RETRYABLE_4XX.has(status)) {
    const retryAfterMs = parseRetryAfter(result.retryAfter, now);
    return retryAfterMs === undefined ? { kind: 'retry', problem } : { kind: 'retry', problem, retryAfterMs };
  }
  return { kind: 'rejected', problem };
}

/** The longest wait an origin's `Retry-After` may ask for. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/** `Retry-After` (delay-seconds or an HTTP date) as a wait in ms, capped at an hour; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d{1,10}$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

/** The wait before attempt `attempts + 1`: exponential from `initialBackoff`, capped, with equal jitter (half fixed, half random). */
export function backoffMs(attempts: number, delivery: SubmissionsConfig['delivery'], random: number): number {
  const base = Math.min(delivery.maxBackoff * 1000, delivery.initialBackoff * 1000 * 2 ** Math.max(0, attempts - 1));
  return Math.round(base / 2 + (base / 2) * random);
}

/** What to do with a submission after an attempt. */
export type Settlement =
  | { kind: 'delivered'; status: number; applicationNumber?: string }
  | { kind: 'retry'; delayMs: number; problem: string; pauseRoomMs?: number }
  | { kind: 'failed'; reason: FailureReason; problem: string; status?: number };

/**
 * Decides a submission's fate after attempt number `receipt.attempts`: delivered; retried after a
 * back-off (at least the origin's `Retry-After`, which also pauses the room's deliveries); or, out
 * of attempts or past the deadline, failed for good. `now` is on the clock `deadlineAt` was stamped
 * with (the store's).
 */
export function settle(
  receipt: Pick<ReceiptRecord, 'attempts' | 'deadlineAt'>,
  verdict: AttemptVerdict,
  result: AttemptResult,
  delivery: SubmissionsConfig['delivery'],
  now: number,
  random: number,
  applicationNumber?: string,
): Settlement {
  const status = result.kind === 'answered' ? result.status : undefined;
  if (verdict.kind === 'delivered') return { kind: 'delivered', status: status ?? 200, ...(applicationNumber ? { applicationNumber } : {}) };
  if (verdict.kind === 'rejected') return { kind: 'failed', reason: 'rejected', problem: verdict.problem, ...(status !== undefined ? { status } : {}) };
  const delayMs = Math.max(backoffMs(receipt.attempts, delivery, random), verdict.retryAfterMs ?? 0);
  if (receipt.attempts >= delivery.maxAttempts)
    return { kind: 'failed', reason: 'attempts', problem: verdict.problem, ...(status !== undefined ? { status } : {}) };
  if (now + delayMs > receipt.deadlineAt) return { kind: 'failed', reason: 'deadline', problem: verdict.problem, ...(status !== undefined ? { status } : {}) };
  return { kind: 'retry', delayMs, problem: verdict.problem, ...(verdict.retryAfterMs !== undefined ? { pauseRoomMs: verdict.retryAfterMs } : {}) };
}

/** Deliveries per second and bucket size of a room's forwarding. */
export function deliveryRate(room: { admitPerMinute: number; submissions?: { deliverPerMinute?: number; deliverBurst?: number } | undefined }): {
  perSecond: number;
  burst: number;
} {
  const perMinute = room.submissions?.deliverPerMinute ?? room.admitPerMinute;
  return { perSecond: perMinute / 60, burst: room.submissions?.deliverBurst ?? Math.max(1, Math.floor(perMinute / 20)) };
}

/** The longest `Idempotency-Key` accepted (the IETF draft leaves it to the server; Stripe allows 255). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/**
 * The key a submission is known by, before it is scoped to the visitor: the client's
 * `Idempotency-Key` (the IETF draft's sf-string, quotes optional); else the draft id the form
 * carries; else a fingerprint of the body. `invalid` for a key that is empty, too long or not
 * printable ASCII.
 */
export function submissionKey(
  header: string | undefined,
  draftId: string | undefined,
  bodyFingerprint: string,
): { kind: 'key'; key: string; source: 'header' | 'draft' | 'body' } | { kind: 'invalid' } {
  if (header !== undefined) {
    const unquoted = /^"(.*)"$/.exec(header.trim())?.[1] ?? header.trim();
    if (unquoted.length === 0 || unquoted.length > MAX_IDEMPOTENCY_KEY_LENGTH || !/^[\x20-\x7e]+$/.test(unquoted)) return { kind: 'invalid' };
    return { kind: 'key', key: `h:${unquoted}`, source: 'header' };
  }
  if (draftId) return { kind: 'key', key: `d:${draftId}`, source: 'draft' };
  return { kind: 'key', key: `b:${bodyFingerprint}`, source: 'body' };
}

/** The draft id a submitted form carries in its `sanh_draft` field (set by `/_sanh/draft.js`), for url-encoded and JSON bodies. */
export function draftIdOfBody(contentType: string | undefined, body: string): string | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  let value: unknown;
  if (type === 'application/x-www-form-urlencoded') value = new URLSearchParams(body).get('sanh_draft');
  else if (type === 'application/json') {
    try {
      const parsed: unknown = JSON.parse(body);
      value = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).sanh_draft : undefined;
    } catch {
      return undefined;
    }
  }
  return typeof value === 'string' && /^[A-Za-z0-9_-]{1,100}$/.test(value) ? value : undefined;
}

/** The room a receipt id belongs to, and its random part; undefined for anything that is not a receipt id. */
export function parseReceiptId(id: string): { room: string; token: string } | undefined {
  const match = /^([a-z0-9][a-z0-9_-]{0,47})\.([A-Za-z0-9_-]{22})$/.exec(id);
  return match ? { room: match[1] as string, token: match[2] as string } : undefined;
}

/** Vietnam's offset from UTC (no daylight saving): receipt numbers count days in Vietnam time. */
export const RECEIPT_DAY_OFFSET_MS = 7 * 3_600_000;

/** The `YYMMDD` day part of a receipt number accepted at `now`. */
export function receiptDay(now: number): string {
  return new Date(now + RECEIPT_DAY_OFFSET_MS).toISOString().slice(2, 10).replaceAll('-', '');
}
