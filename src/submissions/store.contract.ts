import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keptSize, SUBMISSION_OVERHEAD_BYTES, type DeliveryPolicy, type NewSubmission, type NextOutcome, type SubmissionStore } from './store.js';

/** An adapter under test, and how to let go of it. */
export interface OpenedSubmissionStore {
  store: SubmissionStore;
  close?: () => Promise<void>;
}

const HOUR = 3_600_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const POLICY: DeliveryPolicy = { perSecond: 1_000, burst: 1_000, reclaimAfterMs: 60_000, orderedAttempts: 3 };

/** The delivery a `next` outcome holds; fails the test when it says to wait. */
function delivered(outcome: NextOutcome) {
  if (outcome.kind !== 'deliver') throw new Error(`expected a delivery, got a wait of ${outcome.ms} ms`);
  return outcome.delivery;
}

/**
 * What every SubmissionStore adapter must do. Runs on the real clock (Redis scripts read Redis
 * `TIME`), so the cases that wait use waits of a few hundred milliseconds.
 */
export function submissionStoreContract(adapter: string, open: () => Promise<OpenedSubmissionStore>): void {
  describe(`submission store contract: ${adapter}`, () => {
    let opened: OpenedSubmissionStore;
    let store: SubmissionStore;
    let room: string;
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

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
      room = `r${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    });
    afterEach(async () => {
      await opened.close?.();
    });

    it('accepts a submission with a readable number and keeps its receipt', async () => {
      const offered = submission();
      const outcome = await store.accept(room, offered);
      expect(outcome.kind).toBe('accepted');
      if (outcome.kind !== 'accepted') return;
      const { receipt } = outcome;
      expect(receipt.id).toBe(`${room}.${offered.token}`);
      expect(receipt.number).toMatch(/^\d{6}-000001$/);
      expect(receipt).toMatchObject({ room, state: 'accepted', attempts: 0, hasAnswer: false });
      expect(receipt.deadlineAt - receipt.acceptedAt).toBe(HOUR);
      const second = await store.accept(room, submission());
      expect(second.kind === 'accepted' && second.receipt.number).toMatch(/^\d{6}-000002$/);
      expect((await store.receipt(room, offered.token))?.receipt).toEqual(receipt);
      expect(await store.findByNumber(room, receipt.number)).toBe(receipt.id);
      expect(await store.receipt(room, 'nosuchtoken00000000000')).toBeUndefined();
      expect(await store.backlog(room)).toEqual({ waiting: 2, delivering: 0, retrying: 0, dead: 0, oldestAt: expect.any(Number) });
    });

    it('gives back the same receipt for the same key and body, and refuses another body', async () => {
      const first = submission();
      const accepted = await store.accept(room, first);
      const again = await store.accept(room, { ...submission(), key: first.key, fingerprint: first.fingerprint });
      expect(again.kind).toBe('existing');
      expect(again.kind === 'existing' && again.receipt.id).toBe(accepted.kind === 'accepted' && accepted.receipt.id);
      const other = await store.accept(room, { ...submission(), key: first.key, fingerprint: 'another body' });
      expect(other).toEqual({ kind: 'mismatch', receiptId: `${room}.${first.token}` });
      expect((await store.backlog(room)).waiting).toBe(1);
    });

    it('holds a key during a straight attempt: duplicates are in progress, other bodies mismatch', async () => {
      const offered = submission();
      expect(await store.hold(room, offered.key, offered.fingerprint, 10_000)).toEqual({ kind: 'held' });
      expect(await store.hold(room, offered.key, offered.fingerprint, 10_000)).toEqual({ kind: 'in-progress' });
      expect(await store.accept(room, offered)).toEqual({ kind: 'in-progress' });
      expect(await store.accept(room, { ...offered, fingerprint: 'other' })).toEqual({ kind: 'mismatch', receiptId: undefined });
      await store.release(room, offered.key);
      expect((await store.accept(room, offered)).kind).toBe('accepted');
      await store.release(room, offered.key);
      expect((await store.accept(room, { ...submission(), key: offered.key, fingerprint: offered.fingerprint })).kind).toBe('existing');
    });

    it('binds a straight-through answer to its key as a delivered receipt', async () => {
      const offered = submission();
      await store.hold(room, offered.key, offered.fingerprint, 10_000);
      const receipt = await store.recordDelivered(room, offered, { kind: 'delivered', status: 201, applicationNumber: 'HS-42', answer: 'sealed-answer' });
      expect(receipt).toMatchObject({ state: 'delivered', originStatus: 201, applicationNumber: 'HS-42', hasAnswer: true });
      const again = await store.accept(room, { ...submission(), key: offered.key, fingerprint: offered.fingerprint });
      expect(again.kind === 'existing' && again.receipt.id).toBe(receipt.id);
      expect((await store.receipt(room, offered.token))?.answer).toBe('sealed-answer');
      expect(await store.backlog(room)).toEqual({ waiting: 0, delivering: 0, retrying: 0, dead: 0, oldestAt: null });
    });

    it('hands submissions out in acceptance order and records deliveries', async () => {
      const tokens = [];
      for (let i = 0; i < 3; i++) {
        const offered = submission();
        tokens.push(offered.token);
        await store.accept(room, offered);
      }
      const first = delivered(await store.next(room, 'a', POLICY));
      const second = delivered(await store.next(room, 'b', POLICY));
      expect([first.receipt.id, second.receipt.id]).toEqual([`${room}.${tokens[0]}`, `${room}.${tokens[1]}`]);
      expect(first.request).toBe(`sealed-request-${tokens[0]?.replace(/^tok0*/, '')}`);
      expect(first.receipt).toMatchObject({ state: 'delivering', attempts: 1 });
      expect(await store.backlog(room)).toEqual({ waiting: 1, delivering: 2, retrying: 0, dead: 0, oldestAt: expect.any(Number) });
      expect(await store.settle(room, 'b', first, { kind: 'delivered', status: 200 })).toBe(false);
      expect(await store.settle(room, 'a', first, { kind: 'delivered', status: 201, applicationNumber: 'A-1', answer: 'ans' })).toBe(true);
      expect(await store.settle(room, 'a', first, { kind: 'delivered', status: 201 })).toBe(false);
      const kept = await store.receipt(room, tokens[0] as string);
      expect(kept?.receipt).toMatchObject({ state: 'delivered', originStatus: 201, applicationNumber: 'A-1', hasAnswer: true });
      expect(kept?.answer).toBe('ans');
      expect(await store.backlog(room)).toEqual({ waiting: 1, delivering: 1, retrying: 0, dead: 0, oldestAt: expect.any(Number) });
    });

    it('says when the oldest submission not yet delivered was put in the log, and null when none is', async () => {
      // On the adapter's clock (the Redis adapter places Redis' reading on it, late by a round trip):
      // within 100 ms, and the next submission comes 300 ms after the first.
      const near = (at: number | null, expected: number) => expect(Math.abs((at ?? Number.NaN) - expected)).toBeLessThanOrEqual(100);
      const oldestAt = async () => (await store.backlog(room)).oldestAt;
      expect(await oldestAt()).toBeNull();
      const before = Date.now();
      const a = submission();
      await store.accept(room, a);
      const acceptedA = Date.now();
      await sleep(300);
      await store.accept(room, submission());
      const oldestA = (await oldestAt()) ?? Number.NaN;
      expect(oldestA).toBeGreaterThanOrEqual(before - 100);
      expect(oldestA).toBeLessThanOrEqual(acceptedA + 100);
      // Being delivered or waiting for a retry, it is still the oldest not yet delivered.
      const first = delivered(await store.next(room, 'x', POLICY));
      expect(first.receipt.id).toBe(`${room}.${a.token}`);
      near(await oldestAt(), oldestA);
      await store.settle(room, 'x', first, { kind: 'retry', delayMs: 0, problem: 'status 503' });
      expect(await store.backlog(room)).toMatchObject({ waiting: 1, delivering: 0, retrying: 1, dead: 0 });
      near(await oldestAt(), oldestA);
      // In the dead letters it is out of the log: the next oldest counts, then none.
      const again = delivered(await store.next(room, 'x', POLICY));
      expect(again.receipt.id).toBe(first.receipt.id);
      await store.settle(room, 'x', again, { kind: 'failed', reason: 'attempts', problem: 'status 503' });
      const oldestB = (await oldestAt()) ?? Number.NaN;
      expect(oldestB).toBeGreaterThanOrEqual(oldestA + 100);
      const second = delivered(await store.next(room, 'x', POLICY));
      await store.settle(room, 'x', second, { kind: 'delivered', status: 200 });
      expect(await store.backlog(room)).toEqual({ waiting: 0, delivering: 0, retrying: 0, dead: 1, oldestAt: null });
      // Sent again by an operator, it is put in the log anew.
      await sleep(300);
      expect(await store.retryDead(room, a.token, HOUR)).toBe(true);
      expect((await oldestAt()) ?? Number.NaN).toBeGreaterThanOrEqual(oldestB + 100);
    });

    it('keeps to the delivery rate', async () => {
      for (let i = 0; i < 3; i++) await store.accept(room, submission());
      const slow: DeliveryPolicy = { ...POLICY, perSecond: 2, burst: 2 };
      delivered(await store.next(room, 'a', slow));
      delivered(await store.next(room, 'a', slow));
      const wait = await store.next(room, 'a', slow);
      expect(wait.kind).toBe('wait');
      expect(wait.kind === 'wait' && wait.ms).toBeGreaterThan(100);
      expect(wait.kind === 'wait' && wait.ms).toBeLessThanOrEqual(500);
      await sleep(wait.kind === 'wait' ? wait.ms + 20 : 0);
      delivered(await store.next(room, 'a', slow));
    });

    it('retries the oldest first and lets nothing newer pass it while it is ordered', async () => {
      const a = submission();
      const b = submission();
      await store.accept(room, a);
      await store.accept(room, b);
      const first = delivered(await store.next(room, 'x', POLICY));
      expect(await store.settle(room, 'x', first, { kind: 'retry', delayMs: 300, problem: 'status 503' })).toBe(true);
      const receipt = (await store.receipt(room, a.token))?.receipt;
      expect(receipt).toMatchObject({ state: 'retrying', problem: 'status 503', attempts: 1 });
      expect((receipt?.nextAttemptAt ?? 0) - (receipt?.updatedAt ?? 0)).toBe(300);
      expect(await store.backlog(room)).toEqual({ waiting: 1, delivering: 0, retrying: 1, dead: 0, oldestAt: expect.any(Number) });
      const blocked = await store.next(room, 'y', POLICY);
      expect(blocked.kind).toBe('wait');
      expect(blocked.kind === 'wait' && blocked.ms).toBeLessThanOrEqual(300);
      await sleep(320);
      const again = delivered(await store.next(room, 'y', POLICY));
      expect(again.receipt.id).toBe(`${room}.${a.token}`);
      expect(again.receipt.attempts).toBe(2);
      expect(await store.settle(room, 'x', again, { kind: 'delivered', status: 200 })).toBe(false);
      expect(await store.settle(room, 'y', again, { kind: 'delivered', status: 200 })).toBe(true);
      expect(delivered(await store.next(room, 'y', POLICY)).receipt.id).toBe(`${room}.${b.token}`);
    });

    it('lets newer submissions pass one that has failed orderedAttempts times', async () => {
      const a = submission();
      const b = submission();
      await store.accept(room, a);
      await store.accept(room, b);
      const straggler: DeliveryPolicy = { ...POLICY, orderedAttempts: 1 };
      const first = delivered(await store.next(room, 'x', straggler));
      await store.settle(room, 'x', first, { kind: 'retry', delayMs: 60_000, problem: 'status 500' });
      expect(delivered(await store.next(room, 'x', straggler)).receipt.id).toBe(`${room}.${b.token}`);
    });

    it('pauses the room for an origin Retry-After', async () => {
      await store.accept(room, submission());
      await store.accept(room, submission());
      const first = delivered(await store.next(room, 'x', { ...POLICY, orderedAttempts: 0 }));
      await store.settle(room, 'x', first, { kind: 'retry', delayMs: 10, problem: 'status 429', pauseRoomMs: 400 });
      const paused = await store.next(room, 'x', { ...POLICY, orderedAttempts: 0 });
      expect(paused.kind).toBe('wait');
      expect(paused.kind === 'wait' && paused.ms).toBeGreaterThan(200);
      await sleep(paused.kind === 'wait' ? paused.ms + 20 : 0);
      expect(delivered(await store.next(room, 'x', { ...POLICY, orderedAttempts: 0 })).receipt.id).toBe(first.receipt.id);
    });

    it('reclaims what a forwarder held too long; the late forwarder can no longer settle it', async () => {
      const a = submission();
      await store.accept(room, a);
      const quick: DeliveryPolicy = { ...POLICY, reclaimAfterMs: 300 };
      const held = delivered(await store.next(room, 'dead-one', quick));
      expect((await store.next(room, 'alive', quick)).kind).toBe('wait');
      await sleep(350);
      const reclaimed = delivered(await store.next(room, 'alive', quick));
      expect(reclaimed.receipt.id).toBe(held.receipt.id);
      expect(reclaimed.receipt.attempts).toBe(2);
      expect(await store.settle(room, 'dead-one', held, { kind: 'delivered', status: 200 })).toBe(false);
      expect(await store.settle(room, 'alive', reclaimed, { kind: 'delivered', status: 200 })).toBe(true);
      expect(await store.backlog(room)).toEqual({ waiting: 0, delivering: 0, retrying: 0, dead: 0, oldestAt: null });
    });

    it('does not reclaim a retry before it is due', async () => {
      const a = submission();
      await store.accept(room, a);
      const quick: DeliveryPolicy = { ...POLICY, reclaimAfterMs: 100, orderedAttempts: 5 };
      const first = delivered(await store.next(room, 'x', quick));
      await store.settle(room, 'x', first, { kind: 'retry', delayMs: 600, problem: 'timeout' });
      await sleep(200);
      expect((await store.next(room, 'y', quick)).kind).toBe('wait');
      expect((await store.receipt(room, a.token))?.receipt.state).toBe('retrying');
      await sleep(450);
      expect(delivered(await store.next(room, 'y', quick)).receipt.attempts).toBe(2);
    });

    it('keeps failures in the dead letters, where they can be retried or dropped', async () => {
      const a = submission();
      const b = submission();
      await store.accept(room, a);
      await store.accept(room, b);
      const first = delivered(await store.next(room, 'x', POLICY));
      await store.settle(room, 'x', first, { kind: 'failed', reason: 'rejected', problem: 'status 400', status: 400, answer: 'bad form' });
      const second = delivered(await store.next(room, 'x', POLICY));
      await store.settle(room, 'x', second, { kind: 'failed', reason: 'attempts', problem: 'unreachable' });
      const dead = await store.deadLetters(room, 10);
      expect(dead.map((r) => r.id)).toEqual([first.receipt.id, second.receipt.id]);
      expect(dead[0]).toMatchObject({ state: 'failed', failure: 'rejected', originStatus: 400, hasAnswer: true });
      expect(await store.backlog(room)).toEqual({ waiting: 0, delivering: 0, retrying: 0, dead: 2, oldestAt: null });
      expect(await store.retryDead(room, a.token, HOUR)).toBe(true);
      expect(await store.retryDead(room, a.token, HOUR)).toBe(false);
      expect((await store.receipt(room, a.token))?.receipt).toMatchObject({ state: 'accepted', attempts: 0 });
      const retried = delivered(await store.next(room, 'x', POLICY));
      expect(retried.receipt).toMatchObject({ id: first.receipt.id, attempts: 1 });
      expect(await store.dropDead(room, b.token)).toBe(true);
      expect(await store.dropDead(room, b.token)).toBe(false);
      expect((await store.receipt(room, b.token))?.receipt.failure).toBe('dropped');
      expect(await store.deadLetters(room, 10)).toEqual([]);
    });

    it('lets a key expire after its window', async () => {
      const offered = submission({ keyTtlMs: 150 });
      await store.accept(room, offered);
      await sleep(250);
      expect((await store.accept(room, { ...submission(), key: offered.key, fingerprint: offered.fingerprint })).kind).toBe('accepted');
    });

    it('keeps a waiting submission whatever its life, and starts that life when it is delivered', async () => {
      const offered = submission({ ttlMs: 150, keyTtlMs: 100 });
      await store.accept(room, offered);
      await sleep(250);
      expect((await store.receipt(room, offered.token))?.receipt.state).toBe('accepted');
      const taken = delivered(await store.next(room, 'x', POLICY));
      await store.settle(room, 'x', taken, { kind: 'delivered', status: 200 });
      expect((await store.receipt(room, offered.token))?.receipt.state).toBe('delivered');
      await sleep(250);
      expect(await store.receipt(room, offered.token)).toBeUndefined();
    });

    it('keeps no more than maxBacklog undelivered submissions of a room', async () => {
      expect((await store.accept(room, submission({ maxBacklog: 2 }))).kind).toBe('accepted');
      expect((await store.accept(room, submission({ maxBacklog: 2 }))).kind).toBe('accepted');
      expect(await store.accept(room, submission({ maxBacklog: 2 }))).toEqual({ kind: 'full', by: 'count' });
      const taken = delivered(await store.next(room, 'x', POLICY));
      await store.settle(room, 'x', taken, { kind: 'delivered', status: 200 });
      expect((await store.accept(room, submission({ maxBacklog: 2 }))).kind).toBe('accepted');
    });

    it('limits new submissions per client a minute, and not replays', async () => {
      const limits = [{ client: 'c1', perMinute: 2 }];
      const first = submission({ limits });
      expect((await store.accept(room, first)).kind).toBe('accepted');
      expect((await store.accept(room, submission({ limits }))).kind).toBe('accepted');
      const over = await store.accept(room, submission({ limits }));
      expect(over.kind).toBe('limited');
      expect(over.kind === 'limited' && over.retryAfterMs).toBeGreaterThan(50_000);
      expect((await store.accept(room, { ...submission(), key: first.key, fingerprint: first.fingerprint, limits })).kind).toBe('existing');
      expect((await store.accept(room, submission({ limits: [{ client: 'c2', perMinute: 2 }] }))).kind).toBe('accepted');
      expect((await store.backlog(room)).waiting).toBe(3);
    });

    it('holds a submission to every one of its limits, and counts it for all or none', async () => {
      const address = { client: 'address', perMinute: 3 };
      const limitsOf = (visitor: string) => [{ client: visitor, perMinute: 1 }, address];
      expect((await store.accept(room, submission({ limits: limitsOf('v1') }))).kind).toBe('accepted');
      // v1 is at its own limit: refused, and the address's count is not taken.
      expect((await store.accept(room, submission({ limits: limitsOf('v1') }))).kind).toBe('limited');
      expect((await store.accept(room, submission({ limits: limitsOf('v2') }))).kind).toBe('accepted');
      expect((await store.accept(room, submission({ limits: limitsOf('v3') }))).kind).toBe('accepted');
      // The address has had its three: a fourth visitor behind it waits for the minute to end.
      const fourth = await store.accept(room, submission({ limits: limitsOf('v4') }));
      expect(fourth.kind).toBe('limited');
      expect(fourth.kind === 'limited' && fourth.retryAfterMs).toBeGreaterThan(50_000);
      expect(
        (
          await store.accept(
            room,
            submission({
              limits: [
                { client: 'v4', perMinute: 1 },
                { client: 'other address', perMinute: 3 },
              ],
            }),
          )
        ).kind,
      ).toBe('accepted');
      expect((await store.backlog(room)).waiting).toBe(4);
    });

    it('keeps no more than maxBytes of undelivered submissions of a room, counting what leaves the log', async () => {
      const big = (overrides: Partial<NewSubmission> = {}) =>
        submission({ request: 'x'.repeat(1_000 - SUBMISSION_OVERHEAD_BYTES), maxBytes: 2_600, ...overrides });
      expect(keptSize(big().request)).toBe(1_000);
      const a = big();
      expect((await store.accept(room, a)).kind).toBe('accepted');
      expect((await store.accept(room, big())).kind).toBe('accepted');
      expect(await store.waitingBytes(room)).toBe(2_000);
      const refused = big();
      expect(await store.accept(room, refused)).toEqual({ kind: 'full', by: 'bytes' });
      // Refused: nothing of it is kept, its key is free, and the count did not change.
      expect(await store.receipt(room, refused.token)).toBeUndefined();
      expect(await store.waitingBytes(room)).toBe(2_000);
      // A smaller one still fits; a replay of one already accepted is answered whatever the budget.
      expect((await store.accept(room, submission({ request: 'y'.repeat(600 - SUBMISSION_OVERHEAD_BYTES), maxBytes: 2_600 }))).kind).toBe('accepted');
      expect(await store.waitingBytes(room)).toBe(2_600);
      expect((await store.accept(room, { ...big(), key: a.key, fingerprint: a.fingerprint })).kind).toBe('existing');
      expect((await store.accept(room, big({ maxBytes: 2_600, maxBacklog: 10 }))).kind).toBe('full');
      // Delivered: its bytes are free again; being delivered or retried, they still count.
      const first = delivered(await store.next(room, 'x', POLICY));
      expect(await store.waitingBytes(room)).toBe(2_600);
      await store.settle(room, 'x', first, { kind: 'retry', delayMs: 0, problem: 'timeout' });
      expect(await store.waitingBytes(room)).toBe(2_600);
      const again = delivered(await store.next(room, 'x', POLICY));
      await store.settle(room, 'x', again, { kind: 'delivered', status: 200 });
      expect(await store.waitingBytes(room)).toBe(1_600);
      expect((await store.accept(room, refused)).kind).toBe('accepted');
      expect(await store.waitingBytes(room)).toBe(2_600);
      // In the dead letters it no longer counts; an operator's retry counts it again.
      const second = delivered(await store.next(room, 'x', POLICY));
      await store.settle(room, 'x', second, { kind: 'failed', reason: 'rejected', problem: 'status 400', status: 400 });
      expect(await store.waitingBytes(room)).toBe(1_600);
      expect(await store.retryDead(room, second.receipt.id.slice(room.length + 1), HOUR)).toBe(true);
      expect(await store.waitingBytes(room)).toBe(2_600);
      // Every receipt accepted is still there, and the log empties to a count of 0.
      for (let i = 0; i < 3; i++) await store.settle(room, 'x', delivered(await store.next(room, 'x', POLICY)), { kind: 'delivered', status: 200 });
      expect(await store.backlog(room)).toMatchObject({ waiting: 0, delivering: 0, retrying: 0 });
      expect(await store.waitingBytes(room)).toBe(0);
      expect((await store.receipt(room, a.token))?.receipt.state).toBe('delivered');
      expect((await store.receipt(room, refused.token))?.receipt.state).toBe('delivered');
    });

    it('takes an entry past its deadline off the byte count', async () => {
      await store.accept(room, submission({ deadlineMs: 100, request: 'z'.repeat(100), maxBytes: 10_000 }));
      expect(await store.waitingBytes(room)).toBe(keptSize('z'.repeat(100)));
      await sleep(150);
      expect((await store.next(room, 'x', POLICY)).kind).toBe('wait');
      expect(await store.waitingBytes(room)).toBe(0);
    });

    it('takes over its own hold when a straight attempt turns into a deferred one', async () => {
      const offered = submission();
      await store.hold(room, offered.key, offered.fingerprint, 10_000);
      expect((await store.accept(room, offered)).kind).toBe('in-progress');
      expect((await store.accept(room, { ...offered, fromHold: true })).kind).toBe('accepted');
      expect((await store.accept(room, { ...submission(), key: offered.key, fingerprint: offered.fingerprint, fromHold: true })).kind).toBe('existing');
    });

    it('frees the key of a submission that failed or was dropped, so it can be sent again', async () => {
      const a = submission();
      await store.accept(room, a);
      const taken = delivered(await store.next(room, 'x', POLICY));
      await store.settle(room, 'x', taken, { kind: 'failed', reason: 'rejected', problem: 'status 400', status: 400 });
      const again = await store.accept(room, { ...submission(), key: a.key, fingerprint: 'corrected' });
      expect(again.kind).toBe('accepted');
      const b = submission();
      await store.accept(room, b);
      delivered(await store.next(room, 'x', POLICY));
      const second = delivered(await store.next(room, 'x', POLICY));
      await store.settle(room, 'x', second, { kind: 'failed', reason: 'attempts', problem: 'timeout' });
      expect(await store.dropDead(room, b.token)).toBe(true);
      expect((await store.accept(room, { ...submission(), key: b.key, fingerprint: b.fingerprint })).kind).toBe('accepted');
      expect(await store.retryDead(room, b.token, HOUR)).toBe(false);
    });

    it('forgets the old outcome of a dead letter sent again', async () => {
      const a = submission();
      await store.accept(room, a);
      const taken = delivered(await store.next(room, 'x', POLICY));
      await store.settle(room, 'x', taken, { kind: 'failed', reason: 'rejected', problem: 'status 400', status: 400, answer: 'refused' });
      await store.retryDead(room, a.token, HOUR);
      expect((await store.receipt(room, a.token))?.receipt).toMatchObject({ state: 'accepted', hasAnswer: false });
      expect((await store.receipt(room, a.token))?.receipt.originStatus).toBeUndefined();
      expect((await store.receipt(room, a.token))?.answer).toBeUndefined();
      const retried = delivered(await store.next(room, 'x', POLICY));
      await store.settle(room, 'x', retried, { kind: 'delivered', status: 200 });
      expect(await store.receipt(room, a.token)).toMatchObject({ receipt: { state: 'delivered', originStatus: 200, hasAnswer: false }, answer: undefined });
      expect((await store.accept(room, { ...submission(), key: a.key, fingerprint: a.fingerprint })).kind).toBe('existing');
    });

    it('sends a submission past its deadline to the dead letters instead of delivering it', async () => {
      const late = submission({ deadlineMs: 100 });
      await store.accept(room, late);
      await sleep(150);
      expect((await store.next(room, 'x', POLICY)).kind).toBe('wait');
      expect((await store.receipt(room, late.token))?.receipt).toMatchObject({ state: 'failed', failure: 'deadline' });
      expect((await store.deadLetters(room, 10)).map((r) => r.id)).toEqual([`${room}.${late.token}`]);
      expect(await store.backlog(room)).toEqual({ waiting: 0, delivering: 0, retrying: 0, dead: 1, oldestAt: null });
    });

    it('reclaims an abandoned submission even behind many others that are pending', async () => {
      for (let i = 0; i < 13; i++) await store.accept(room, submission());
      const quick: DeliveryPolicy = { ...POLICY, reclaimAfterMs: 300, orderedAttempts: 0 };
      const live = [];
      for (let i = 0; i < 12; i++) live.push(delivered(await store.next(room, 'live', quick)));
      const abandoned = delivered(await store.next(room, 'dead-one', quick));
      await sleep(350);
      for (const held of live) await store.settle(room, 'live', held, { kind: 'retry', delayMs: 60_000, problem: 'status 503' });
      let reclaimed;
      for (let i = 0; i < 5 && !reclaimed; i++) {
        const next = await store.next(room, 'alive', quick);
        if (next.kind === 'deliver') reclaimed = next.delivery;
      }
      expect(reclaimed?.receipt.id).toBe(abandoned.receipt.id);
    });
  });
}
