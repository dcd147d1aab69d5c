import { systemClock, type Clock } from '../platform/clock.js';
import * as state from './state.js';
import type { RoomLog } from './state.js';
import type { SubmissionStore } from './store.js';

/**
 * Submissions in this process's memory: the embedded default. **Not durable**: everything
 * accepted is lost when the process stops (the start-up log and docs/submissions.md say so). A thin
 * adapter over the pure model in `state.ts` (a map of rooms and a clock); same semantics as the
 * Redis adapter, checked by the one contract suite. Expired receipts and keys go when touched
 * and in a sweep every `sweepEveryMs` (unref'd).
 *
 * The Lua scripts mirror the functions of `state.ts` (see its header): change both, then run
 * `src/submissions/store.contract.ts`
 * (`vitest run src/submissions/memory-store.test.ts tests/integration/submission-store.test.ts`).
 */
export function createMemorySubmissionStore(options: { clock?: Clock; sweepEveryMs?: number } = {}): SubmissionStore {
  const clock = options.clock ?? systemClock;
  const rooms = new Map<string, RoomLog>();
  const timer = setInterval(() => {
    const now = clock();
    for (const room of rooms.values()) state.sweep(room, now);
  }, options.sweepEveryMs ?? 60_000);
  (timer as { unref?: () => void }).unref?.();

  function roomOf(id: string): RoomLog {
    let room = rooms.get(id);
    if (!room) rooms.set(id, (room = state.newRoomLog()));
    return room;
  }

  return {
    durable: false,
    async accept(roomId, submission) {
      return state.accept(roomOf(roomId), roomId, submission, clock());
    },
    async hold(roomId, key, fingerprint, holdMs) {
      return state.hold(roomOf(roomId), key, fingerprint, holdMs, clock());
    },
    async release(roomId, key) {
      state.releaseHold(roomOf(roomId), key);
    },
    async recordDelivered(roomId, submission, settlement) {
      return state.recordDelivered(roomOf(roomId), roomId, submission, settlement, clock());
    },
    async confirmDurable() {
      throw new Error('the in-memory submission store is not durable');
    },
    async receipt(roomId, token) {
      return state.receiptOf(roomOf(roomId), token, clock());
    },
    async findByNumber(roomId, number) {
      return state.findByNumber(roomOf(roomId), number, clock());
    },
    async next(roomId, consumer, policy) {
      return state.nextDelivery(roomOf(roomId), consumer, policy, clock());
    },
    async settle(roomId, consumer, delivery, settlement) {
      return state.settleDelivery(roomOf(roomId), consumer, delivery.entryId, settlement, clock());
    },
    async backlog(roomId) {
      return state.backlog(roomOf(roomId));
    },
    async waitingBytes(roomId) {
      return roomOf(roomId).bytes;
    },
    async deadLetters(roomId, limit) {
      return state.deadLetters(roomOf(roomId), limit, clock());
    },
    async retryDead(roomId, token, deadlineMs) {
      return state.retryDead(roomOf(roomId), token, deadlineMs, clock());
    },
    async dropDead(roomId, token) {
      return state.dropDead(roomOf(roomId), token, clock());
    },
    async close() {
      clearInterval(timer);
    },
  };
}
