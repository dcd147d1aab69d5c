/**
 * The pure model of one room's submissions: its log of undelivered entries, its receipts, its
 * idempotency keys, its dead letters, its delivery bucket, and what accepting, holding, handing
 * out, settling, retrying and dropping do to them. The room's state and `now` go in, an outcome
 * comes out; no I/O and no clock. (`core.ts` decides what an attempt means and when to try again;
 * this decides what the store keeps.) The in-memory store keeps a map of these and reads its
 * clock; the Redis store runs the same steps in Lua (`lua/*.lua`), and one contract suite holds
 * both to the same behaviour.
 *
 * Mirrored by `src/submissions/lua/`: `accept` (with `fullBy`, `rateCheck`) by accept.lua,
 * `hold` by hold.lua, `releaseHold` by release.lua, `recordDelivered` by record-delivered.lua,
 * `nextDelivery` (with `rateGate`) by next.lua, `settleDelivery` (with `settledFields`) by
 * settle.lua, `backlog` by backlog.lua, `retryDead` by retry-dead.lua, `dropDead` by
 * drop-dead.lua, and `knownKey`, `newReceipt`, `freeKey`, `failEntry`, `removeEntry` by
 * includes/submission.lua: change both, then run `src/submissions/store.contract.ts`
 * (`vitest run src/submissions/memory-store.test.ts tests/integration/submission-store.test.ts`).
 */
import { receiptDay, type ReceiptRecord } from './core.js';
import {
  keptSize,
  type AcceptOutcome,
  type Backlog,
  type DeliveryPolicy,
  type HoldOutcome,
  type NewSubmission,
  type NextOutcome,
  type RateLimit,
  type StoredReceipt,
  type StoredSettlement,
} from './store.js';

/** The consumer that holds entries waiting for their next attempt (as in the Redis adapter). */
export const RETRY_OWNER = '~retry';
/** How many waiting-for-retry entries `nextDelivery` looks at (as in the Redis adapter). */
export const RETRY_SCAN = 20;
/** The wait `nextDelivery` asks for when nothing is due. */
export const IDLE_WAIT_MS = 1_000;
/** How long a client's rate limit window lasts. */
export const RATE_WINDOW_MS = 60_000;

/** An entry of the room's log (a stream entry in Redis). */
export interface LogEntry {
  id: string;
  token: string;
  /** Undefined: not yet handed out. */
  owner: string | undefined;
  heldAt: number;
  /** When it was put in the log. */
  at: number;
  /** What it counts against the room's byte budget (`keptSize`). */
  size: number;
}

/** A receipt with what is kept beside it. */
export interface KeptReceipt {
  record: ReceiptRecord;
  request: string;
  answer: string | undefined;
  /** Infinity while the submission waits: its life starts when it is settled for good. */
  expiresAt: number;
  ttlMs: number;
  key?: { name: string; fingerprint: string; ttlMs: number };
}

/** The room's delivery bucket: tokens (NaN until first used: it starts full), when refilled, paused until when. */
export interface Bucket {
  tokens: number;
  at: number;
  pauseUntil: number;
}

/** One room's whole state. */
export interface RoomLog {
  /** The log, oldest first. */
  entries: Map<string, LogEntry>;
  receipts: Map<string, KeptReceipt>;
  /** Idempotency keys: `hold:<fingerprint>` while held, `<fingerprint>|<token>` once bound. */
  keys: Map<string, { value: string; expiresAt: number }>;
  /** Receipt number -> receipt id. */
  numbers: Map<string, string>;
  /** Dead letters: token -> when it failed, oldest first. */
  dead: Map<string, number>;
  /** Day (YYMMDD) -> receipts numbered that day. */
  days: Map<string, number>;
  /** New submissions per client in the minute that started with its first. */
  clients: Map<string, { count: number; until: number }>;
  bucket: Bucket;
  seq: number;
  /** The bytes of the entries in the log (`keptSize` of each). */
  bytes: number;
}

/** A key already known: the outcome it gives. */
export type KnownKey = Exclude<AcceptOutcome, { kind: 'accepted' | 'full' | 'limited' }>;

export function newRoomLog(): RoomLog {
  return {
    entries: new Map(),
    receipts: new Map(),
    keys: new Map(),
    numbers: new Map(),
    dead: new Map(),
    days: new Map(),
    clients: new Map(),
    bucket: { tokens: Number.NaN, at: 0, pauseUntil: 0 },
    seq: 0,
    bytes: 0,
  };
}

