import { systemClock, type Clock } from '../platform/clock.js';
import { encodeBase64Url } from '../platform/base64url.js';
import * as core from './core.js';
import type { RoomLimits, RoomState } from './core.js';
import { REDEEM_AGAIN_WINDOW_MS, type EndedPass, type WaitingRoomStore } from './store.js';

/** A session's client binding: the hash, when its ticket was first redeemed, the pass generation. */
interface Binding {
  binding: string;
  redeemedAt: number;
  generation: number;
}

/** An ended pass as listed, with its place in the room's list and its end of life (ms). */
interface EndedEntry {
  seq: number;
  visitor: string;
  generation: number | null;
  until: number;
}

/**
 * The embedded store: the admission core over a map of rooms in this process. Correct for one
 * instance; nothing survives a restart (tickets from before a restart are unknown afterwards and
 * their holders join again).
 *
 * Mirrored by `src/waiting-room/lua/`: `rebind` by rebind.lua, `endSession` by end.lua,
 * `endedSince` by ended.lua, the bindings of `claim` by claim.lua (the rest by the scripts named
 * in core.ts): change both, then run `src/waiting-room/store.contract.ts`
 * (`vitest run src/waiting-room/memory-store.test.ts tests/integration/redis-store.test.ts`).
 */
export function createMemoryWaitingRoomStore(options: { clock?: Clock } = {}): WaitingRoomStore {
  const clock = options.clock ?? systemClock;
  const rooms = new Map<string, RoomState>();
  const bindings = new Map<string, Map<string, Binding>>();
  const ended = new Map<string, EndedEntry[]>();
  let endedSeq = 0;

  function bindingsOf(roomId: string): Map<string, Binding> {
    let of = bindings.get(roomId);
    if (!of) bindings.set(roomId, (of = new Map()));
    return of;
  }

  /** Drops the bindings of sessions that no longer hold a slot, once there are clearly more of them than sessions. */
  function pruneBindings(roomId: string, state: RoomState): void {
    const of = bindings.get(roomId);
    if (!of || of.size <= 2 * state.active.size + 16) return;
    for (const visitor of of.keys()) if (!state.active.has(visitor)) of.delete(visitor);
  }

  /** Lists a pass as ended until `now + keepMs`; entries past their life are dropped as new ones come. */
  function listEnded(roomId: string, visitor: string, generation: number | null, now: number, keepMs: number): void {
    const list = (ended.get(roomId) ?? []).filter((entry) => entry.until > now);
    endedSeq += 1;
    list.push({ seq: endedSeq, visitor, generation, until: now + keepMs });
    ended.set(roomId, list);
  }

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
    return room(
      roomId,
      { maxActive: 1, admitPerMinute: 1, admitBurst: 0, sessionIdleSeconds: 1, noShowSeconds: 1, abandonAfterSeconds: 1, admitting: false, queueAll: false },
      clock(),
    );
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
    async claim(roomId, limits, ticket, visitorId, binding) {
      const now = clock();
      const state = room(roomId, limits, now);
      const outcome = core.claim(state, limits, now, ticket, visitorId);
      if (outcome.kind !== 'admitted' || binding === undefined) return outcome;
      const of = bindingsOf(roomId);
      const known = of.get(visitorId);
      if (outcome.again && known) {
        return known.binding === binding && now - known.redeemedAt <= REDEEM_AGAIN_WINDOW_MS ? outcome : { kind: 'spent' };
      }
      of.set(visitorId, { binding, redeemedAt: now, generation: 0 });
      pruneBindings(roomId, state);
      return outcome;
    },
    async rebind(roomId, limits, visitorId, generation, binding, keepSeconds) {
      const now = clock();
      const state = room(roomId, limits, now);
      if (core.touch(state, limits, now, [visitorId]).length > 0) return { kind: 'refused' };
      const of = bindingsOf(roomId);
      const known = of.get(visitorId);
      if (known && known.generation > generation && known.binding === binding) return { kind: 'rebound', generation: known.generation };
      if (known && known.generation !== generation) return { kind: 'refused' };
      of.set(visitorId, { binding, redeemedAt: known?.redeemedAt ?? now, generation: generation + 1 });
      listEnded(roomId, visitorId, generation + 1, now, keepSeconds * 1000);
      return { kind: 'rebound', generation: generation + 1 };
    },
    async endSession(roomId, limits, visitorId, keepSeconds) {
      const now = clock();
      core.release(room(roomId, limits, now), limits, now, visitorId);
      bindings.get(roomId)?.delete(visitorId);
      listEnded(roomId, visitorId, null, now, keepSeconds * 1000);
    },
    async endedSince(roomId, cursor) {
      const now = clock();
      const after = cursor === undefined ? 0 : Number(cursor) || 0;
      const list = ended.get(roomId) ?? [];
      const listed: EndedPass[] = list
        .filter((entry) => entry.seq > after && entry.until > now)
        .map((entry) => ({ visitor: entry.visitor, generation: entry.generation, remainingMs: entry.until - now }));
      return { ended: listed, cursor: String(Math.max(after, list.at(-1)?.seq ?? 0)) };
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
      bindings.clear();
      ended.clear();
    },
  };
}
