/**
 * The admission core: a deterministic model of one room. State and `now` go in, an outcome comes
 * out; no I/O and no clock. The in-memory store runs it directly; the Redis store runs the same
 * algorithm in Lua (`lua/*.lua`), and one contract suite holds both to the same behaviour.
 *
 * Mirrored by `src/waiting-room/lua/`: `join` by join.lua, `claim` by claim.lua, `tick` by
 * tick.lua, `touch` by touch.lua, `markSeen` by seen.lua, `adopt` by adopt.lua, `release` by
 * release.lua (and end.lua), `enterLottery` by lottery-enter.lua, `drawLottery` by
 * lottery-draw.lua, and `newRoomState`, `settle`, `snapshotOf`, `advance`, `admit`, `canAdmitNow`,
 * `takeTicket` by includes/room.lua: change both, then run `src/waiting-room/store.contract.ts`
 * (`vitest run src/waiting-room/memory-store.test.ts tests/integration/redis-store.test.ts`).
 *
 * The line is two counters: tickets are numbered from 1 as visitors join (`nextTicket`), and the
 * serving `frontier` is the highest ticket whose turn has come. Calling a ticket reserves a slot
 * (`t:<n>` in `active`) for `noShowSeconds`; the visitor claims it with their signed ticket and it
 * becomes their session (their visitor id in `active`, renewed by activity for
 * `sessionIdleSeconds`). Unclaimed reservations lapse (no-shows) and free the slot; a lapsed
 * ticket keeps priority for `sessionIdleSeconds` if its holder comes back late. Admissions, direct
 * or from the line, take one token from a bucket that refills at `admitPerMinute / 60` per second
 * and holds at most `admitBurst`.
 *
 * Abandonment: every waiting ticket has a last-seen time (`seen`, seconds), set when it is issued
 * and renewed in batches as its holder's page asks for news. When its turn comes, a ticket unseen
 * for `abandonAfterSeconds` is skipped without taking a slot or a token and marked `SKIPPED`; a
 * skipped or lapsed ticket whose holder comes back is admitted at once if a slot and a token are
 * free, and otherwise joins the `returned` list, which the line serves before the next new ticket.
 *
 * Modes reach the core as two switches: `admitting` (false while paused: nobody is called or let
 * in, places are kept) and `queueAll` (nobody is admitted on arrival; everyone takes a ticket).
 * Neither touches the line's order.
 */

/** `seen` value of a ticket skipped as abandoned: its holder may still come back. */
export const SKIPPED = 1;
/** `seen` value of a skipped ticket whose holder came back and was served. */
export const USED = 2;
/** Most abandoned tickets one advance skips, so one call never runs long. */
export const MAX_SKIPS_PER_ADVANCE = 1000;

/** The limits of one room, as the store needs them. */
export interface RoomLimits {
  maxActive: number;
  admitPerMinute: number;
  admitBurst: number;
  sessionIdleSeconds: number;
  noShowSeconds: number;
  abandonAfterSeconds: number;
  /** False while the room is paused: nobody is called or admitted; places are kept. */
  admitting: boolean;
  /** True in `queue-all` mode: arrivals always take a ticket, even when slots are free. */
  queueAll: boolean;
}

/** Everything the store keeps for one room. */
export interface RoomState {
  /** Random id of this line's lifetime; tickets from another lifetime are unknown. */
  epoch: string;
  nextTicket: number;
  frontier: number;
  tokens: number;
  refilledAt: number;
  admittedTotal: number;
  /** Member → expiry (ms). Members are visitor ids (sessions) and `t:<n>` (reservations). */
  active: Map<string, number>;
  /** `t:<n>` → when the reservation lapsed (ms). */
  lapsed: Map<string, number>;
  /** A lower bound of the earliest expiry in `active`, so pruning can skip the scan. */
  earliestExpiry: number;
  /** Ticket number → last seen (seconds), or `SKIPPED` / `USED`. */
  seen: Map<number, number>;
  /** `t:<n>` → when a skipped or lapsed ticket's holder came back and found no free slot (ms). */
  returned: Map<string, number>;
  abandonedTotal: number;
  /** Pre-queue lotteries by event id. */
  lotteries: Map<string, Lottery>;
}

/** One event's pre-queue: the seed (first writer wins), entries in arrival order, and once drawn, each entry's ticket. */
export interface Lottery {
  seed: string;
  entries: string[];
  tickets: Map<string, number> | undefined;
}

