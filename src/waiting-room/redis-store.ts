import { pingPrimaries, type RedisClient } from '../redis/connection.js';
import { randomId } from '../platform/random-id.js';
import { lotteryKeys, roomKeys } from '../redis/keys.js';
import { loadScript } from '../redis/scripts.js';
import type { JoinOutcome, RoomLimits, RoomSnapshot } from './core.js';
import { REDEEM_AGAIN_WINDOW_MS, type EndedPass, type WaitingRoomStore } from './store.js';

const LUA_DIR = new URL('./lua/', import.meta.url);
const scripts = {
  tick: loadScript(LUA_DIR, 'tick'),
  join: loadScript(LUA_DIR, 'join'),
  claim: loadScript(LUA_DIR, 'claim'),
  touch: loadScript(LUA_DIR, 'touch'),
  release: loadScript(LUA_DIR, 'release'),
  end: loadScript(LUA_DIR, 'end'),
  ended: loadScript(LUA_DIR, 'ended'),
  rebind: loadScript(LUA_DIR, 'rebind'),
  seen: loadScript(LUA_DIR, 'seen'),
  adopt: loadScript(LUA_DIR, 'adopt'),
  lotteryEnter: loadScript(LUA_DIR, 'lottery-enter'),
  lotteryDraw: loadScript(LUA_DIR, 'lottery-draw'),
};

/** The line an instance last saw, to resume if Redis comes back without its data. */
interface SeenLine {
  epoch: string;
  frontier: number;
  nextTicket: number;
}

function limitArgs(limits: RoomLimits, line?: SeenLine): (string | number)[] {
  return [
    limits.maxActive,
    limits.admitPerMinute,
    limits.admitBurst,
    Math.round(limits.sessionIdleSeconds * 1000),
    Math.round(limits.noShowSeconds * 1000),
    line ? `${line.epoch}|${line.frontier}|${line.nextTicket}` : randomId(9),
    Math.round(limits.abandonAfterSeconds * 1000),
    limits.admitting ? 1 : 0,
    limits.queueAll ? 1 : 0,
  ];
}

/** Ended passes read per script call. */
const ENDED_PAGE = 500;

/** How long a drawn lottery's record is kept: as long as its tickets can be used. */
const LOTTERY_KEEP_SECONDS = 2 * 24 * 3600;

function asArray(reply: unknown, script: string): unknown[] {
  if (!Array.isArray(reply)) throw new Error(`unexpected reply from ${script}.lua`);
  return reply;
}

/**
 * The waiting room on Redis: one global line, active count and token bucket shared by every Sảnh
 * instance. Each instance remembers the line as its last tick saw it; if Redis comes back
 * without its data, the first script to touch the room resumes that line (same epoch, frontier
 * and end), so signed tickets keep their places and signed passes are taken back in. Each operation is one Lua script (`lua/`), atomic, on the Redis clock. Takes any
 * ioredis client; a room's keys share one hash tag, so a Cluster client works too (tested here on
 * standalone Redis only).
 */
