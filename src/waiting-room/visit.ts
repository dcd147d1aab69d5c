import { SANH_COOKIES } from '../platform/cookie-names.js';
import type { RoomConfig } from '../config/schema.js';
import type { Clock } from '../platform/clock.js';
import { SanhError } from '../platform/errors.js';
import { randomId } from '../platform/random-id.js';
import type { Logger } from '../platform/logger.js';
import { inSpan, recordActiveError, type Span } from '../telemetry/tracing.js';
import { endedListingSeconds, type ActivityTracker } from './activity.js';
import type { StoreFallback } from './fallback.js';
import { waitedSeconds, type WaitTimes } from './wait-times.js';
import { knownCommitment, newEntry } from './prequeue.js';
import { phaseAt, type ScheduledEvent } from './schedule.js';
import { estimateWaitSeconds, pollAfterSeconds } from './eta.js';
import { limitsOf } from './rooms.js';
import type { SnapshotLoop } from './snapshots.js';
import type { WaitingRoomStore } from './store.js';
import { TICKET_LIFETIME_SECONDS, type Pass, type Ticket, type WaitingRoomTokens } from './tokens.js';

/** The cookies a visitor may bring for a room. */
export interface VisitorCookies {
  pass: string | undefined;
  ticket: string | undefined;
  /**
   * The client's binding (`clientBinding` in `bindings.ts`). Given, a pass bound to another client
   * is admitted only after a store-side rebinding, a ticket is redeemed for this client only, and
   * new passes are bound to it. Absent (library callers, the in-memory status fast path): passes
   * are neither checked nor bound.
   */
  binding?: string;
}

/** Cookie names of a room. */
export function cookieNames(roomId: string): { pass: string; ticket: string } {
  return { pass: SANH_COOKIES.pass(roomId), ticket: SANH_COOKIES.ticket(roomId) };
}

/** What the visitor's waiting page or status shows. */
export interface QueueStatus {
  /** Place in line (1 = next), or `null` while it cannot be known (the store is unreachable). */
  position: number | null;
  ahead: number | null;
  etaSeconds: number | null;
  pollAfterSeconds: number;
  /** This instance's clock when the figures were read (ms). */
  updatedAt: number;
}

/** Cookies to set on the response. `undefined` leaves a cookie alone, `null` deletes it. */
export interface CookieChanges {
  pass?: { value: string; maxAgeSeconds: number } | null;
  ticket?: { value: string; maxAgeSeconds: number } | null;
}

/** Why a queued visitor's page says more than their place: the room is paused, everyone queues, or the store is unreachable. */
export type QueueNotice = 'paused' | 'queue-all' | 'store-unavailable';

/**
 * The outcome of a visit: a value, never an exception. While the store is unreachable the
 * room's `onStoreFailure` policy decides (see `outageVisit`); without a fallback, store faults
 * are thrown as SanhError.
 */
export type Visit =
  | { state: 'admitted'; room: RoomConfig; visitor: string; cookies: CookieChanges }
  | { state: 'queued'; room: RoomConfig; status: QueueStatus; cookies: CookieChanges; notice?: QueueNotice; visitor?: string }
  | { state: 'prequeue'; room: RoomConfig; event: ScheduledEvent; entry: string; commitment: string | undefined; cookies: CookieChanges }
  | { state: 'none'; room: RoomConfig; cookies: CookieChanges };

/** Everything a visit decision needs. */
export interface VisitDeps {
  store: WaitingRoomStore;
  tokens: WaitingRoomTokens;
  snapshots: SnapshotLoop;
  activity: ActivityTracker;
  clock: Clock;
  /** This instance's own admissions while the store is unreachable; without it, store faults are errors. */
  fallback?: StoreFallback;
  /** Where the waits of visitors admitted from the line are observed (the metrics). */
  waits?: WaitTimes;
  logger?: Logger;
}

function storeFault(error: unknown): SanhError {
  return new SanhError('store_unavailable', 'The waiting room is briefly unavailable. Please try again in a few seconds.', {
    cause: error,
    retryAfterSeconds: 5,
  });
}

