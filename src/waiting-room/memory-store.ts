import { systemClock, type Clock } from '../platform/clock.js';
import { encodeBase64Url } from '../platform/base64url.js';
import * as core from './core.js';
import type { RoomLimits, RoomState } from './core.js';
import type { WaitingRoomStore } from './store.js';

/**
 * The embedded store: the admission core over a map of rooms in this process. Correct for one
 * instance; nothing survives a restart (tickets from before a restart are unknown afterwards and
 * their holders join again).
 */
export function createMemoryWaitingRoomStore(options: { clock?: Clock } = {}): WaitingRoomStore {
  const clock = options.clock ?? systemClock;
  const rooms = new Map<string, RoomState>();

  function room(roomId: string, limits: RoomLimits, now: number): RoomState {
    let state = rooms.get(roomId);
    if (!state) {
      state = core.newRoomState(limits, now, encodeBase64Url(crypto.getRandomValues(new Uint8Array(9))));
      rooms.set(roomId, state);
    }
    return state;
  }

  /** A room's state for operations that need no limits (a new room starts with an empty bucket). */
  function anyRoom(roomId: string): RoomState {
    return room(roomId, { maxActive: 1, admitPerMinute: 1, admitBurst: 0, sessionIdleSeconds: 1, noShowSeconds: 1, abandonAfterSeconds: 1, admitting: false, queueAll: false }, clock());
  }

  return {
    async tick(roomId, limits) {
      const now = clock();
      return core.tick(room(roomId, limits, now), limits, now);
    },
    async join(roomId, limits, visitorId) {
      const now = clock();
      return core.join(room(roomId, limits, now), limits, now, visitorId);
    },
    async claim(roomId, limits, ticket, visitorId) {
      const now = clock();
      return core.claim(room(roomId, limits, now), limits, now, ticket, visitorId);
    },
    async touch(roomId, limits, visitorIds) {
      const now = clock();
      return core.touch(room(roomId, limits, now), limits, now, visitorIds);
    },
    async markSeen(roomId, limits, tickets) {
      const now = clock();
      core.markSeen(room(roomId, limits, now), now, tickets);
    },
    async adopt(roomId, limits, visitorIds) {
      const now = clock();
      core.adopt(room(roomId, limits, now), limits, now, visitorIds);
    },
    async release(roomId, limits, visitorId) {
      const now = clock();
      core.release(room(roomId, limits, now), limits, now, visitorId);
    },
    async enterLottery(roomId, eventId, entry, seedCandidate) {
      return core.enterLottery(anyRoom(roomId), eventId, entry, seedCandidate);
    },
    async lotteryRecord(roomId, eventId) {
      const lottery = rooms.get(roomId)?.lotteries.get(eventId);
      return { seed: lottery?.seed || undefined, entries: [...(lottery?.entries ?? [])], drawn: lottery?.tickets !== undefined };
    },
    async drawLottery(roomId, limits, eventId, order) {
      return core.drawLottery(room(roomId, limits, clock()), clock(), eventId, order);
    },
    async lotteryPlace(roomId, eventId, entry) {
      const state = rooms.get(roomId);
      return state ? core.lotteryPlace(state, eventId, entry) : { kind: 'unknown' };
    },
    async ping() {},
    async close() {
      rooms.clear();
    },
  };
}
