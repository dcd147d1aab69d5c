import type { SanhState } from '../platform/sanh-state.js';
import type { Context, MiddlewareHandler, Next } from 'hono';
import {
  cookieHeader,
  cookieValues,
  isHttps,
  mutableHeaders,
  respondWithError,
  safeLocalPath,
  readCookie,
  requestLang,
  wantsJson,
  type SanhEnv,
} from '../platform/http.js';
import type { Logger } from '../platform/logger.js';
import type { RoomConfig } from '../config/schema.js';
import { otherLang, type Lang } from '../platform/i18n.js';
import { SanhError } from '../platform/errors.js';
import { excessLevel } from './challenge/graduated.js';
import { BYPASS_COOKIE, bypassReason, clientKey, presentedBypass } from './bypass.js';
import { clientBinding } from './bindings.js';
import type { ClientLimiter, LimitKind, LimitOutcome } from './client-limits.js';
import { renderWaitingPage, type WaitingNotice } from './page.js';
import { statusUrlOf } from './pages/common.js';
import { renderClosedPage } from './pages/closed.js';
import { countdownBeatSeconds, renderCountdownPage } from './pages/countdown.js';
import { drawDueLotteries, mayNeedDraw } from './prequeue.js';
import { phaseAt } from './schedule.js';
import { gatePath, type RoomMatcher } from './rooms.js';
import { PASS_LINK_PARAMETER, type StaffPass, type StaffPasses } from './staff-pass.js';
import {
  cookieNames,
  decideKnownVisit,
  decideVisit,
  enterPrequeue,
  joinVisit,
  type CookieChanges,
  type QueueStatus,
  type Visit,
  type VisitDeps,
  type VisitorCookies,
} from './visit.js';

/** The JSON a status poll (or a queued JSON client) gets. */
export interface StatusBody {
  room: string;
  state: Extract<SanhState, 'admitted' | 'queued' | 'prequeue' | 'none'>;
  position: number | null;
  ahead: number | null;
  etaSeconds: number | null;
  pollAfterSeconds: number | null;
}

/** The status body of a visit. */
export function statusBody(visit: Visit): StatusBody {
  if (visit.state === 'queued') {
    const { position, ahead, etaSeconds, pollAfterSeconds } = visit.status;
    return { room: visit.room.id, state: 'queued', position, ahead, etaSeconds, pollAfterSeconds };
  }
  if (visit.state === 'admitted') {
    return { room: visit.room.id, state: 'admitted', position: 0, ahead: 0, etaSeconds: 0, pollAfterSeconds: null };
  }
  if (visit.state === 'prequeue') {
    return { room: visit.room.id, state: 'prequeue', position: null, ahead: null, etaSeconds: null, pollAfterSeconds: countdownBeatSeconds(visit.room) };
  }
  return { room: visit.room.id, state: 'none', position: null, ahead: null, etaSeconds: null, pollAfterSeconds: null };
}

function jsonNumber(value: number | null): string {
  return value === null || !Number.isFinite(value) ? 'null' : String(value);
}

/** `JSON.stringify(body)`, written out field by field (a few times faster on the status hot path). */
export function statusJson(body: StatusBody): string {
  return (
    `{"room":${JSON.stringify(body.room)},"state":"${body.state}","position":${jsonNumber(body.position)},"ahead":${jsonNumber(body.ahead)},` +
    `"etaSeconds":${jsonNumber(body.etaSeconds)},"pollAfterSeconds":${jsonNumber(body.pollAfterSeconds)}}`
  );
}

/** Reads a room's pass and ticket cookies from a `Cookie` header. */
export function cookiesFromHeader(header: string | undefined, roomId: string): VisitorCookies {
  const names = cookieNames(roomId);
  return { pass: readCookie(header, names.pass), ticket: readCookie(header, names.ticket) };
}

/** Reads a room's pass and ticket cookies from the request. */
export function visitorCookies(c: Context, roomId: string): VisitorCookies {
  return cookiesFromHeader(c.req.header('cookie'), roomId);
}

function sentTwice(header: string, name: string): boolean {
  const first = header.indexOf(name);
  return first >= 0 && header.indexOf(name, first + name.length) >= 0;
}

/** How many values of a cookie sent more than once are verified (each costs a MAC) before the first is taken. */
const MAX_DUPLICATE_COOKIES_TRIED = 4;