/**
 * Decides a visit to a room from the visitor's cookies. With `join`, a visitor with no valid pass
 * or ticket joins the line (the gate); without, they are reported as `none` (the status API).
 * A valid pass costs no store round trip; a ticket far from the front is answered from the
 * snapshot; only a ticket whose turn may have come, or a new arrival, reaches the store.
 * Callers on a hot path try `decideKnownVisit` first.
 */
export async function decideVisit(deps: VisitDeps, room: RoomConfig, cookies: VisitorCookies, join: boolean): Promise<Visit> {
  const { tokens, activity } = deps;
  const { binding } = cookies;
  const pass = await tokens.readPass(cookies.pass, room.id);
  if (pass) {
    const revoked = activity.isRevoked(room.id, pass.visitor, pass.generation);
    if (!revoked && (binding === undefined || pass.binding === binding)) {
      return { state: 'admitted', room, visitor: pass.visitor, cookies: await renewedPass(deps, room, pass) };
    }
    if (binding !== undefined && !activity.isEnded(room.id, pass.visitor)) {
      const rebound = await rebindPass(deps, room, pass, binding);
      if (rebound) return rebound;
    }
  }
  const dropPass: CookieChanges = cookies.pass ? { pass: null } : {};
  const ticket = await tokens.readTicket(cookies.ticket, room.id);
  if (ticket) {
    const visit = ticket.lottery ? await visitWithEntry(deps, room, ticket, binding) : await visitWithTicket(deps, room, ticket, binding);
    if (visit) return { ...visit, cookies: { ...dropPass, ...visit.cookies } };
  }
  const dropTicket: CookieChanges = cookies.ticket ? { ticket: null } : {};
  if (!join) return { state: 'none', room, cookies: { ...dropPass, ...dropTicket } };
  const visit = await joinVisit(deps, room, binding);
  return { ...visit, cookies: { ...dropPass, ...dropTicket, ...visit.cookies } };
}

/**
 * A valid pass from another client than the one it is bound to (a phone that changed network, or
 * a copied cookie): the store decides (`rebind`). Rebound: admitted with a pass bound to this
 * client, one generation up, and the older generation revoked here at once (every other instance
 * from its next sync). A superseded pass comes here too: the store hands the client it is now
 * bound to the current generation (its requests in flight while it moved), anyone else is
 * refused. Refused (another client rebound it first, or the session is gone):
 * `undefined`, the visitor is treated as one without a pass. While the store is unreachable, the
 * pass is honoured as it is (its slot was held before the outage); without a fallback, the fault is thrown.
 */
async function rebindPass(deps: VisitDeps, room: RoomConfig, pass: Pass, binding: string): Promise<Visit | undefined> {
  const generation = pass.generation ?? 0;
  let outcome;
  try {
    outcome = await deps.store.rebind(room.id, limitsOf(room, deps.clock()), pass.visitor, generation, binding, endedListingSeconds(room));
  } catch (error) {
    if (!deps.fallback) throw storeFault(error);
    recordActiveError(storeFault(error));
    if (deps.activity.isRevoked(room.id, pass.visitor, pass.generation)) return undefined;
    return { state: 'admitted', room, visitor: pass.visitor, cookies: {} };
  }
  if (outcome.kind === 'refused') return undefined;
  deps.activity.supersede(room.id, pass.visitor, outcome.generation, endedListingSeconds(room) * 1000);
  return { state: 'admitted', room, visitor: pass.visitor, cookies: { pass: await signPass(deps, room, pass.visitor, binding, outcome.generation) } };
}

/**
 * The visits that need no MAC, no signing and no store, decided synchronously from memory: a
 * pass read before, not revoked and not yet due for renewal (admitted, no cookie change), or,
 * with no pass cookie at all, a ticket read before whose place the snapshot answers (queued).
 * Exactly what `decideVisit` would decide; `undefined` when only `decideVisit` can tell.
 */