/** What a lottery entry holder learns of their place. */
export type LotteryPlace = { kind: 'ticket'; number: number; epoch: string } | { kind: 'pending' } | { kind: 'unknown' };

/** What every instance's status snapshot is built from. */
export interface RoomSnapshot {
  epoch: string;
  frontier: number;
  nextTicket: number;
  /** Tickets issued but not yet called. */
  waiting: number;
  /** Sessions plus reserved slots. */
  active: number;
  tokens: number;
  /** Admissions since the line began (called tickets, direct and late admissions). */
  admittedTotal: number;
  /** Tickets skipped because their holders had stopped asking for news. */
  abandonedTotal: number;
  /** Holders of skipped or lapsed tickets who came back and wait for a slot. */
  returned: number;
  /** When the store resumed this line from an instance's memory after losing its data (recently), else undefined. */
  resumedAt?: number;
  /** The store's clock when the snapshot was taken (ms). */
  at: number;
}

/** The outcome of a visitor with no pass arriving. */
export type JoinOutcome = { kind: 'admitted'; epoch: string } | { kind: 'queued'; epoch: string; ticket: number; position: number };

/** The outcome of a ticket holder asking whether their turn has come. */
export type ClaimOutcome =
  /** `again`: the visitor held a session already (a second tab, a retried request): not a new admission. */
  | { kind: 'admitted'; again?: true }
  | { kind: 'queued'; position: number }
  /** The ticket belongs to another line lifetime, or its priority ran out: join again. */
  | { kind: 'unknown' };

/** Creates the state of a room nobody has visited yet: an empty line and a full bucket. */
export function newRoomState(limits: RoomLimits, now: number, epoch: string): RoomState {
  return {
    epoch,
    nextTicket: 1,
    frontier: 0,
    tokens: limits.admitBurst,
    refilledAt: now,
    admittedTotal: 0,
    active: new Map(),
    lapsed: new Map(),
    earliestExpiry: Number.POSITIVE_INFINITY,
    seen: new Map(),
    returned: new Map(),
    abandonedTotal: 0,
    lotteries: new Map(),
  };
}

/** The reservation member for ticket `n`. */
export function reservationMember(ticket: number): string {
  return `t:${ticket}`;
}

function putActive(state: RoomState, member: string, expiresAt: number): void {
  state.active.set(member, expiresAt);
  if (expiresAt < state.earliestExpiry) state.earliestExpiry = expiresAt;
}

function prune(state: RoomState, limits: RoomLimits, now: number): void {
  if (now >= state.earliestExpiry) {
    let earliest = Number.POSITIVE_INFINITY;
    for (const [member, expiresAt] of state.active) {
      if (expiresAt <= now) {
        state.active.delete(member);
        if (member.startsWith('t:')) state.lapsed.set(member, now);
      } else if (expiresAt < earliest) {
        earliest = expiresAt;
      }
    }
    state.earliestExpiry = earliest;
  }
  const lapsedBefore = now - limits.sessionIdleSeconds * 1000;
  for (const [member, lapsedAt] of state.lapsed) {
    if (lapsedAt <= lapsedBefore) state.lapsed.delete(member);
  }
}

function refill(state: RoomState, limits: RoomLimits, now: number): void {
  const elapsed = Math.max(0, now - state.refilledAt);
  state.tokens = Math.min(limits.admitBurst, state.tokens + (elapsed * limits.admitPerMinute) / 60_000);
  state.refilledAt = now;
}

function isAbandoned(seen: number | undefined, limits: RoomLimits, now: number): boolean {
  return seen !== undefined && seen > USED && seen * 1000 <= now - limits.abandonAfterSeconds * 1000;
}

function advance(state: RoomState, limits: RoomLimits, now: number): void {
  if (!limits.admitting) return;
  let budget = Math.min(Math.floor(state.tokens), limits.maxActive - state.active.size);
  if (budget <= 0) return;
  const reservedUntil = now + limits.noShowSeconds * 1000;
  const returning = [...state.returned].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  for (const [member] of returning) {
    if (budget <= 0) break;
    state.returned.delete(member);
    putActive(state, member, reservedUntil);
    state.tokens -= 1;
    state.admittedTotal += 1;
    budget -= 1;
  }
  let skips = 0;
  while (budget > 0 && state.frontier < state.nextTicket - 1 && skips < MAX_SKIPS_PER_ADVANCE) {
    const ticket = state.frontier + 1;
    state.frontier = ticket;
    const seen = state.seen.get(ticket);
    if (isAbandoned(seen, limits, now)) {
      state.seen.set(ticket, SKIPPED);
      state.abandonedTotal += 1;
      skips += 1;
      continue;
    }
    state.seen.delete(ticket);
    putActive(state, reservationMember(ticket), reservedUntil);
    state.tokens -= 1;
    state.admittedTotal += 1;
    budget -= 1;
  }
}