/**
 * The room's cookies a visitor brought, choosing well when a name comes more than once (another
 * path's stale cookie, or a junk value planted before the real one): the first pass and the first
 * ticket that verify for the room, else the first sent. A single value of each (every honest
 * browser's case) is read without a MAC, as `visitorCookies` does.
 */
export function broughtCookies(deps: Pick<GateDeps, 'tokens'>, header: string | undefined, roomId: string): VisitorCookies | Promise<VisitorCookies> {
  const first = cookiesFromHeader(header, roomId);
  const names = cookieNames(roomId);
  if (!header || (!sentTwice(header, names.pass) && !sentTwice(header, names.ticket))) return first;
  return (async () => {
    const firstValid = async (values: string[], valid: (value: string) => Promise<unknown>) => {
      for (const value of values.slice(0, MAX_DUPLICATE_COOKIES_TRIED)) if (await valid(value)) return value;
      return values[0];
    };
    return {
      pass: await firstValid(cookieValues(header, names.pass), (value) => deps.tokens.readPass(value, roomId)),
      ticket: await firstValid(cookieValues(header, names.ticket), (value) => deps.tokens.readTicket(value, roomId)),
    };
  })();
}

/** Appends the Set-Cookie headers a visit asks for. */
export function applyCookies(c: Context, headers: Headers, roomId: string, changes: CookieChanges): void {
  const names = cookieNames(roomId);
  let secure: boolean | undefined;
  for (const kind of ['pass', 'ticket'] as const) {
    const change = changes[kind];
    if (change === undefined) continue;
    secure ??= isHttps(c);
    headers.append('set-cookie', cookieHeader(names[kind], change?.value ?? '', change?.maxAgeSeconds ?? 0, secure));
  }
}

/** The page the visitor asked for (same-site only), and the same page in the other language. */
function pageLinks(c: Context, lang: Lang): { returnTo: string; otherLangUrl: string } {
  const url = new URL(c.req.url);
  const back = safeLocalPath(`${url.pathname}${url.search}`);
  const other = new URL(back, 'http://sanh.invalid');
  other.searchParams.set('lang', otherLang(lang));
  return { returnTo: back, otherLangUrl: `${other.pathname}${other.search}` };
}

/** The notice a queued visitor's page carries: the visit's own (store outage), else the room's mode. */
function noticeOf(visit: Visit & { state: 'queued' }, lang: Lang): WaitingNotice | undefined {
  const mode = visit.room.mode;
  if (visit.notice === 'store-unavailable') return { kind: 'store-unavailable' };
  if (mode === 'paused' || visit.notice === 'paused') {
    const message = visit.room.message?.[lang];
    return message ? { kind: 'paused', message } : { kind: 'paused' };
  }
  if (mode === 'queue-all' || visit.notice === 'queue-all') return { kind: 'queue-all' };
  return undefined;
}

/**
 * A 503 the gate answers itself, with `Retry-After`, `Sanh-Room` and `Sanh-State`: `json()` for
 * JSON clients, otherwise `page(lang)` in the visitor's language.
 */
function gateAnswer(
  c: Context<SanhEnv>,
  head: { room: string; state: string; retryAfterSeconds: number; cookies?: CookieChanges },
  json: () => string,
  page: (lang: Lang) => string,
): Response {
  const headers = new Headers({ 'cache-control': 'no-store', 'retry-after': String(head.retryAfterSeconds), 'sanh-room': head.room, 'sanh-state': head.state });
  if (head.cookies) applyCookies(c, headers, head.room, head.cookies);
  if (wantsJson(c)) {
    headers.set('content-type', 'application/json; charset=utf-8');
    return new Response(json(), { status: 503, headers });
  }
  const lang = requestLang(c);
  headers.set('content-type', 'text/html; charset=utf-8');
  headers.set('content-language', lang);
  return new Response(page(lang), { status: 503, headers });
}

/** The answer to a queued visitor: the waiting page, or the status JSON for JSON clients. */
export function queuedResponse(c: Context<SanhEnv>, visit: Visit & { state: 'queued' }): Response {
  const paused = visit.room.mode === 'paused';
  const status: QueueStatus = paused ? { ...visit.status, etaSeconds: null } : visit.status;
  return gateAnswer(
    c,
    { room: visit.room.id, state: paused ? 'paused' : 'queued', retryAfterSeconds: status.pollAfterSeconds, cookies: visit.cookies },
    () => statusJson(statusBody({ ...visit, status })),
    (lang) => {
      const notice = noticeOf(visit, lang);
      return renderWaitingPage({ lang, room: visit.room, status, ...pageLinks(c, lang), ...(notice ? { notice } : {}) });
    },
  );
}