export function decideKnownVisit(deps: VisitDeps, room: RoomConfig, cookies: VisitorCookies): Visit | undefined {
  const pass = deps.tokens.knownPass(cookies.pass, room.id);
  if (pass && !deps.activity.isRevoked(room.id, pass.visitor, pass.generation)) {
    if (cookies.binding !== undefined && pass.binding !== cookies.binding) return undefined;
    return passNeedsRenewal(deps, room, pass) ? undefined : { state: 'admitted', room, visitor: pass.visitor, cookies: {} };
  }
  if (cookies.pass !== undefined) return undefined;
  const ticket = deps.tokens.knownTicket(cookies.ticket, room.id);
  const status = ticket && statusFromSnapshot(deps, room, ticket);
  return status && ticket ? { state: 'queued', room, status, cookies: {}, visitor: ticket.visitor } : undefined;
}

function passNeedsRenewal(deps: VisitDeps, room: RoomConfig, pass: Pass): boolean {
  return !((pass.expiresAt * 1000 - deps.clock()) / 1000 > room.sessionIdleSeconds / 2);
}

async function renewedPass(deps: VisitDeps, room: RoomConfig, pass: Pass): Promise<CookieChanges> {
  return passNeedsRenewal(deps, room, pass) ? { pass: await signPass(deps, room, pass.visitor, pass.binding, pass.generation) } : {};
}

async function signPass(
  deps: VisitDeps,
  room: RoomConfig,
  visitor: string,
  binding?: string,
  generation?: number,
): Promise<{ value: string; maxAgeSeconds: number }> {
  const expiresAt = Math.floor(deps.clock() / 1000) + room.sessionIdleSeconds;
  const pass = { room: room.id, visitor, expiresAt, ...(binding !== undefined ? { binding } : {}), ...(generation ? { generation } : {}) };
  return { value: await deps.tokens.signPass(pass), maxAgeSeconds: room.sessionIdleSeconds };
}

function queueStatus(deps: VisitDeps, room: RoomConfig, position: number): QueueStatus {
  const rate = deps.snapshots.view(room.id)?.ratePerSecond;
  const eta = estimateWaitSeconds(position, rate);
  return {
    position,
    ahead: Math.max(0, position - 1),
    etaSeconds: eta ?? null,
    pollAfterSeconds: pollAfterSeconds(position, eta, room.noShowSeconds),
    updatedAt: deps.clock(),
  };
}

/** The ticket's place from this instance's snapshot, when the snapshot shows it still waiting. */
function statusFromSnapshot(deps: VisitDeps, room: RoomConfig, ticket: Ticket): QueueStatus | undefined {
  const view = deps.snapshots.view(room.id);
  if (view && view.snapshot.epoch === ticket.epoch && ticket.number > view.snapshot.frontier && ticket.number < view.snapshot.nextTicket) {
    deps.activity.noteWaiting(room.id, ticket.number);
    return queueStatus(deps, room, ticket.number - view.snapshot.frontier);
  }
  return undefined;
}

/** A join's or a claim's outcome on its span: the visit's state (`unknown`: no such ticket) and place in line. */
function describeVisit(span: Span, visit: Visit | undefined): void {
  span.setAttribute('sanh.queue.outcome', visit?.state ?? 'unknown');
  if (visit?.state !== 'queued') return;
  if (visit.status.position !== null) span.setAttribute('sanh.queue.position', visit.status.position);
  if (visit.notice) span.setAttribute('sanh.queue.notice', visit.notice);
}

/** A visit decided by the store, in a span named `name` (`sanh.queue.join`, `sanh.queue.claim`). */
function tracedVisit<V extends Visit | undefined>(name: string, room: RoomConfig, decide: () => Promise<V>): Promise<V> {
  return inSpan(name, async (span) => {
    if (span.isRecording()) span.setAttribute('sanh.room', room.id);
    const visit = await decide();
    if (span.isRecording()) describeVisit(span, visit);
    return visit;
  });
}

async function visitWithTicket(deps: VisitDeps, room: RoomConfig, ticket: Ticket, binding: string | undefined): Promise<Visit | undefined> {
  const known = statusFromSnapshot(deps, room, ticket);
  if (known) return { state: 'queued', room, status: known, cookies: {}, visitor: ticket.visitor };
  return tracedVisit('sanh.queue.claim', room, () => claimTurn(deps, room, ticket, binding));
}