/** A receipt alive at `now`; an expired one is forgotten, with its number. */
export function keptReceipt(log: RoomLog, token: string, now: number): KeptReceipt | undefined {
  const found = log.receipts.get(token);
  if (found && found.expiresAt <= now) {
    log.receipts.delete(token);
    log.numbers.delete(found.record.number);
    return undefined;
  }
  return found;
}

/** A key's value alive at `now`; an expired one is forgotten. */
export function keyValue(log: RoomLog, key: string, now: number): string | undefined {
  const found = log.keys.get(key);
  if (found && found.expiresAt <= now) {
    log.keys.delete(key);
    return undefined;
  }
  return found?.value;
}

/** Forgets what has expired by `now`: receipts, keys, rate limit windows. */
export function sweep(log: RoomLog, now: number): void {
  for (const token of log.receipts.keys()) keptReceipt(log, token, now);
  for (const key of log.keys.keys()) keyValue(log, key, now);
  for (const [client, window] of log.clients) if (window.until <= now) log.clients.delete(client);
}

/** The outcome for a key already known (held, or bound to a receipt), or undefined when it is free or names a receipt that is gone. */
export function knownKey(log: RoomLog, key: string, fingerprint: string, now: number): KnownKey | undefined {
  const value = keyValue(log, key, now);
  if (value === undefined) return undefined;
  if (value.startsWith('hold:')) return value === `hold:${fingerprint}` ? { kind: 'in-progress' } : { kind: 'mismatch', receiptId: undefined };
  const [fp, token] = value.split('|') as [string, string];
  const receipt = keptReceipt(log, token, now)?.record;
  if (fp !== fingerprint) return { kind: 'mismatch', receiptId: receipt?.id };
  return receipt ? { kind: 'existing', receipt: { ...receipt } } : undefined;
}

/** A failed or dropped submission's key is free again, when it still names it. */
export function freeKey(log: RoomLog, item: KeptReceipt): void {
  const token = item.record.id.slice(item.record.id.indexOf('.') + 1);
  if (item.key && log.keys.get(item.key.name)?.value === `${item.key.fingerprint}|${token}`) log.keys.delete(item.key.name);
}

/** A submission that failed for good: in the dead letters, its key free, its life counted from now. */
export function failEntry(log: RoomLog, item: KeptReceipt, token: string, now: number, fields: Partial<ReceiptRecord>): void {
  Object.assign(item.record, { state: 'failed', updatedAt: now }, fields);
  log.dead.set(token, now);
  freeKey(log, item);
  item.expiresAt = now + item.ttlMs;
}

/** A new receipt, numbered with the day (Vietnam time) and the day's count in the room. */
export function newReceipt(log: RoomLog, roomId: string, submission: NewSubmission, now: number): ReceiptRecord {
  const day = receiptDay(now);
  const count = (log.days.get(day) ?? 0) + 1;
  log.days.set(day, count);
  const record: ReceiptRecord = {
    id: `${roomId}.${submission.token}`,
    room: roomId,
    number: `${day}-${String(count).padStart(6, '0')}`,
    state: 'accepted',
    acceptedAt: now,
    updatedAt: now,
    attempts: 0,
    deadlineAt: now + submission.deadlineMs,
    hasAnswer: false,
  };
  log.numbers.set(record.number, record.id);
  return record;
}

/** Puts a submission at the end of the log, its bytes on the room's count. */
function append(log: RoomLog, token: string, size: number, now: number): void {
  log.seq += 1;
  const id = `${now}-${log.seq}`;
  log.entries.set(id, { id, token, owner: undefined, heldAt: 0, at: now, size });
  log.bytes += size;
}

/** Takes an entry out of the log, and its bytes off the room's count (never below 0; 0 once the log is empty). */
export function removeEntry(log: RoomLog, entry: LogEntry): void {
  if (!log.entries.delete(entry.id)) return;
  log.bytes = log.entries.size === 0 ? 0 : Math.max(0, log.bytes - entry.size);
}

/**
 * Why a submission of `size` bytes does not fit the room: `count` once the log holds `maxBacklog`
 * entries, `bytes` when it would take the log's bytes past `maxBytes`; undefined when it fits.
 * An empty log counts no bytes, whatever its count says.
 */
export function fullBy(
  log: Pick<RoomLog, 'entries' | 'bytes'>,
  size: number,
  limits: Pick<NewSubmission, 'maxBacklog' | 'maxBytes'>,
): 'count' | 'bytes' | undefined {
  if (limits.maxBacklog !== undefined && log.entries.size >= limits.maxBacklog) return 'count';
  const held = log.entries.size === 0 ? 0 : log.bytes;
  if (limits.maxBytes !== undefined && held + size > limits.maxBytes) return 'bytes';
  return undefined;
}