export function createRedisWaitingRoomStore(options: { client: RedisClient; keyPrefix?: string; ownsClient?: boolean }): WaitingRoomStore {
  const { client } = options;
  const prefix = options.keyPrefix ?? 'sanh';
  const lines = new Map<string, SeenLine>();
  const argsOf = (roomId: string, limits: RoomLimits) => limitArgs(limits, lines.get(roomId));
  const keysOf = (roomId: string) => {
    const keys = roomKeys(prefix, roomId);
    return [keys.state, keys.active, keys.lapsed, keys.seen, keys.returned];
  };
  /** The room's keys, then its bindings hash and ended stream (the scripts that bind or end passes). */
  const boundKeysOf = (roomId: string) => {
    const keys = roomKeys(prefix, roomId);
    return [keys.state, keys.active, keys.lapsed, keys.seen, keys.returned, keys.bindings, keys.ended];
  };

  return {
    async tick(roomId, limits): Promise<RoomSnapshot> {
      const [epoch, frontier, nextTicket, active, tokens, admittedTotal, at, abandonedTotal, returned, resumedAt] = asArray(
        await scripts.tick.run(client, keysOf(roomId), argsOf(roomId, limits)),
        'tick',
      );
      lines.set(roomId, { epoch: String(epoch), frontier: Number(frontier), nextTicket: Number(nextTicket) });
      const snapshot = {
        epoch: String(epoch),
        frontier: Number(frontier),
        nextTicket: Number(nextTicket),
        active: Number(active),
        tokens: Number(tokens),
        admittedTotal: Number(admittedTotal),
        abandonedTotal: Number(abandonedTotal),
        returned: Number(returned),
        at: Number(at),
        ...(Number(resumedAt) > 0 ? { resumedAt: Number(resumedAt) } : {}),
      };
      return { ...snapshot, waiting: snapshot.nextTicket - 1 - snapshot.frontier };
    },

    async join(roomId, limits, visitorId): Promise<JoinOutcome> {
      const [kind, epoch, ticket, position] = asArray(await scripts.join.run(client, keysOf(roomId), [...argsOf(roomId, limits), visitorId]), 'join');
      if (kind === 1) return { kind: 'admitted', epoch: String(epoch) };
      const line = lines.get(roomId);
      if (line && line.epoch === String(epoch) && Number(ticket) >= line.nextTicket) line.nextTicket = Number(ticket) + 1;
      return { kind: 'queued', epoch: String(epoch), ticket: Number(ticket), position: Number(position) };
    },

    async claim(roomId, limits, ticket, visitorId, binding) {
      const [kind, position] = asArray(
        await scripts.claim.run(client, boundKeysOf(roomId).slice(0, 6), [
          ...argsOf(roomId, limits),
          ticket.number,
          ticket.epoch,
          visitorId,
          binding ?? '',
          REDEEM_AGAIN_WINDOW_MS,
        ]),
        'claim',
      );
      if (kind === 4) return { kind: 'spent' };
      if (kind === 1) return Number(position) === 1 ? { kind: 'admitted', again: true } : { kind: 'admitted' };
      if (kind === 2) return { kind: 'queued', position: Number(position) };
      return { kind: 'unknown' };
    },

    async touch(roomId, limits, visitorIds) {
      if (visitorIds.length === 0) return [];
      const gone = asArray(await scripts.touch.run(client, keysOf(roomId), [...argsOf(roomId, limits), ...visitorIds]), 'touch');
      return gone.map(String);
    },

    async markSeen(roomId, limits, tickets) {
      if (tickets.length === 0) return;
      await scripts.seen.run(client, keysOf(roomId), [...argsOf(roomId, limits), ...tickets]);
    },

    async adopt(roomId, limits, visitorIds) {
      if (visitorIds.length === 0) return;
      await scripts.adopt.run(client, keysOf(roomId), [...argsOf(roomId, limits), ...visitorIds]);
    },

    async release(roomId, limits, visitorId) {
      await scripts.release.run(client, keysOf(roomId), [...argsOf(roomId, limits), visitorId]);
    },

    async rebind(roomId, limits, visitorId, generation, binding, keepSeconds) {
      const [kind, rebound] = asArray(
        await scripts.rebind.run(client, boundKeysOf(roomId), [
          ...argsOf(roomId, limits),
          visitorId,
          generation,
          binding,
          Math.max(1_000, Math.ceil(keepSeconds * 1000)),
        ]),
        'rebind',
      );
      return kind === 1 ? { kind: 'rebound', generation: Number(rebound) } : { kind: 'refused' };
    },

    async endSession(roomId, limits, visitorId, keepSeconds) {
      await scripts.end.run(client, boundKeysOf(roomId), [...argsOf(roomId, limits), visitorId, Math.max(1_000, Math.ceil(keepSeconds * 1000))]);
    },

    async endedSince(roomId, cursor) {
      const ended: EndedPass[] = [];
      let at = cursor ?? '-';
      // A bounded number of pages per call: the rest comes with the next sync.
      for (let page = 0; page < 20; page++) {
        const reply = asArray(await scripts.ended.run(client, [roomKeys(prefix, roomId).ended], [at, ENDED_PAGE]), 'ended');
        const next = String(reply[0]);
        for (let i = 1; i + 2 < reply.length; i += 3) {
          const generation = String(reply[i + 1]);
          ended.push({ visitor: String(reply[i]), generation: generation === '*' ? null : Number(generation), remainingMs: Number(reply[i + 2]) });
        }
        if (next === at) break;
        at = next;
      }
      return { ended, cursor: at };
    },

    async enterLottery(roomId, eventId, entry, seedCandidate, keepSeconds) {
      const keys = lotteryKeys(prefix, roomId, eventId);
      const [seed, recorded] = asArray(
        await scripts.lotteryEnter.run(client, [keys.meta, keys.entries], [entry, seedCandidate, Math.max(60, Math.ceil(keepSeconds))]),
        'lottery-enter',
      );
      return { seed: String(seed), recorded: recorded === 1 };
    },

    async lotteryRecord(roomId, eventId) {
      const keys = lotteryKeys(prefix, roomId, eventId);
      const [meta, entries] = await Promise.all([client.hmget(keys.meta, 'seed', 'drawn'), client.lrange(keys.entries, 0, -1)]);
      return { seed: meta[0] ?? undefined, entries, drawn: meta[1] === '1' };
    },

    async drawLottery(roomId, limits, eventId, order) {
      const keys = lotteryKeys(prefix, roomId, eventId);
      const distinct = [...new Set(order)];
      const given = await scripts.lotteryDraw.run(
        client,
        [...keysOf(roomId), keys.meta, keys.entries, keys.tickets],
        [...argsOf(roomId, limits), LOTTERY_KEEP_SECONDS, distinct.length, ...distinct],
      );
      return given === -1 ? 'changed' : 'drawn';
    },

    async lotteryPlace(roomId, eventId, entry) {
      const keys = lotteryKeys(prefix, roomId, eventId);
      const [drawn, number, epoch] = await Promise.all([
        client.hget(keys.meta, 'drawn'),
        client.hget(keys.tickets, entry),
        client.hget(roomKeys(prefix, roomId).state, 'epoch'),
      ]);
      if (number && epoch) return { kind: 'ticket', number: Number(number), epoch };
      if (drawn === '1') return { kind: 'unknown' };
      return (await client.lpos(keys.entries, entry)) === null ? { kind: 'unknown' } : { kind: 'pending' };
    },

    async ping() {
      await pingPrimaries(client);
    },

    async close() {
      if (options.ownsClient) await client.quit().catch(() => client.disconnect());
    },
  };
}
