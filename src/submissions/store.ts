import type { FailureReason, ReceiptRecord } from './core.js';

/** A submission to keep and forward. Opaque to the store: the request is sealed, the key hashed. */
export interface NewSubmission {
  /** The random part of the receipt id (22 base64url characters). */
  token: string;
  /** The sealed request (method, path, carried headers, body). */
  request: string;
  /** The idempotency key, scoped to the visitor and hashed. */
  key: string;
  /** SHA-256 of what was submitted (method, path, body): the same key with another body is a mismatch. */
  fingerprint: string;
  /** How long the key keeps giving back this receipt (ms). */
  keyTtlMs: number;
  /** How long the receipt lives once its submission is settled for good (ms); while it waits it does not expire. */
  ttlMs: number;
  /** How long after acceptance the submission may still be delivered (ms). */
  deadlineMs: number;
  /** The caller holds this key itself (`hold`): its own hold is taken over, not reported as in progress. */
  fromHold?: boolean;
  /** Most undelivered submissions the room may hold; past it the submission is not kept (`full`). */
  maxBacklog?: number;
  /**
   * Most bytes the room's undelivered submissions may take (each counts `keptSize(request)`);
   * past it the submission is not kept (`full`, `by: 'bytes'`). Only what is in the room's log
   * counts: a submission stops counting once delivered or in the dead letters.
   */
  maxBytes?: number;
  /**
   * Rate limits, each at most `perMinute` new submissions a minute for `client` (a hashed visitor
   * or client address); at most two. Replays and refused submissions do not count; a submission
   * counts for all of them or none.
   */
  limits?: readonly RateLimit[];
}

/** One rate limit of `accept`. */
export interface RateLimit {
  client: string;
  perMinute: number;
}

/** What every kept submission is charged for its receipt, keys and log entry, beside its sealed request. */
export const SUBMISSION_OVERHEAD_BYTES = 512;

/** The bytes a submission counts against its room's `maxBytes`: its sealed request and the overhead. */
export function keptSize(request: string): number {
  return request.length + SUBMISSION_OVERHEAD_BYTES;
}

/** What came of offering a submission. Outcomes are values; store faults are thrown. */
export type AcceptOutcome =
  | { kind: 'accepted'; receipt: ReceiptRecord }
  /** The same key and the same body: the original receipt. */
  | { kind: 'existing'; receipt: ReceiptRecord }
  /** The same key with another body (422). */
  | { kind: 'mismatch'; receiptId: string | undefined }
  /** The same key is being handled by another request right now (409). */
  | { kind: 'in-progress' }
  /** The room already holds `maxBacklog` undelivered submissions (`count`), or this one would take it past `maxBytes` (`bytes`): not kept (503). */
  | { kind: 'full'; by: 'count' | 'bytes' }
  /** One of the `limits` is reached this minute: not kept (429); `retryAfterMs` until every reached one resets. */
  | { kind: 'limited'; retryAfterMs: number };

/** A key held while a submission goes straight through to the origin. */
export type HoldOutcome = { kind: 'held' } | Exclude<AcceptOutcome, { kind: 'accepted' | 'full' | 'limited' }>;

/** A submission handed to a forwarder. */
export interface Delivery {
  /** The stream entry id (the forwarder gives it back with `settle`). */
  entryId: string;
  receipt: ReceiptRecord;
  /** The sealed request. */
  request: string;
  /**
   * The store's clock (ms since the epoch) when it handed this out. The receipt's times are the
   * store's; a forwarder compares them with this (plus the time it took since), never with its
   * own clock, which may differ from the store's.
   */
  storeNow: number;
}

/** The next thing a forwarder should do: deliver, or wait (nothing due, no delivery token, room paused). */
export type NextOutcome = { kind: 'deliver'; delivery: Delivery } | { kind: 'wait'; ms: number };

/** How a room's deliveries are paced and ordered. */
export interface DeliveryPolicy {
  perSecond: number;
  burst: number;
  /** An entry held this long by a forwarder without being settled is reclaimed (ms). */
  reclaimAfterMs: number;
  /** The oldest waiting entry blocks newer ones while it has failed fewer times than this. */
  orderedAttempts: number;
}