/** A rate limit with its client's window at `now` (a fresh one when the last has ended). */
interface LimitWindow {
  limit: RateLimit;
  window: { count: number; until: number };
}

/**
 * The rate limits' windows at `now`, and, when any is reached, how long until every reached one's
 * minute ends (ms, at least 1). Nothing is counted here.
 */
export function rateCheck(
  log: Pick<RoomLog, 'clients'>,
  limits: readonly RateLimit[],
  now: number,
): { windows: LimitWindow[]; retryAfterMs: number | undefined } {
  const windows = limits.map((limit) => {
    const counted = log.clients.get(limit.client);
    return { limit, window: counted && counted.until > now ? counted : { count: 0, until: now + RATE_WINDOW_MS } };
  });
  const reached = windows.filter(({ limit, window }) => window.count >= limit.perMinute);
  return { windows, retryAfterMs: reached.length > 0 ? Math.max(1, ...reached.map(({ window }) => window.until - now)) : undefined };
}

/**
 * Keeps a submission unless its key is known (a caller's own hold is taken over), the room is
 * full (count, then bytes) or a rate limit is reached; a refused submission changes nothing and
 * counts for no limit. The receipt does not expire while its submission waits.
 */
export function accept(log: RoomLog, roomId: string, submission: NewSubmission, now: number): AcceptOutcome {
  const seen = knownKey(log, submission.key, submission.fingerprint, now);
  if (seen && !(submission.fromHold && seen.kind === 'in-progress')) return seen;
  const size = keptSize(submission.request);
  if (log.entries.size === 0) log.bytes = 0;
  const full = fullBy(log, size, submission);
  if (full) return { kind: 'full', by: full };
  const { windows, retryAfterMs } = rateCheck(log, submission.limits ?? [], now);
  if (retryAfterMs !== undefined) return { kind: 'limited', retryAfterMs };
  for (const { limit, window } of windows) {
    window.count += 1;
    log.clients.set(limit.client, window);
  }
  const record = newReceipt(log, roomId, submission, now);
  const key = { name: submission.key, fingerprint: submission.fingerprint, ttlMs: submission.keyTtlMs };
  log.receipts.set(submission.token, {
    record,
    request: submission.request,
    answer: undefined,
    expiresAt: Number.POSITIVE_INFINITY,
    ttlMs: submission.ttlMs,
    key,
  });
  log.keys.set(submission.key, { value: `${submission.fingerprint}|${submission.token}`, expiresAt: now + submission.keyTtlMs });
  append(log, submission.token, size, now);
  return { kind: 'accepted', receipt: { ...record } };
}

/** Holds a free key for `holdMs` while a submission goes straight to the origin; a known key gives its outcome. */
export function hold(log: RoomLog, key: string, fingerprint: string, holdMs: number, now: number): HoldOutcome {
  const seen = knownKey(log, key, fingerprint, now);
  if (seen) return seen;
  log.keys.set(key, { value: `hold:${fingerprint}`, expiresAt: now + holdMs });
  return { kind: 'held' };
}

/** Releases a held key; true when it was held (a key bound to a receipt stays). */
export function releaseHold(log: RoomLog, key: string): boolean {
  if (!log.keys.get(key)?.value.startsWith('hold:')) return false;
  log.keys.delete(key);
  return true;
}

/** A submission that went straight through and was answered: a delivered receipt (its life starts now), bound to its key. */
export function recordDelivered(
  log: RoomLog,
  roomId: string,
  submission: NewSubmission,
  settlement: Extract<StoredSettlement, { kind: 'delivered' }>,
  now: number,
): ReceiptRecord {
  const record = newReceipt(log, roomId, submission, now);
  Object.assign(record, settledFields(settlement, now));
  const key = { name: submission.key, fingerprint: submission.fingerprint, ttlMs: submission.keyTtlMs };
  log.receipts.set(submission.token, { record, request: '', answer: settlement.answer, expiresAt: now + submission.ttlMs, ttlMs: submission.ttlMs, key });
  log.keys.set(submission.key, { value: `${submission.fingerprint}|${submission.token}`, expiresAt: now + submission.keyTtlMs });
  return { ...record };
}