/** The answer to a newcomer during an event's pre-queue: the countdown page, or the status JSON. */
export function prequeueResponse(c: Context<SanhEnv>, visit: Visit & { state: 'prequeue' }, now: number): Response {
  const body = statusBody(visit);
  return gateAnswer(
    c,
    { room: visit.room.id, state: 'prequeue', retryAfterSeconds: body.pollAfterSeconds ?? 10, cookies: visit.cookies },
    () => JSON.stringify({ ...body, opensAt: new Date(visit.event.opensAt).toISOString(), entry: visit.entry, commitment: visit.commitment ?? null }),
    (lang) =>
      renderCountdownPage({
        lang,
        room: visit.room,
        opensAt: visit.event.opensAt,
        now,
        entry: visit.entry,
        ...(visit.commitment ? { commitment: visit.commitment } : {}),
        statusUrl: statusUrlOf(visit.room.id),
        ...pageLinks(c, lang),
      }),
  );
}

/** The answer while a room is closed: the closed page or a JSON error; nothing reaches the origin. */
export function closedResponse(c: Context<SanhEnv>, room: RoomConfig, now: number): Response {
  const reopensAt = room.reopensAt ? Date.parse(room.reopensAt) : undefined;
  const retryAfterSeconds = reopensAt !== undefined && reopensAt > now ? Math.min(3600, Math.ceil((reopensAt - now) / 1000)) : 300;
  return gateAnswer(
    c,
    { room: room.id, state: 'closed', retryAfterSeconds },
    () => {
      const lang = requestLang(c);
      const message = room.message?.[lang] ?? (lang === 'vi' ? 'Dịch vụ đang tạm đóng.' : 'This service is closed for now.');
      return JSON.stringify({ error: { code: 'room_closed', message }, reopensAt: reopensAt === undefined ? null : new Date(reopensAt).toISOString() });
    },
    (lang) => {
      const message = room.message?.[lang];
      const { otherLangUrl } = pageLinks(c, lang);
      return renderClosedPage({ lang, room, ...(message ? { message } : {}), ...(reopensAt !== undefined ? { reopensAt } : {}), otherLangUrl, now });
    },
  );
}

/** Per-room counts of requests the gate let through without admission control. */
export interface GateCounters {
  passthrough: Map<string, number>;
  bypass: Map<string, number>;
}

/** The join challenge, as the gate uses it (see `challenge/`). */
export interface JoinChallenge {
  redeemProof(c: Context<SanhEnv>, room: RoomConfig, currentLevel?: () => number | Promise<number>): Promise<{ ok: true; clearCookie: string } | { ok: false }>;
  challengeResponse(c: Context<SanhEnv>, room: RoomConfig, level?: number): Promise<Response>;
}

/** What the gate needs. */
export interface GateDeps extends VisitDeps {
  rooms: RoomMatcher;
  logger: Logger;
  /** The client's address (after `trustProxyHops`), for bypass CIDRs and per-client limits. */
  clientAddress(c: Context): string | undefined;
  limiter: ClientLimiter;
  challenge?: JoinChallenge;
  counters: GateCounters;
  /** Staff bypass passes (issued by the admin API); absent: none are honoured. */
  staffPasses?: StaffPasses;
}

function count(counter: Map<string, number>, roomId: string): void {
  counter.set(roomId, (counter.get(roomId) ?? 0) + 1);
}

/** Throws a 429 (with `Retry-After`; pages retry by themselves) when `key` is over the room's limit for `kind`. */
export async function enforceLimit(deps: GateDeps, kind: LimitKind, room: RoomConfig, key: string): Promise<void> {
  const outcome = await deps.limiter.consume(kind, room, key);
  if (!outcome.allowed) throw limitError(kind, outcome.retryAfterSeconds);
}

/** The 429 of a refused limit (pages retry by themselves after `retryAfterSeconds`). */
export function limitError(kind: LimitKind, retryAfterSeconds: number): SanhError {
  const message =
    kind === 'join'
      ? 'Very many people are joining the line from this network right now. Please try again in a few seconds.'
      : 'Very many requests are arriving right now. Please try again in a few seconds.';
  return new SanhError('rate_limited', message, { retryAfterSeconds });
}