/**
 * A ticket holder whose turn may have come asks the store: admitted (a pass for the ticket, bound
 * to this client), still queued, or unknown. A ticket already redeemed by another client (or by
 * this one too long ago) is spent: like an unknown one, its holder joins the line anew.
 */
async function claimTurn(deps: VisitDeps, room: RoomConfig, ticket: Ticket, binding: string | undefined): Promise<Visit | undefined> {
  let outcome;
  try {
    outcome = await deps.store.claim(room.id, limitsOf(room, deps.clock()), { number: ticket.number, epoch: ticket.epoch }, ticket.visitor, binding);
  } catch (error) {
    return outageVisit(deps, room, ticket, error, binding);
  }
  if (outcome.kind === 'unknown' || outcome.kind === 'spent') return undefined;
  if (outcome.kind === 'queued') {
    deps.activity.noteWaiting(room.id, ticket.number);
    return { state: 'queued', room, status: queueStatus(deps, room, outcome.position), cookies: {}, visitor: ticket.visitor };
  }
  if (!outcome.again) deps.waits?.observe(room.id, waitedSeconds(ticket, deps.clock()));
  return { state: 'admitted', room, visitor: ticket.visitor, cookies: { pass: await signPass(deps, room, ticket.visitor, binding), ticket: null } };
}

/** A pre-queue entry holder: the countdown before the opening; their drawn place after it. */
async function visitWithEntry(deps: VisitDeps, room: RoomConfig, entry: Ticket, binding: string | undefined): Promise<Visit | undefined> {
  const lottery = entry.lottery;
  if (!lottery) return undefined;
  const phase = phaseAt(room, deps.clock());
  if (phase.kind === 'prequeue' && phase.event.id === lottery.event) {
    return { state: 'prequeue', room, event: phase.event, entry: lottery.entry, commitment: knownCommitment(room.id, lottery.event), cookies: {} };
  }
  let place;
  try {
    place = await deps.store.lotteryPlace(room.id, lottery.event, lottery.entry);
  } catch (error) {
    return outageVisit(deps, room, undefined, error);
  }
  if (place.kind === 'unknown') return undefined;
  if (place.kind === 'pending') {
    const event = phase.kind === 'event' && phase.event.id === lottery.event ? phase.event : undefined;
    if (!event) return undefined;
    return {
      state: 'prequeue',
      room,
      event: { ...event, opensAt: deps.clock() },
      entry: lottery.entry,
      commitment: knownCommitment(room.id, lottery.event),
      cookies: {},
    };
  }
  const expiresAt = Math.floor(deps.clock() / 1000) + TICKET_LIFETIME_SECONDS;
  const ticket: Ticket = { kind: 'ticket', room: room.id, visitor: entry.visitor, number: place.number, epoch: place.epoch, expiresAt };
  const ticketCookie = { value: await deps.tokens.signTicket(ticket), maxAgeSeconds: TICKET_LIFETIME_SECONDS };
  const visit = await visitWithTicket(deps, room, ticket, binding);
  return visit ? { ...visit, cookies: { ticket: ticketCookie, ...visit.cookies } } : undefined;
}

/** A newcomer during an event's pre-queue: a lottery entry and the countdown page. */
export async function enterPrequeue(deps: VisitDeps, room: RoomConfig, event: ScheduledEvent, binding?: string): Promise<Visit> {
  let entry;
  try {
    entry = await newEntry(deps, room, event);
  } catch (error) {
    return outageVisit(deps, room, undefined, error, binding);
  }
  if (!entry) return joinVisit(deps, room, binding);
  return {
    state: 'prequeue',
    room,
    event,
    entry: entry.ticket.lottery?.entry ?? '',
    commitment: entry.commitment,
    cookies: { ticket: { value: entry.token, maxAgeSeconds: Math.max(60, entry.ticket.expiresAt - Math.floor(deps.clock() / 1000)) } },
  };
}

/**
 * A visitor without a pass or a usable ticket takes a place in line (or is admitted at once).
 * Callers check per-client limits and the join challenge first. Traced (`sanh.queue.join`).
 */
