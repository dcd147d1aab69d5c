import { describe, expect, it } from 'vitest';
import {
  accept,
  backlog,
  deadLetters,
  dropDead,
  fullBy,
  hold,
  IDLE_WAIT_MS,
  newRoomLog,
  nextDelivery,
  rateCheck,
  rateGate,
  receiptOf,
  releaseHold,
  retryDead,
  RETRY_OWNER,
  settleDelivery,
  type Bucket,
  type RoomLog,
} from './state.js';
import { keptSize, type DeliveryPolicy, type NewSubmission, type NextOutcome } from './store.js';

const NOW = Date.UTC(2026, 11, 1, 3, 0, 0);
const HOUR = 3_600_000;
const POLICY: DeliveryPolicy = { perSecond: 1_000, burst: 1_000, reclaimAfterMs: 60_000, orderedAttempts: 3 };
let counter = 0;

function submission(overrides: Partial<NewSubmission> = {}): NewSubmission {
  counter += 1;
  return {
    token: `tok${String(counter).padStart(19, '0')}`,
    request: `sealed-request-${counter}`,
    key: `key-${counter}`,
    fingerprint: `fp-${counter}`,
    keyTtlMs: HOUR,
    ttlMs: 24 * HOUR,
    deadlineMs: HOUR,
    ...overrides,
  };
}

/** A log holding `n` accepted submissions (accepted at NOW), and the submissions. */
function logWith(n: number): { log: RoomLog; offered: NewSubmission[] } {
  const log = newRoomLog();
  const offered = Array.from({ length: n }, () => submission());
  for (const s of offered) expect(accept(log, 'r', s, NOW).kind).toBe('accepted');
  return { log, offered };
}

function delivery(outcome: NextOutcome) {
  if (outcome.kind !== 'deliver') throw new Error(`expected a delivery, got a wait of ${outcome.ms} ms`);
  return outcome.delivery;
}

describe('rateGate (the delivery rate of nextDelivery)', () => {
  const policy = { perSecond: 2, burst: 3 };
  const fresh = (): Bucket => ({ tokens: Number.NaN, at: 0, pauseUntil: 0 });

  it('starts a new bucket full, lets a burst go, then asks to wait for the next whole token', () => {
    const bucket = fresh();
    for (let i = 0; i < 3; i += 1) {
      expect(rateGate(bucket, policy, NOW)).toBeUndefined();
      bucket.tokens -= 1;
    }
    expect(rateGate(bucket, policy, NOW)).toBe(500);
    expect(rateGate(bucket, policy, NOW + 200)).toBe(300);
    expect(rateGate(bucket, policy, NOW + 500)).toBeUndefined();
  });

  it('refills at perSecond, never past the burst', () => {
    const bucket: Bucket = { tokens: 0, at: NOW, pauseUntil: 0 };
    expect(rateGate(bucket, policy, NOW + 60_000)).toBeUndefined();
    expect(bucket.tokens).toBe(3);
    expect(bucket.at).toBe(NOW + 60_000);
  });

  it('waits out a pause first, without refilling', () => {
    const bucket: Bucket = { tokens: 0, at: NOW, pauseUntil: NOW + 5_000 };
    expect(rateGate(bucket, policy, NOW + 1_000)).toBe(4_000);
    expect(bucket).toEqual({ tokens: 0, at: NOW, pauseUntil: NOW + 5_000 });
    expect(rateGate(bucket, policy, NOW + 5_000)).toBeUndefined();
  });

  it('asks for at least 1 ms', () => {
    expect(rateGate({ tokens: 0.9999999, at: NOW, pauseUntil: 0 }, { perSecond: 1_000_000, burst: 1 }, NOW)).toBe(1);
  });
});