/** Brings the room up to `now`: frees idle sessions and no-shows, refills tokens, calls tickets. */
export function settle(state: RoomState, limits: RoomLimits, now: number): void {
  prune(state, limits, now);
  refill(state, limits, now);
  advance(state, limits, now);
}

/** Reads the room's figures (call after `settle`). */
export function snapshotOf(state: RoomState, now: number): RoomSnapshot {
  return {
    epoch: state.epoch,
    frontier: state.frontier,
    nextTicket: state.nextTicket,
    waiting: state.nextTicket - 1 - state.frontier,
    active: state.active.size,
    tokens: state.tokens,
    admittedTotal: state.admittedTotal,
    abandonedTotal: state.abandonedTotal,
    returned: state.returned.size,
    at: now,
  };
}

/** Advances the line and returns the snapshot; what every instance does a few times a second. */
export function tick(state: RoomState, limits: RoomLimits, now: number): RoomSnapshot {
  settle(state, limits, now);
  return snapshotOf(state, now);
}

function admit(state: RoomState, limits: RoomLimits, now: number, visitorId: string): void {
  state.tokens -= 1;
  state.admittedTotal += 1;
  putActive(state, visitorId, now + limits.sessionIdleSeconds * 1000);
}

function canAdmitNow(state: RoomState, limits: RoomLimits): boolean {
  return limits.admitting && state.active.size < limits.maxActive && state.tokens >= 1;
}

function takeTicket(state: RoomState, now: number): number {
  const ticket = state.nextTicket;
  state.nextTicket += 1;
  state.seen.set(ticket, Math.floor(now / 1000));
  return ticket;
}

/**
 * A visitor without a pass arrives: admitted at once when a slot and a token are free and nobody
 * is waiting; otherwise given the next ticket, at the back of the line. While people wait the
 * newcomer cannot be admitted, so the ticket is handed out without settling the room (the line
 * advances on every tick and claim); that keeps a join during a surge to two store commands.
 */
export function join(state: RoomState, limits: RoomLimits, now: number, visitorId: string): JoinOutcome {
  if (limits.queueAll || state.nextTicket - 1 - state.frontier > 0) {
    const ticket = takeTicket(state, now);
    return { kind: 'queued', epoch: state.epoch, ticket, position: Math.max(1, ticket - state.frontier) };
  }
  settle(state, limits, now);
  const waiting = state.nextTicket - 1 - state.frontier;
  if (waiting === 0 && canAdmitNow(state, limits)) {
    admit(state, limits, now, visitorId);
    return { kind: 'admitted', epoch: state.epoch };
  }
  const ticket = takeTicket(state, now);
  advance(state, limits, now);
  if (ticket <= state.frontier) return { kind: 'queued', epoch: state.epoch, ticket, position: 0 };
  return { kind: 'queued', epoch: state.epoch, ticket, position: ticket - state.frontier };
}

/**
 * A ticket holder asks whether their turn has come. A called ticket turns its reservation into
 * the visitor's session; a lapsed one is admitted if a slot and a token are free right now and
 * otherwise stays first in line; claiming twice is harmless.
 */
export function claim(state: RoomState, limits: RoomLimits, now: number, ticket: { number: number; epoch: string }, visitorId: string): ClaimOutcome {
  settle(state, limits, now);
  if (ticket.epoch !== state.epoch || ticket.number < 1 || ticket.number >= state.nextTicket) return { kind: 'unknown' };
  if (ticket.number > state.frontier) return { kind: 'queued', position: ticket.number - state.frontier };
  const member = reservationMember(ticket.number);
  if (state.active.has(visitorId)) {
    putActive(state, visitorId, now + limits.sessionIdleSeconds * 1000);
    return { kind: 'admitted', again: true };
  }
  if (state.active.delete(member)) {
    putActive(state, visitorId, now + limits.sessionIdleSeconds * 1000);
    return { kind: 'admitted' };
  }
  const skipped = state.seen.get(ticket.number) === SKIPPED;
  if (!skipped && !state.lapsed.has(member) && !state.returned.has(member)) return { kind: 'unknown' };
  if (!state.returned.has(member) && canAdmitNow(state, limits)) {
    state.lapsed.delete(member);
    if (skipped) state.seen.set(ticket.number, USED);
    admit(state, limits, now, visitorId);
    return { kind: 'admitted' };
  }
  if (!state.returned.has(member)) {
    state.lapsed.delete(member);
    if (skipped) state.seen.set(ticket.number, USED);
    state.returned.set(member, now);
  }
  return { kind: 'queued', position: returnedPosition(state, member) };
}