export function joinVisit(deps: VisitDeps, room: RoomConfig, binding?: string): Promise<Visit> {
  return tracedVisit('sanh.queue.join', room, () => takePlace(deps, room, binding));
}

async function takePlace(deps: VisitDeps, room: RoomConfig, binding: string | undefined): Promise<Visit> {
  const visitor = randomId();
  let outcome;
  try {
    outcome = await deps.store.join(room.id, limitsOf(room, deps.clock()), visitor);
  } catch (error) {
    return outageVisit(deps, room, undefined, error, binding);
  }
  if (outcome.kind === 'admitted') {
    return { state: 'admitted', room, visitor, cookies: { pass: await signPass(deps, room, visitor, binding) } };
  }
  const expiresAt = Math.floor(deps.clock() / 1000) + TICKET_LIFETIME_SECONDS;
  const ticket = await deps.tokens.signTicket({ room: room.id, visitor, number: outcome.ticket, epoch: outcome.epoch, expiresAt });
  const ticketCookie = { value: ticket, maxAgeSeconds: TICKET_LIFETIME_SECONDS };
  if (outcome.position === 0) {
    const claimed = await visitWithTicket(
      deps,
      room,
      { kind: 'ticket', room: room.id, visitor, number: outcome.ticket, epoch: outcome.epoch, expiresAt },
      binding,
    );
    if (claimed) return { ...claimed, cookies: { ticket: ticketCookie, ...claimed.cookies } };
  }
  return { state: 'queued', room, status: queueStatus(deps, room, Math.max(1, outcome.position)), cookies: { ticket: ticketCookie } };
}

/** How often a visitor seated during a store outage is asked to check again (seconds). */
const OUTAGE_POLL_SECONDS = 10;

/**
 * The store could not be reached. The policy, per room:
 * - a ticket the last snapshot shows called recently (within the last `maxActive` calls, so its
 *   slot was held before the outage) is admitted; older tickets are treated like anyone else;
 * - with `onStoreFailure: "open"`, anyone else is admitted while this instance's fallback share
 *   allows (`StoreFallback`); those sessions are handed to the store when it returns (`adopt`);
 * - otherwise the visitor is seated on the waiting page: a ticket holder keeps their ticket and
 *   their last known place, a newcomer gets no ticket and joins once the store is back.
 * Without a fallback (library use that wants faults), the fault is thrown.
 */
function outageVisit(deps: VisitDeps, room: RoomConfig, ticket: Ticket | undefined, error: unknown, binding?: string): Promise<Visit> | Visit {
  if (!deps.fallback) throw storeFault(error);
  recordActiveError(storeFault(error));
  // The outage itself is logged once, by the store's health check; each visit it decides only at debug.
  deps.logger?.debug?.('store unreachable: deciding this visit by the store-failure policy', {
    room: room.id,
    policy: room.onStoreFailure,
    error: String(error),
  });
  const now = deps.clock();
  const view = deps.snapshots.view(room.id);
  const called =
    ticket !== undefined &&
    view !== undefined &&
    view.snapshot.epoch === ticket.epoch &&
    ticket.number <= view.snapshot.frontier &&
    ticket.number > view.snapshot.frontier - limitsOf(room, now).maxActive;
  if (called || deps.fallback.take(room, now)) {
    const visitor = ticket?.visitor ?? randomId();
    deps.activity.adopt(room.id, visitor);
    return signPass(deps, room, visitor, binding).then((pass) => ({
      state: 'admitted',
      room,
      visitor,
      cookies: { pass, ...(ticket ? { ticket: null } : {}) },
    }));
  }
  const position = ticket && view && view.snapshot.epoch === ticket.epoch ? Math.max(1, ticket.number - view.snapshot.frontier) : null;
  const status: QueueStatus = {
    position,
    ahead: position === null ? null : position - 1,
    etaSeconds: null,
    pollAfterSeconds: OUTAGE_POLL_SECONDS,
    updatedAt: now,
  };
  return { state: 'queued', room, status, cookies: {}, notice: 'store-unavailable' };
}