describe('fullBy (the room budget of accept)', () => {
  it('refuses by count once the log holds maxBacklog entries', () => {
    const { log } = logWith(2);
    expect(fullBy(log, 10, { maxBacklog: 2 })).toBe('count');
    expect(fullBy(log, 10, { maxBacklog: 3 })).toBeUndefined();
  });

  it('refuses by bytes when the submission would take the log past maxBytes, and takes one that fills it exactly', () => {
    const { log, offered } = logWith(1);
    const held = keptSize((offered[0] as NewSubmission).request);
    expect(log.bytes).toBe(held);
    expect(fullBy(log, 600, { maxBytes: held + 599 })).toBe('bytes');
    expect(fullBy(log, 600, { maxBytes: held + 600 })).toBeUndefined();
  });

  it('counts no bytes in an empty log, whatever its count says', () => {
    const log = newRoomLog();
    log.bytes = 10_000;
    expect(fullBy(log, 600, { maxBytes: 600 })).toBeUndefined();
  });

  it('lets anything in without limits', () => {
    expect(fullBy(logWith(3).log, 1e9, {})).toBeUndefined();
  });
});

describe('rateCheck (the rate limits of accept)', () => {
  it('opens a fresh window per client, and says how long until every reached one ends', () => {
    const log = newRoomLog();
    log.clients.set('a', { count: 2, until: NOW + 10_000 });
    log.clients.set('b', { count: 5, until: NOW + 40_000 });
    log.clients.set('c', { count: 9, until: NOW });
    const limits = [
      { client: 'a', perMinute: 2 },
      { client: 'b', perMinute: 5 },
    ];
    expect(rateCheck(log, limits, NOW).retryAfterMs).toBe(40_000);
    const open = rateCheck(log, [{ client: 'c', perMinute: 1 }], NOW);
    expect(open.retryAfterMs).toBeUndefined();
    expect(open.windows[0]?.window).toEqual({ count: 0, until: NOW + 60_000 });
  });
});

describe('accept', () => {
  it('keeps a submission: a numbered receipt that does not expire while it waits, its key bound, its bytes counted', () => {
    const log = newRoomLog();
    const offered = submission();
    const outcome = accept(log, 'r', offered, NOW);
    expect(outcome).toEqual({
      kind: 'accepted',
      receipt: {
        id: `r.${offered.token}`,
        room: 'r',
        number: '261201-000001',
        state: 'accepted',
        acceptedAt: NOW,
        updatedAt: NOW,
        attempts: 0,
        deadlineAt: NOW + HOUR,
        hasAnswer: false,
      },
    });
    expect(log.receipts.get(offered.token)?.expiresAt).toBe(Number.POSITIVE_INFINITY);
    expect(log.keys.get(offered.key)).toEqual({ value: `${offered.fingerprint}|${offered.token}`, expiresAt: NOW + HOUR });
    expect(log.bytes).toBe(keptSize(offered.request));
    expect(backlog(log)).toEqual({ waiting: 1, delivering: 0, retrying: 0, dead: 0, oldestAt: NOW });
  });

  it('gives back the receipt for a replay, and a mismatch for the same key with another body', () => {
    const { log, offered } = logWith(1);
    const first = offered[0] as NewSubmission;
    expect(accept(log, 'r', { ...first, token: 'other' }, NOW + 1).kind).toBe('existing');
    expect(accept(log, 'r', { ...first, token: 'other', fingerprint: 'changed' }, NOW + 1)).toEqual({ kind: 'mismatch', receiptId: `r.${first.token}` });
    expect(log.entries.size).toBe(1);
  });

  it('refuses a submission past the budget or a rate limit, changing nothing and counting for no limit', () => {
    const { log } = logWith(1);
    const before = structuredClone(log);
    expect(accept(log, 'r', submission({ maxBacklog: 1 }), NOW)).toEqual({ kind: 'full', by: 'count' });
    expect(accept(log, 'r', submission({ maxBytes: log.bytes + 10 }), NOW)).toEqual({ kind: 'full', by: 'bytes' });
    log.clients.set('x', { count: 1, until: NOW + 30_000 });
    before.clients.set('x', { count: 1, until: NOW + 30_000 });
    const limits = [
      { client: 'x', perMinute: 1 },
      { client: 'y', perMinute: 5 },
    ];
    expect(accept(log, 'r', submission({ limits }), NOW)).toEqual({ kind: 'limited', retryAfterMs: 30_000 });
    expect(log).toEqual(before);
  });

  it('counts an accepted submission for every limit', () => {
    const log = newRoomLog();
    const limits = [
      { client: 'x', perMinute: 2 },
      { client: 'y', perMinute: 5 },
    ];
    accept(log, 'r', submission({ limits }), NOW);
    expect(log.clients.get('x')).toEqual({ count: 1, until: NOW + 60_000 });
    expect(log.clients.get('y')).toEqual({ count: 1, until: NOW + 60_000 });
  });

  it('says in-progress for a held key, unless the caller holds it itself', () => {
    const log = newRoomLog();
    const offered = submission();
    expect(hold(log, offered.key, offered.fingerprint, 30_000, NOW)).toEqual({ kind: 'held' });
    expect(accept(log, 'r', offered, NOW).kind).toBe('in-progress');
    expect(accept(log, 'r', { ...offered, fromHold: true }, NOW).kind).toBe('accepted');
    expect(releaseHold(log, offered.key)).toBe(false);
  });
});