/** A receipt and its sealed answer, while it lives. */
export function receiptOf(log: RoomLog, token: string, now: number): StoredReceipt | undefined {
  const item = keptReceipt(log, token, now);
  return item ? { receipt: { ...item.record }, answer: item.answer } : undefined;
}

/** The receipt id of a live receipt's number. */
export function findByNumber(log: RoomLog, number: string, now: number): string | undefined {
  const id = log.numbers.get(number);
  return id && keptReceipt(log, id.slice(id.indexOf('.') + 1), now) ? id : undefined;
}

/**
 * The delivery rate gate: refills the bucket to `now` (`perSecond` tokens a second, at most
 * `burst`; a new bucket starts full) and says how long to wait (ms) while the room is paused or
 * has no whole token; undefined when a delivery may go (the caller takes the token).
 */
export function rateGate(bucket: Bucket, policy: Pick<DeliveryPolicy, 'perSecond' | 'burst'>, now: number): number | undefined {
  if (bucket.pauseUntil > now) return bucket.pauseUntil - now;
  if (Number.isNaN(bucket.tokens)) bucket.tokens = policy.burst;
  bucket.tokens = Math.min(policy.burst, bucket.tokens + ((now - bucket.at) / 1000) * policy.perSecond);
  bucket.at = now;
  if (bucket.tokens < 1) return Math.max(1, Math.ceil(((1 - bucket.tokens) / policy.perSecond) * 1000));
  return undefined;
}

/** Hands an entry to `consumer` (a token taken, an attempt counted); one whose receipt is gone or past its deadline is taken out and the next one looked for. */
function take(log: RoomLog, entry: LogEntry, consumer: string, policy: DeliveryPolicy, now: number): NextOutcome {
  const item = keptReceipt(log, entry.token, now);
  if (!item) {
    removeEntry(log, entry);
    return nextDelivery(log, consumer, policy, now);
  }
  if (item.record.deadlineAt < now) {
    removeEntry(log, entry);
    failEntry(log, item, entry.token, now, { failure: 'deadline', problem: item.record.problem ?? 'not delivered in time' });
    return nextDelivery(log, consumer, policy, now);
  }
  log.bucket.tokens -= 1;
  entry.owner = consumer;
  entry.heldAt = now;
  item.record.state = 'delivering';
  item.record.attempts += 1;
  delete item.record.nextAttemptAt;
  item.record.updatedAt = now;
  return { kind: 'deliver', delivery: { storeNow: now, entryId: entry.id, receipt: { ...item.record }, request: item.request } };
}

/**
 * The next due submission for `consumer`, within the rate gate. In order: an entry another
 * forwarder held for `reclaimAfterMs` or longer; the oldest entry waiting for a retry, once due
 * (while it has failed fewer than `orderedAttempts` times, nothing newer goes before it: wait
 * until it is due); the next new entry; else wait `IDLE_WAIT_MS`.
 */
export function nextDelivery(log: RoomLog, consumer: string, policy: DeliveryPolicy, now: number): NextOutcome {
  const wait = rateGate(log.bucket, policy, now);
  if (wait !== undefined) return { kind: 'wait', ms: wait };
  for (const entry of log.entries.values()) {
    if (entry.owner !== undefined && entry.owner !== RETRY_OWNER && now - entry.heldAt >= policy.reclaimAfterMs) return take(log, entry, consumer, policy, now);
  }
  let scanned = 0;
  for (const entry of log.entries.values()) {
    if (entry.owner !== RETRY_OWNER) continue;
    if (scanned++ >= RETRY_SCAN) break;
    const record = keptReceipt(log, entry.token, now)?.record;
    const due = record?.nextAttemptAt ?? 0;
    if (due <= now) return take(log, entry, consumer, policy, now);
    if ((record?.attempts ?? 0) < policy.orderedAttempts) return { kind: 'wait', ms: due - now };
  }
  for (const entry of log.entries.values()) if (entry.owner === undefined) return take(log, entry, consumer, policy, now);
  return { kind: 'wait', ms: IDLE_WAIT_MS };
}

/**
 * Records an attempt's outcome, if the entry is still `consumer`'s (false otherwise: it was
 * reclaimed). `retry`: held by `RETRY_OWNER` until due (the room paused too, when asked);
 * `delivered`: out of the log, its request deleted, its receipt's life started; `failed`: out of
 * the log, into the dead letters with its request kept, its key freed.
 */
