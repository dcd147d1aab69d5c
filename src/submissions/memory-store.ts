import { systemClock, type Clock } from '../platform/clock.js';
import { receiptDay, type ReceiptRecord } from './core.js';
import {
  keptSize,
  type AcceptOutcome,
  type Backlog,
  type Delivery,
  type DeliveryPolicy,
  type HoldOutcome,
  type NewSubmission,
  type NextOutcome,
  type StoredReceipt,
  type StoredSettlement,
  type SubmissionStore,
} from './store.js';

/** The consumer that holds entries waiting for their next attempt (as in the Redis adapter). */
const RETRY_OWNER = '~retry';
/** How many waiting-for-retry entries `next` looks at (as in the Redis adapter). */
const RETRY_SCAN = 20;

interface Entry {
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

interface Kept {
  record: ReceiptRecord;
  request: string;
  answer: string | undefined;
  /** Infinity while the submission waits: its life starts when it is settled for good. */
  expiresAt: number;
  ttlMs: number;
  key?: { name: string; fingerprint: string; ttlMs: number };
}

interface Room {
  entries: Map<string, Entry>;
  receipts: Map<string, Kept>;
  keys: Map<string, { value: string; expiresAt: number }>;
  numbers: Map<string, string>;
  dead: Map<string, number>;
  days: Map<string, number>;
  /** New submissions per client in the minute that started with its first. */
  clients: Map<string, { count: number; until: number }>;
  bucket: { tokens: number; at: number; pauseUntil: number };
  seq: number;
  /** The bytes of the entries in the log (`keptSize` of each). */
  bytes: number;
}

/**
 * Submissions in this process's memory: the embedded default. **Not durable**: everything
 * accepted is lost when the process stops (the start-up log and the README say so). Same
 * semantics as the Redis adapter, checked by the one contract suite. Expired receipts and keys go
 * when touched and in a sweep every `sweepEveryMs` (unref'd).
 *
 * Mirrored by `src/submissions/lua/`: `accept` by accept.lua, `hold` by hold.lua, `release` by
 * release.lua, `recordDelivered` by record-delivered.lua, `next` (and `take`) by next.lua, `settle`
 * by settle.lua, `backlog` by backlog.lua, `retryDead` by retry-dead.lua, `dropDead` by
 * drop-dead.lua, the shared steps (`known`, `newReceipt`, `freeKey`, `fail`, `remove`) by
 * includes/submission.lua: change both, then run `src/submissions/store.contract.ts`
 * (`vitest run src/submissions/memory-store.test.ts tests/integration/submission-store.test.ts`).
 */
export function createMemorySubmissionStore(options: { clock?: Clock; sweepEveryMs?: number } = {}): SubmissionStore {
  const clock = options.clock ?? systemClock;
  const rooms = new Map<string, Room>();
  const timer = setInterval(() => {
    const now = clock();
    for (const room of rooms.values()) {
      for (const token of room.receipts.keys()) kept(room, token, now);
      for (const key of room.keys.keys()) keyValue(room, key, now);
      for (const [client, window] of room.clients) if (window.until <= now) room.clients.delete(client);
    }
  }, options.sweepEveryMs ?? 60_000);
  (timer as { unref?: () => void }).unref?.();

  function roomOf(id: string): Room {
    let room = rooms.get(id);
    if (!room) {
      room = {
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
      rooms.set(id, room);
    }
    return room;
  }
  function kept(room: Room, token: string, now = clock()): Kept | undefined {
    const found = room.receipts.get(token);
    if (found && found.expiresAt <= now) {
      room.receipts.delete(token);
      room.numbers.delete(found.record.number);
      return undefined;
    }
    return found;
  }
  function keyValue(room: Room, key: string, now: number): string | undefined {
    const found = room.keys.get(key);
    if (found && found.expiresAt <= now) {
      room.keys.delete(key);
      return undefined;
    }
    return found?.value;
  }
  /** The known-key outcome, or undefined when the key is free. */
  /** A failed or dropped submission's key is free again, when it still names it. */
  function freeKey(room: Room, item: Kept): void {
    const token = item.record.id.slice(item.record.id.indexOf('.') + 1);
    if (item.key && room.keys.get(item.key.name)?.value === `${item.key.fingerprint}|${token}`) room.keys.delete(item.key.name);
  }
  function fail(room: Room, item: Kept, token: string, now: number, fields: Partial<ReceiptRecord>): void {
    Object.assign(item.record, { state: 'failed', updatedAt: now }, fields);
    room.dead.set(token, now);
    freeKey(room, item);
    item.expiresAt = now + item.ttlMs;
  }
  function known(room: Room, key: string, fingerprint: string, now: number): Exclude<AcceptOutcome, { kind: 'accepted' | 'full' | 'limited' }> | undefined {
    const value = keyValue(room, key, now);
    if (value === undefined) return undefined;
    if (value.startsWith('hold:')) return value === `hold:${fingerprint}` ? { kind: 'in-progress' } : { kind: 'mismatch', receiptId: undefined };
    const [fp, token] = value.split('|') as [string, string];
    const receipt = kept(room, token, now)?.record;
    if (fp !== fingerprint) return { kind: 'mismatch', receiptId: receipt?.id };
    return receipt ? { kind: 'existing', receipt: { ...receipt } } : undefined;
  }
  function newReceipt(roomId: string, room: Room, submission: NewSubmission, now: number): ReceiptRecord {
    const day = receiptDay(now);
    const count = (room.days.get(day) ?? 0) + 1;
    room.days.set(day, count);
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
    room.numbers.set(record.number, record.id);
    return record;
  }
  function append(room: Room, token: string, size: number): void {
    room.seq += 1;
    const at = clock();
    const id = `${at}-${room.seq}`;
    room.entries.set(id, { id, token, owner: undefined, heldAt: 0, at, size });
    room.bytes += size;
  }
  /** Takes an entry out of the log, and its bytes off the room's count. */
  function remove(room: Room, entry: Entry): void {
    if (!room.entries.delete(entry.id)) return;
    room.bytes = room.entries.size === 0 ? 0 : Math.max(0, room.bytes - entry.size);
  }
  function touch(item: Kept, now: number): void {
    item.record.updatedAt = now;
    item.expiresAt = now + item.ttlMs;
  }
  function take(room: Room, entry: Entry, consumer: string, policy: DeliveryPolicy, now: number): NextOutcome {
    const item = kept(room, entry.token, now);
    if (!item) {
      remove(room, entry);
      return next(room, consumer, policy, now);
    }
    if (item.record.deadlineAt < now) {
      remove(room, entry);
      fail(room, item, entry.token, now, { failure: 'deadline', problem: item.record.problem ?? 'not delivered in time' });
      return next(room, consumer, policy, now);
    }
    room.bucket.tokens -= 1;
    entry.owner = consumer;
    entry.heldAt = now;
    item.record.state = 'delivering';
    item.record.attempts += 1;
    delete item.record.nextAttemptAt;
    item.record.updatedAt = now;
    return { kind: 'deliver', delivery: { storeNow: now, entryId: entry.id, receipt: { ...item.record }, request: item.request } };
  }
  function next(room: Room, consumer: string, policy: DeliveryPolicy, now: number): NextOutcome {
    const { bucket } = room;
    if (bucket.pauseUntil > now) return { kind: 'wait', ms: bucket.pauseUntil - now };
    if (Number.isNaN(bucket.tokens)) bucket.tokens = policy.burst;
    bucket.tokens = Math.min(policy.burst, bucket.tokens + ((now - bucket.at) / 1000) * policy.perSecond);
    bucket.at = now;
    if (bucket.tokens < 1) return { kind: 'wait', ms: Math.max(1, Math.ceil(((1 - bucket.tokens) / policy.perSecond) * 1000)) };
    for (const entry of room.entries.values()) {
      if (entry.owner !== undefined && entry.owner !== RETRY_OWNER && now - entry.heldAt >= policy.reclaimAfterMs)
        return take(room, entry, consumer, policy, now);
    }
    let scanned = 0;
    for (const entry of room.entries.values()) {
      if (entry.owner !== RETRY_OWNER) continue;
      if (scanned++ >= RETRY_SCAN) break;
      const record = kept(room, entry.token, now)?.record;
      const due = record?.nextAttemptAt ?? 0;
      if (due <= now) return take(room, entry, consumer, policy, now);
      if ((record?.attempts ?? 0) < policy.orderedAttempts) return { kind: 'wait', ms: due - now };
    }
    for (const entry of room.entries.values()) if (entry.owner === undefined) return take(room, entry, consumer, policy, now);
    return { kind: 'wait', ms: 1_000 };
  }

  return {
    durable: false,
    async accept(roomId, submission) {
      const now = clock();
      const room = roomOf(roomId);
      const seen = known(room, submission.key, submission.fingerprint, now);
      if (seen && !(submission.fromHold && seen.kind === 'in-progress')) return seen;
      if (submission.maxBacklog !== undefined && room.entries.size >= submission.maxBacklog) return { kind: 'full', by: 'count' };
      const size = keptSize(submission.request);
      if (room.entries.size === 0) room.bytes = 0;
      if (submission.maxBytes !== undefined && room.bytes + size > submission.maxBytes) return { kind: 'full', by: 'bytes' };
      const windows = (submission.limits ?? []).map((limit) => {
        const counted = room.clients.get(limit.client);
        return { limit, window: counted && counted.until > now ? counted : { count: 0, until: now + 60_000 } };
      });
      const reached = windows.filter(({ limit, window }) => window.count >= limit.perMinute);
      if (reached.length > 0) return { kind: 'limited', retryAfterMs: Math.max(1, ...reached.map(({ window }) => window.until - now)) };
      for (const { limit, window } of windows) {
        window.count += 1;
        room.clients.set(limit.client, window);
      }
      const record = newReceipt(roomId, room, submission, now);
      const key = { name: submission.key, fingerprint: submission.fingerprint, ttlMs: submission.keyTtlMs };
      room.receipts.set(submission.token, {
        record,
        request: submission.request,
        answer: undefined,
        expiresAt: Number.POSITIVE_INFINITY,
        ttlMs: submission.ttlMs,
        key,
      });
      room.keys.set(submission.key, { value: `${submission.fingerprint}|${submission.token}`, expiresAt: now + submission.keyTtlMs });
      append(room, submission.token, size);
      return { kind: 'accepted', receipt: { ...record } };
    },
    async hold(roomId, key, fingerprint, holdMs): Promise<HoldOutcome> {
      const now = clock();
      const room = roomOf(roomId);
      const seen = known(room, key, fingerprint, now);
      if (seen) return seen;
      room.keys.set(key, { value: `hold:${fingerprint}`, expiresAt: now + holdMs });
      return { kind: 'held' };
    },
    async release(roomId, key) {
      const room = roomOf(roomId);
      if (room.keys.get(key)?.value.startsWith('hold:')) room.keys.delete(key);
    },
    async recordDelivered(roomId, submission, settlement) {
      const now = clock();
      const room = roomOf(roomId);
      const record = newReceipt(roomId, room, submission, now);
      Object.assign(record, settledFields(settlement, now));
      const key = { name: submission.key, fingerprint: submission.fingerprint, ttlMs: submission.keyTtlMs };
      room.receipts.set(submission.token, { record, request: '', answer: settlement.answer, expiresAt: now + submission.ttlMs, ttlMs: submission.ttlMs, key });
      room.keys.set(submission.key, { value: `${submission.fingerprint}|${submission.token}`, expiresAt: now + submission.keyTtlMs });
      return { ...record };
    },
    async confirmDurable() {
      throw new Error('the in-memory submission store is not durable');
    },
    async receipt(roomId, token): Promise<StoredReceipt | undefined> {
      const item = kept(roomOf(roomId), token);
      return item ? { receipt: { ...item.record }, answer: item.answer } : undefined;
    },
    async findByNumber(roomId, number) {
      const room = roomOf(roomId);
      const id = room.numbers.get(number);
      return id && kept(room, id.slice(id.indexOf('.') + 1)) ? id : undefined;
    },
    async next(roomId, consumer, policy) {
      return next(roomOf(roomId), consumer, policy, clock());
    },
    async settle(roomId, consumer, delivery: Delivery, settlement: StoredSettlement) {
      const now = clock();
      const room = roomOf(roomId);
      const entry = room.entries.get(delivery.entryId);
      if (!entry || entry.owner !== consumer) return false;
      const item = kept(room, entry.token, now);
      if (!item) {
        remove(room, entry);
        return true;
      }
      if (settlement.kind === 'retry') {
        entry.owner = RETRY_OWNER;
        entry.heldAt = now;
        item.record.state = 'retrying';
        item.record.nextAttemptAt = now + settlement.delayMs;
        item.record.problem = settlement.problem;
        if (settlement.pauseRoomMs !== undefined) room.bucket.pauseUntil = Math.max(room.bucket.pauseUntil, now + settlement.pauseRoomMs);
        item.record.updatedAt = now;
        return true;
      }
      remove(room, entry);
      delete item.record.originStatus;
      delete item.record.applicationNumber;
      Object.assign(item.record, settledFields(settlement, now));
      item.answer = settlement.answer;
      if (settlement.kind === 'failed') fail(room, item, entry.token, now, {});
      else {
        item.request = '';
        touch(item, now);
      }
      return true;
    },
    async backlog(roomId): Promise<Backlog> {
      const room = roomOf(roomId);
      const counts: Backlog = { waiting: 0, delivering: 0, retrying: 0, dead: room.dead.size, oldestAt: null };
      for (const entry of room.entries.values()) {
        if (counts.oldestAt === null || entry.at < counts.oldestAt) counts.oldestAt = entry.at;
        if (entry.owner === undefined) counts.waiting += 1;
        else if (entry.owner === RETRY_OWNER) counts.retrying += 1;
        else counts.delivering += 1;
      }
      return counts;
    },
    async waitingBytes(roomId) {
      return roomOf(roomId).bytes;
    },
    async deadLetters(roomId, limit) {
      const room = roomOf(roomId);
      const out: ReceiptRecord[] = [];
      for (const token of room.dead.keys()) {
        const item = kept(room, token);
        if (!item) room.dead.delete(token);
        else if (out.length < limit) out.push({ ...item.record });
      }
      return out;
    },
    async retryDead(roomId, token, deadlineMs) {
      const now = clock();
      const room = roomOf(roomId);
      const item = kept(room, token, now);
      if (!room.dead.delete(token) || !item?.request) return false;
      const { record } = item;
      Object.assign(record, { state: 'accepted', attempts: 0, deadlineAt: now + deadlineMs, updatedAt: now, hasAnswer: false });
      for (const field of ['failure', 'nextAttemptAt', 'originStatus', 'problem', 'applicationNumber'] as const) delete record[field];
      item.answer = undefined;
      item.expiresAt = Number.POSITIVE_INFINITY;
      if (item.key && keyValue(room, item.key.name, now) === undefined) {
        room.keys.set(item.key.name, { value: `${item.key.fingerprint}|${token}`, expiresAt: now + item.key.ttlMs });
      }
      append(room, token, keptSize(item.request));
      return true;
    },
    async dropDead(roomId, token) {
      const now = clock();
      const room = roomOf(roomId);
      const item = kept(room, token, now);
      if (!room.dead.delete(token) || !item) return false;
      item.record.failure = 'dropped';
      item.record.updatedAt = now;
      item.request = '';
      freeKey(room, item);
      return true;
    },
    async close() {
      clearInterval(timer);
    },
  };
}

/** The receipt fields a final settlement sets. */
function settledFields(settlement: Extract<StoredSettlement, { kind: 'delivered' | 'failed' }>, now: number): Partial<ReceiptRecord> {
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