describe('hold and releaseHold', () => {
  it('holds a free key until holdMs passes, and releases only a hold', () => {
    const log = newRoomLog();
    expect(hold(log, 'k', 'fp', 1_000, NOW)).toEqual({ kind: 'held' });
    expect(hold(log, 'k', 'other', 1_000, NOW + 999)).toEqual({ kind: 'mismatch', receiptId: undefined });
    expect(hold(log, 'k', 'other', 1_000, NOW + 1_000)).toEqual({ kind: 'held' });
    expect(releaseHold(log, 'k')).toBe(true);
    expect(log.keys.has('k')).toBe(false);
  });
});

describe('nextDelivery', () => {
  it('hands out the oldest new entry, counting an attempt and taking a token', () => {
    const { log, offered } = logWith(2);
    const handed = delivery(nextDelivery(log, 'f1', POLICY, NOW + 5));
    expect(handed.receipt).toMatchObject({ id: `r.${(offered[0] as NewSubmission).token}`, state: 'delivering', attempts: 1, updatedAt: NOW + 5 });
    expect(handed.storeNow).toBe(NOW + 5);
    expect(handed.request).toBe((offered[0] as NewSubmission).request);
    expect(log.bucket.tokens).toBe(POLICY.burst - 1);
    expect(backlog(log)).toMatchObject({ waiting: 1, delivering: 1 });
  });

  it('waits at the rate gate without handing anything out', () => {
    const { log } = logWith(2);
    const slow = { ...POLICY, perSecond: 1, burst: 1 };
    delivery(nextDelivery(log, 'f1', slow, NOW));
    expect(nextDelivery(log, 'f1', slow, NOW + 250)).toEqual({ kind: 'wait', ms: 750 });
    expect(backlog(log)).toMatchObject({ waiting: 1, delivering: 1 });
    expect(delivery(nextDelivery(log, 'f1', slow, NOW + 1_000)).receipt.attempts).toBe(1);
  });

  it('waits IDLE_WAIT_MS when nothing is due', () => {
    expect(nextDelivery(newRoomLog(), 'f1', POLICY, NOW)).toEqual({ kind: 'wait', ms: IDLE_WAIT_MS });
  });

  it('reclaims an entry another forwarder held for reclaimAfterMs, before anything new', () => {
    const { log, offered } = logWith(2);
    delivery(nextDelivery(log, 'f1', POLICY, NOW));
    const again = delivery(nextDelivery(log, 'f2', POLICY, NOW + POLICY.reclaimAfterMs));
    expect(again.receipt).toMatchObject({ id: `r.${(offered[0] as NewSubmission).token}`, attempts: 2 });
    expect(settleDelivery(log, 'f1', again.entryId, { kind: 'delivered', status: 200 }, NOW + POLICY.reclaimAfterMs)).toBe(false);
  });

  it('keeps the order while a retried entry has failed fewer than orderedAttempts times, then lets newer ones pass', () => {
    const { log, offered } = logWith(2);
    const first = delivery(nextDelivery(log, 'f1', POLICY, NOW));
    settleDelivery(log, 'f1', first.entryId, { kind: 'retry', delayMs: 10_000, problem: 'timeout' }, NOW);
    expect(nextDelivery(log, 'f1', POLICY, NOW + 4_000)).toEqual({ kind: 'wait', ms: 6_000 });
    const entry = log.entries.get(first.entryId);
    expect(entry?.owner).toBe(RETRY_OWNER);
    const item = log.receipts.get((offered[0] as NewSubmission).token);
    if (item) item.record.attempts = POLICY.orderedAttempts;
    expect(delivery(nextDelivery(log, 'f1', POLICY, NOW + 4_000)).receipt.id).toBe(`r.${(offered[1] as NewSubmission).token}`);
    expect(delivery(nextDelivery(log, 'f1', POLICY, NOW + 10_000)).receipt.id).toBe(`r.${(offered[0] as NewSubmission).token}`);
  });

  it('sends an entry past its deadline to the dead letters instead of handing it out', () => {
    const { log, offered } = logWith(1);
    expect(nextDelivery(log, 'f1', POLICY, NOW + HOUR + 1)).toEqual({ kind: 'wait', ms: IDLE_WAIT_MS });
    const [dead] = deadLetters(log, 10, NOW + HOUR + 1);
    expect(dead).toMatchObject({ state: 'failed', failure: 'deadline', problem: 'not delivered in time' });
    expect(log.keys.has((offered[0] as NewSubmission).key)).toBe(false);
    expect(log.bytes).toBe(0);
    expect(log.receipts.get((offered[0] as NewSubmission).token)?.expiresAt).toBe(NOW + HOUR + 1 + 24 * HOUR);
  });
});