function returnedPosition(state: RoomState, member: string): number {
  const at = state.returned.get(member) ?? 0;
  let position = 1;
  for (const [other, otherAt] of state.returned) if (otherAt < at || (otherAt === at && other < member)) position += 1;
  return position;
}

/** Records that the holders of these waiting tickets asked for news now (abandonment detection). */
export function markSeen(state: RoomState, now: number, tickets: readonly number[]): void {
  const seconds = Math.floor(now / 1000);
  for (const ticket of tickets) {
    if (ticket > state.frontier && ticket < state.nextTicket) state.seen.set(ticket, seconds);
  }
}

/** Renews the sessions of visitors seen recently; returns the ids that no longer hold a slot. */
export function touch(state: RoomState, limits: RoomLimits, now: number, visitorIds: readonly string[]): string[] {
  settle(state, limits, now);
  const expiresAt = now + limits.sessionIdleSeconds * 1000;
  const gone: string[] = [];
  for (const id of visitorIds) {
    if (state.active.has(id)) state.active.set(id, expiresAt);
    else gone.push(id);
  }
  return gone;
}

/** Records a pre-queue entry; the first seed offered for an event is kept. Returns the event's seed. */
export function enterLottery(state: RoomState, eventId: string, entry: string, seedCandidate: string): { seed: string; recorded: boolean } {
  let lottery = state.lotteries.get(eventId);
  if (!lottery) {
    lottery = { seed: seedCandidate, entries: [], tickets: undefined };
    state.lotteries.set(eventId, lottery);
  }
  if (lottery.tickets) return { seed: lottery.seed, recorded: false };
  lottery.entries.push(entry);
  return { seed: lottery.seed, recorded: true };
}

/**
 * Draws an event's lottery once: gives the entries tickets in `order` (computed from the seed by
 * `lotteryOrder`), behind everyone already in line. A second draw changes nothing.
 */
export function drawLottery(state: RoomState, now: number, eventId: string, order: readonly string[]): 'drawn' | 'changed' {
  const lottery = state.lotteries.get(eventId);
  if (!lottery) {
    state.lotteries.set(eventId, { seed: '', entries: [], tickets: new Map() });
    return 'drawn';
  }
  if (lottery.tickets) return 'drawn';
  if (new Set(order).size !== new Set(lottery.entries).size) return 'changed';
  const entries = new Set(lottery.entries);
  lottery.tickets = new Map();
  for (const entry of order) {
    if (entries.has(entry) && !lottery.tickets.has(entry)) lottery.tickets.set(entry, takeTicket(state, now));
  }
  return 'drawn';
}

/** The place a lottery entry was given, `pending` before the draw, `unknown` for no such entry. */
export function lotteryPlace(state: RoomState, eventId: string, entry: string): LotteryPlace {
  const lottery = state.lotteries.get(eventId);
  if (!lottery) return { kind: 'unknown' };
  if (!lottery.tickets) return lottery.entries.includes(entry) ? { kind: 'pending' } : { kind: 'unknown' };
  const number = lottery.tickets.get(entry);
  return number === undefined ? { kind: 'unknown' } : { kind: 'ticket', number, epoch: state.epoch };
}

/**
 * Takes in sessions an instance admitted on its own while the store was unreachable, so their
 * passes keep working; they count against `maxActive` from now on (the line waits for room).
 */
export function adopt(state: RoomState, limits: RoomLimits, now: number, visitorIds: readonly string[]): void {
  settle(state, limits, now);
  const expiresAt = now + limits.sessionIdleSeconds * 1000;
  for (const id of visitorIds) if (!state.active.has(id)) putActive(state, id, expiresAt);
}

/** Frees a visitor's slot at once (the origin ended the session). True when a slot was freed. */
export function release(state: RoomState, limits: RoomLimits, now: number, visitorId: string): boolean {
  const freed = state.active.delete(visitorId);
  settle(state, limits, now);
  return freed;
}