/**
 * How far past the room's join allowance the request's client address is this minute, for the
 * next join (0: within it; see `excessLevel`). Counts nothing: only joins count, so asking for
 * puzzles never makes the check harder for the others on the address.
 */
export function joinLevelOf(deps: Pick<GateDeps, 'limiter' | 'clientAddress'>, c: Context, room: RoomConfig): number | Promise<number> {
  const peeked = deps.limiter.peek('join', room, clientKey(deps.clientAddress(c)));
  const level = ({ taken, points }: { taken: number; points: number }) => excessLevel(taken + 1, points);
  return peeked instanceof Promise ? peeked.then(level) : level(peeked);
}

function levelOf(outcome: LimitOutcome): number {
  return outcome.allowed ? 0 : excessLevel(outcome.taken, outcome.points);
}

async function letThrough(c: Context<SanhEnv>, next: Next, roomId: string, state: Extract<SanhState, 'bypass' | 'passthrough'>): Promise<void> {
  c.set('sanhLetThrough', state);
  await next();
  const headers = mutableHeaders(c);
  headers.set('sanh-room', roomId);
  headers.set('sanh-state', state);
}

/** The staff pass the request presents (`Sanh-Bypass` header or `sanh_bypass` cookie), if valid for the room; no store round trip. */
function staffPassOf(c: Context, deps: GateDeps, room: RoomConfig): Promise<StaffPass | undefined> | undefined {
  const presented = deps.staffPasses ? presentedBypass({ header: (name) => c.req.header(name) }) : undefined;
  return presented === undefined ? undefined : deps.staffPasses?.read(presented, room);
}

/**
 * A pass link (`GET <room URL>?sanh_pass=<token>`): redirects to the same URL without the
 * parameter, so a pass never reaches the portal (its logs, its pages' Referer); with a valid pass
 * for the room, also sets the `sanh_bypass` cookie until the pass expires (a bad one then queues
 * like everyone). `undefined` for other requests.
 */
async function passLinkResponse(c: Context, passes: StaffPasses, room: RoomConfig, now: number): Promise<Response | undefined> {
  if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return undefined;
  const url = new URL(c.req.url);
  const token = url.searchParams.get(PASS_LINK_PARAMETER);
  if (token === null) return undefined;
  const pass = await passes.read(token, room);
  url.searchParams.delete(PASS_LINK_PARAMETER);
  const headers = new Headers({
    location: safeLocalPath(`${url.pathname}${url.search}`),
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'sanh-room': room.id,
  });
  if (pass) {
    headers.set('set-cookie', cookieHeader(BYPASS_COOKIE, token, Math.max(1, pass.expiresAt - Math.floor(now / 1000)), isHttps(c)));
    headers.set('sanh-state', 'bypass');
  }
  return new Response(null, { status: 302, headers });
}

/**
 * A visitor with no pass and no usable ticket: during a pre-queue, a lottery entry; otherwise a
 * place in line. Every join counts against the per-address join allowance. A visitor bringing a
 * solved challenge (a proof, spent here) joins at once, if its puzzle's level is not far below
 * the address's level now (a proof banked while few joined cannot be spent after many did).
 * Anyone else, within the allowance (and when the room does not ask everyone for the challenge),
 * joins; past it they are never turned away but asked for the challenge, graded by how far past
 * the allowance their address is, so that many citizens behind one shared address (carrier-grade
 * NAT, an office) all get places while a script pays for each extra one. Asking for a puzzle
 * counts nothing. Returns the visit, or the challenge response the visitor must see first.
 */
async function admitNewcomer(c: Context<SanhEnv>, deps: GateDeps, room: RoomConfig, now: number): Promise<Visit | Response> {
  const address = clientKey(deps.clientAddress(c));
  const proof = deps.challenge ? await deps.challenge.redeemProof(c, room, () => joinLevelOf(deps, c, room)) : undefined;
  if (proof?.ok) {
    c.header('set-cookie', proof.clearCookie, { append: true });
    await deps.limiter.consume('join', room, address);
  } else {
    const level = await joinLevelOf(deps, c, room);
    if (deps.challenge && (level > 0 || room.challenge?.enabled)) return deps.challenge.challengeResponse(c, room, level);
    const outcome = await deps.limiter.consume('join', room, address);
    if (!outcome.allowed) {
      if (deps.challenge) return deps.challenge.challengeResponse(c, room, levelOf(outcome));
      throw limitError('join', outcome.retryAfterSeconds);
    }
  }
  const binding = clientBinding(deps.clientAddress(c), c.req.header('user-agent'));
  const phase = phaseAt(room, now);
  if (phase.kind === 'prequeue') return enterPrequeue(deps, room, phase.event, binding);
  if (mayNeedDraw(room, now)) await drawDueLotteries(deps.store, room, now).catch(() => undefined);
  return joinVisit(deps, room, binding);
}