describe('settleDelivery', () => {
  function handedOut() {
    const { log, offered } = logWith(1);
    const handed = delivery(nextDelivery(log, 'f1', POLICY, NOW));
    return { log, handed, offered: offered[0] as NewSubmission };
  }

  it('refuses a consumer that no longer holds the entry', () => {
    const { log, handed } = handedOut();
    expect(settleDelivery(log, 'f2', handed.entryId, { kind: 'delivered', status: 200 }, NOW)).toBe(false);
    expect(settleDelivery(log, 'f1', 'no-such-entry', { kind: 'delivered', status: 200 }, NOW)).toBe(false);
  });

  it('delivered: out of the log, its request deleted, its receipt living from now', () => {
    const { log, handed, offered } = handedOut();
    expect(settleDelivery(log, 'f1', handed.entryId, { kind: 'delivered', status: 201, applicationNumber: 'A-1', answer: 'sealed' }, NOW + 7)).toBe(true);
    expect(receiptOf(log, offered.token, NOW + 7)).toEqual({
      receipt: expect.objectContaining({
        state: 'delivered',
        deliveredAt: NOW + 7,
        originStatus: 201,
        applicationNumber: 'A-1',
        hasAnswer: true,
        updatedAt: NOW + 7,
      }),
      answer: 'sealed',
    });
    const item = log.receipts.get(offered.token);
    expect(item?.request).toBe('');
    expect(item?.expiresAt).toBe(NOW + 7 + 24 * HOUR);
    expect(log.entries.size).toBe(0);
    expect(log.bytes).toBe(0);
    expect(log.keys.has(offered.key)).toBe(true);
    expect(receiptOf(log, offered.token, NOW + 7 + 24 * HOUR)).toBeUndefined();
  });

  it('retry: held for its next attempt, the room paused when the origin asked', () => {
    const { log, handed, offered } = handedOut();
    expect(settleDelivery(log, 'f1', handed.entryId, { kind: 'retry', delayMs: 2_000, problem: 'status 503', pauseRoomMs: 5_000 }, NOW)).toBe(true);
    expect(log.receipts.get(offered.token)?.record).toMatchObject({ state: 'retrying', nextAttemptAt: NOW + 2_000, problem: 'status 503' });
    expect(log.bucket.pauseUntil).toBe(NOW + 5_000);
    expect(backlog(log)).toMatchObject({ waiting: 0, delivering: 0, retrying: 1 });
    expect(log.bytes).toBe(keptSize(offered.request));
    expect(nextDelivery(log, 'f1', POLICY, NOW + 3_000)).toEqual({ kind: 'wait', ms: 2_000 });
  });

  it('failed: into the dead letters with its request kept, its key freed, its bytes off the count', () => {
    const { log, handed, offered } = handedOut();
    expect(settleDelivery(log, 'f1', handed.entryId, { kind: 'failed', reason: 'rejected', problem: 'status 400', status: 400 }, NOW + 3)).toBe(true);
    expect(log.receipts.get(offered.token)).toMatchObject({
      record: { state: 'failed', failure: 'rejected', problem: 'status 400', originStatus: 400, hasAnswer: false },
      request: offered.request,
      expiresAt: NOW + 3 + 24 * HOUR,
    });
    expect(log.dead.get(offered.token)).toBe(NOW + 3);
    expect(log.keys.has(offered.key)).toBe(false);
    expect(log.bytes).toBe(0);
  });
});