export function settleDelivery(log: RoomLog, consumer: string, entryId: string, settlement: StoredSettlement, now: number): boolean {
  const entry = log.entries.get(entryId);
  if (!entry || entry.owner !== consumer) return false;
  const item = keptReceipt(log, entry.token, now);
  if (!item) {
    removeEntry(log, entry);
    return true;
  }
  if (settlement.kind === 'retry') {
    entry.owner = RETRY_OWNER;
    entry.heldAt = now;
    item.record.state = 'retrying';
    item.record.nextAttemptAt = now + settlement.delayMs;
    item.record.problem = settlement.problem;
    if (settlement.pauseRoomMs !== undefined) log.bucket.pauseUntil = Math.max(log.bucket.pauseUntil, now + settlement.pauseRoomMs);
    item.record.updatedAt = now;
    return true;
  }
  removeEntry(log, entry);
  delete item.record.originStatus;
  delete item.record.applicationNumber;
  Object.assign(item.record, settledFields(settlement, now));
  item.answer = settlement.answer;
  if (settlement.kind === 'failed') failEntry(log, item, entry.token, now, {});
  else {
    item.request = '';
    item.record.updatedAt = now;
    item.expiresAt = now + item.ttlMs;
  }
  return true;
}

/** The room's undelivered submissions counted by where they are, and when the oldest in the log was put there. */
export function backlog(log: RoomLog): Backlog {
  const counts: Backlog = { waiting: 0, delivering: 0, retrying: 0, dead: log.dead.size, oldestAt: null };
  for (const entry of log.entries.values()) {
    if (counts.oldestAt === null || entry.at < counts.oldestAt) counts.oldestAt = entry.at;
    if (entry.owner === undefined) counts.waiting += 1;
    else if (entry.owner === RETRY_OWNER) counts.retrying += 1;
    else counts.delivering += 1;
  }
  return counts;
}

/** The dead letters, oldest first, at most `limit`; those whose receipt is gone are forgotten. */
export function deadLetters(log: RoomLog, limit: number, now: number): ReceiptRecord[] {
  const out: ReceiptRecord[] = [];
  for (const token of log.dead.keys()) {
    const item = keptReceipt(log, token, now);
    if (!item) log.dead.delete(token);
    else if (out.length < limit) out.push({ ...item.record });
  }
  return out;
}

/**
 * Puts a dead letter back at the end of the log with fresh attempts and deadline, its old outcome
 * cleared, its key bound to it again when no other submission took it. Not held to the byte
 * budget (but counted in it). False when it is not a dead letter or its request is gone.
 */
export function retryDead(log: RoomLog, token: string, deadlineMs: number, now: number): boolean {
  const item = keptReceipt(log, token, now);
  if (!log.dead.delete(token) || !item?.request) return false;
  const { record } = item;
  Object.assign(record, { state: 'accepted', attempts: 0, deadlineAt: now + deadlineMs, updatedAt: now, hasAnswer: false });
  for (const field of ['failure', 'nextAttemptAt', 'originStatus', 'problem', 'applicationNumber'] as const) delete record[field];
  item.answer = undefined;
  item.expiresAt = Number.POSITIVE_INFINITY;
  if (item.key && keyValue(log, item.key.name, now) === undefined) {
    log.keys.set(item.key.name, { value: `${item.key.fingerprint}|${token}`, expiresAt: now + item.key.ttlMs });
  }
  append(log, token, keptSize(item.request), now);
  return true;
}

/** Removes a dead letter for good: its receipt says dropped, its request is deleted, its key freed. False when it is not a dead letter. */
export function dropDead(log: RoomLog, token: string, now: number): boolean {
  const item = keptReceipt(log, token, now);
  if (!log.dead.delete(token) || !item) return false;
  item.record.failure = 'dropped';
  item.record.updatedAt = now;
  item.request = '';
  freeKey(log, item);
  return true;
}

/** The receipt fields a final settlement sets. */
export function settledFields(settlement: Extract<StoredSettlement, { kind: 'delivered' | 'failed' }>, now: number): Partial<ReceiptRecord> {
  if (settlement.kind === 'delivered') {
    return {
      state: 'delivered',
      deliveredAt: now,
      originStatus: settlement.status,
      ...(settlement.applicationNumber ? { applicationNumber: settlement.applicationNumber } : {}),
      hasAnswer: settlement.answer !== undefined,
      updatedAt: now,
    };
  }
  return {
    state: 'failed',
    failure: settlement.reason,
    problem: settlement.problem,
    ...(settlement.status !== undefined ? { originStatus: settlement.status } : {}),
    hasAnswer: settlement.answer !== undefined,
    updatedAt: now,
  };
}