/**
 * The waiting room gate, a Hono middleware. In order: requests in no room, and Sảnh's own paths,
 * pass through; bypass rules (paths, extensions, addresses, secrets) and staff passes skip the
 * line (`Sanh-State: bypass`; a pass link `?sanh_pass=` sets the pass cookie and redirects); a
 * closed room answers with its closed page and never calls the origin; a passthrough room lets
 * everyone through, counted; otherwise a request is let through (`next()`) only for an admitted
 * visitor, and everyone else gets the waiting page (or the countdown page during a pre-queue). The origin ends a session with the response header
 * `Sanh-Session: end`. Works in front of a proxy handler (Sảnh) or a portal's own routes.
 */
export function waitingRoomGate(deps: GateDeps): MiddlewareHandler<SanhEnv> {
  const { rooms, activity, logger, counters } = deps;
  return async function sanhGate(c, next) {
    const path = gatePath(c, rooms);
    const room = rooms.match(c.req.header('host'), path);
    if (!room || path === '/_sanh' || path.startsWith('/_sanh/')) {
      await next();
      mutableHeaders(c).set('sanh-state', 'passthrough');
      return;
    }
    c.set('sanhRoom', room.id);
    if (deps.staffPasses && c.req.url.includes(`${PASS_LINK_PARAMETER}=`)) {
      const linked = await passLinkResponse(c, deps.staffPasses, room, deps.clock());
      if (linked) return linked;
    }
    const ruled = room.bypass && bypassReason(room, { method: c.req.method, path, clientAddress: deps.clientAddress(c), header: (name) => c.req.header(name) });
    const staffPass = ruled ? undefined : staffPassOf(c, deps, room);
    if (ruled || (staffPass && (await staffPass))) {
      count(counters.bypass, room.id);
      return letThrough(c, next, room.id, 'bypass');
    }
    if (room.mode === 'closed') return closedResponse(c, room, deps.clock());
    if (room.mode === 'passthrough') {
      count(counters.passthrough, room.id);
      return letThrough(c, next, room.id, 'passthrough');
    }
    const chosen = broughtCookies(deps, c.req.header('cookie'), room.id);
    const brought = chosen instanceof Promise ? await chosen : chosen;
    brought.binding = clientBinding(deps.clientAddress(c), c.req.header('user-agent'));
    let visit = decideKnownVisit(deps, room, brought) ?? (await decideVisit(deps, room, brought, false));
    if (visit.state === 'none') {
      const joined = await admitNewcomer(c, deps, room, deps.clock());
      if (joined instanceof Response) return joined;
      visit = { ...joined, cookies: { ...visit.cookies, ...joined.cookies } } as Visit;
    }
    if (visit.state === 'queued') return queuedResponse(c, visit);
    if (visit.state === 'prequeue') return prequeueResponse(c, visit, deps.clock());
    if (visit.state !== 'admitted') throw new Error('the gate always seats a visitor it does not admit');
    const perPass = deps.limiter.consume('request', room, visit.visitor);
    const passOutcome = perPass instanceof Promise ? await perPass : perPass;
    if (!passOutcome.allowed) {
      const refused = respondWithError(c, limitError('request', passOutcome.retryAfterSeconds));
      applyCookies(c, refused.headers, room.id, visit.cookies);
      return refused;
    }
    await next();
    const headers = mutableHeaders(c);
    let cookies = visit.cookies;
    if (headers.get('sanh-session')?.trim().toLowerCase() === 'end') {
      headers.delete('sanh-session');
      cookies = { ...cookies, pass: null };
      activity.end(room.id, visit.visitor).catch((error: unknown) => {
        logger.warn('could not free an ended session; it will expire when idle', { room: room.id, error: String(error) });
      });
    } else {
      activity.note(room.id, visit.visitor);
    }
    applyCookies(c, headers, room.id, cookies);
    headers.set('sanh-room', room.id);
    headers.set('sanh-state', 'admitted');
  };
}