describe('dead letters', () => {
  function deadOne() {
    const { log, offered } = logWith(1);
    const handed = delivery(nextDelivery(log, 'f1', POLICY, NOW));
    settleDelivery(log, 'f1', handed.entryId, { kind: 'failed', reason: 'attempts', problem: 'timeout' }, NOW);
    return { log, offered: offered[0] as NewSubmission };
  }

  it('retryDead puts it back at the end of the log, fresh, its key bound again and its bytes counted', () => {
    const { log, offered } = deadOne();
    expect(retryDead(log, offered.token, HOUR, NOW + 10)).toBe(true);
    expect(log.receipts.get(offered.token)).toMatchObject({
      record: { state: 'accepted', attempts: 0, deadlineAt: NOW + 10 + HOUR, hasAnswer: false },
      expiresAt: Number.POSITIVE_INFINITY,
    });
    expect(log.receipts.get(offered.token)?.record.failure).toBeUndefined();
    expect(log.keys.get(offered.key)?.value).toBe(`${offered.fingerprint}|${offered.token}`);
    expect(backlog(log)).toEqual({ waiting: 1, delivering: 0, retrying: 0, dead: 0, oldestAt: NOW + 10 });
    expect(log.bytes).toBe(keptSize(offered.request));
    expect(retryDead(log, offered.token, HOUR, NOW + 10)).toBe(false);
  });

  it('retryDead leaves a key another submission took since', () => {
    const { log, offered } = deadOne();
    const taker = submission({ key: offered.key });
    expect(accept(log, 'r', taker, NOW + 5).kind).toBe('accepted');
    expect(retryDead(log, offered.token, HOUR, NOW + 10)).toBe(true);
    expect(log.keys.get(offered.key)?.value).toBe(`${taker.fingerprint}|${taker.token}`);
  });

  it('dropDead marks it dropped and deletes its request; it cannot be retried after', () => {
    const { log, offered } = deadOne();
    expect(dropDead(log, offered.token, NOW + 10)).toBe(true);
    expect(log.receipts.get(offered.token)).toMatchObject({ record: { failure: 'dropped', updatedAt: NOW + 10 }, request: '' });
    expect(deadLetters(log, 10, NOW + 10)).toEqual([]);
    expect(dropDead(log, offered.token, NOW + 10)).toBe(false);
    expect(retryDead(log, offered.token, HOUR, NOW + 10)).toBe(false);
  });
});