/** The store's half of a settlement (delays relative: the store reads its own clock). */
export type StoredSettlement =
  | { kind: 'delivered'; status: number; applicationNumber?: string; answer?: string }
  | { kind: 'retry'; delayMs: number; problem: string; pauseRoomMs?: number }
  | { kind: 'failed'; reason: FailureReason; problem: string; status?: number; answer?: string };

/** Counts of a room's submissions that are not delivered yet. */
export interface Backlog {
  /** Accepted, not yet handed to a forwarder. */
  waiting: number;
  /** Held by a forwarder right now. */
  delivering: number;
  /** Waiting for their next attempt. */
  retrying: number;
  /** In the dead letters. */
  dead: number;
  /**
   * When the oldest submission still in the room's log (waiting, delivering or retrying; not the
   * dead letters) was put there, accepted or sent again by an operator: ms since the epoch on the
   * process's clock (the Redis adapter measures the age on Redis' and subtracts it from its own
   * clock's now, so a skew between the two does not count); null when none is.
   */
  oldestAt: number | null;
  /**
   * The bytes of the room's submissions in its log (`SubmissionStore.waitingBytes`): filled in by
   * the forwarder's count for the metrics, absent from `SubmissionStore.backlog`.
   */
  bytes?: number;
}

/** A receipt with its sealed answer, when one is kept. */
export interface StoredReceipt {
  receipt: ReceiptRecord;
  answer: string | undefined;
}

/**
 * The submissions store port. Each room's submissions are one ordered log (a Redis Stream with a
 * consumer group of forwarders in the Redis adapter); receipts, idempotency keys and dead letters
 * sit beside it. Every operation names its room.
 */
export interface SubmissionStore {
  /** True when acknowledged submissions survive the store's restart (Redis), false in memory. */
  readonly durable: boolean;
  /** Keeps a submission unless its key is known: one atomic step. */
  accept(room: string, submission: NewSubmission): Promise<AcceptOutcome>;
  /** Holds a key for `holdMs` while the submission goes straight to the origin. */
  hold(room: string, key: string, fingerprint: string, holdMs: number): Promise<HoldOutcome>;
  /** Releases a held key (the straight attempt ended without an answer worth keeping). */
  release(room: string, key: string): Promise<void>;
  /** A straight-through submission the origin answered: a delivered receipt, bound to the held key. */
  recordDelivered(room: string, submission: NewSubmission, settlement: Extract<StoredSettlement, { kind: 'delivered' }>): Promise<ReceiptRecord>;
  /**
   * Waits until the receipt `receiptId` of `room` (accepted, or found by a replay) is on disk
   * (`durability: "fsync"`) or on replicas (`"replicated"`); throws when that cannot be confirmed
   * in time.
   */
  confirmDurable(room: string, receiptId: string): Promise<void>;
  receipt(room: string, token: string): Promise<StoredReceipt | undefined>;
  /** The receipt id of a receipt number, for support staff. */
  findByNumber(room: string, number: string): Promise<string | undefined>;
  /** Hands the next due submission of a room to `consumer`, within the room's delivery rate. */
  next(room: string, consumer: string, policy: DeliveryPolicy): Promise<NextOutcome>;
  /** Records an attempt's outcome; false when the entry is no longer this consumer's (it was reclaimed). */
  settle(room: string, consumer: string, delivery: Delivery, settlement: StoredSettlement): Promise<boolean>;
  backlog(room: string): Promise<Backlog>;
  /** The bytes the room's undelivered submissions take, as counted against `maxBytes` (see `keptSize`). */
  waitingBytes(room: string): Promise<number>;
  /** The dead letters, oldest first. */
  deadLetters(room: string, limit: number): Promise<ReceiptRecord[]>;
  /** Puts a dead letter back at the end of the room's log with fresh attempts; false when it is not a dead letter. */
  retryDead(room: string, token: string, deadlineMs: number): Promise<boolean>;
  /** Removes a dead letter for good (its receipt says so); false when it is not a dead letter. */
  dropDead(room: string, token: string): Promise<boolean>;
  close(): Promise<void>;
}
