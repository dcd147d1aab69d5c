import { Hono, type Context } from 'hono';
import type { RoomConfig } from '../config/schema.js';
import { errorBody, SanhError } from '../platform/errors.js';
import { errorHeaders, REQUEST_ID_HEADER, type SanhEnv } from '../platform/http.js';
import type { LimitOutcome } from './client-limits.js';
import { applyCookies, broughtCookies, cookiesFromHeader, enforceLimit, limitError, statusBody, statusJson, type GateDeps, type StatusBody } from './gate.js';
import { clientKey } from './bypass.js';
import { clientBinding } from './bindings.js';
import { LOTTERY_ALGORITHM, lotteryOrder, sha256Hex } from './lottery.js';
import { scheduledEvents } from './schedule.js';
import { cookieNames, decideKnownVisit, decideVisit, type Visit, type VisitorCookies } from './visit.js';

/** The headers of every status answer, before cookies. */
function statusHeaders(body: StatusBody): Record<string, string> {
  return { 'cache-control': 'no-store', 'sanh-room': body.room, 'sanh-state': body.state };
}

/** The status route's answer: the status JSON, and the cookie changes the visit asks for. */
function statusResponse(c: Context<SanhEnv>, visit: Visit): Response {
  const body = statusBody(visit);
  const response = c.json(body, 200, statusHeaders(body));
  if (visit.cookies.pass !== undefined || visit.cookies.ticket !== undefined) applyCookies(c, response.headers, visit.room.id, visit.cookies);
  return response;
}

/** The room a status poll is about: `?room=`, else the room whose cookie the visitor holds, else the only room. */
function statusRoom(deps: GateDeps, requested: string | undefined, cookie: string): RoomConfig {
  const rooms = deps.rooms.all();
  const room = requested
    ? deps.rooms.byId(requested)
    : (rooms.find((r) => {
        const names = cookieNames(r.id);
        return cookie.includes(`${names.ticket}=`) || cookie.includes(`${names.pass}=`);
      }) ?? (rooms.length === 1 ? rooms[0] : undefined));
  if (!room) {
    throw new SanhError(requested ? 'not_found' : 'bad_request', requested ? `No room "${requested}".` : 'Say which room with ?room=.');
  }
  return room;
}

/**
 * The waiting room's public endpoints, mounted under `/_sanh`:
 * `GET /status` (the caller's own place in line) and `GET /lottery`; the waiting room adds the
 * probes (`platform/probes.ts`) and the challenge.
 */
export function waitingRoomRoutes(deps: GateDeps): Hono<SanhEnv> {
  const app = new Hono<SanhEnv>();

  app.get('/status', async (c) => {
    // An API: its faults are JSON whatever the Accept header, as the answers from memory are.
    c.set('errorsAsJson', true);
    const room = statusRoom(deps, c.req.query('room'), c.req.header('cookie') ?? '');
    c.set('sanhRoom', room.id);
    const chosen = broughtCookies(deps, c.req.header('cookie'), room.id);
    const cookies = chosen instanceof Promise ? await chosen : chosen;
    cookies.binding = clientBinding(deps.clientAddress(c), c.req.header('user-agent'));
    const judged = knownStatus(deps, room, cookies);
    const known = judged instanceof Promise ? await judged : judged;
    if (known) {
      if (known.refused) throw known.refused;
      return statusResponse(c, known.visit);
    }
    await enforceLimit(deps, 'status', room, (await verifiedVisitor(deps, room, cookies)) ?? clientKey(deps.clientAddress(c)));
    return statusResponse(c, await decideVisit(deps, room, cookies, false));
  });

  const drawnReports = new Map<string, Awaited<ReturnType<typeof lotteryReport>>>();
  app.get('/lottery', async (c) => {
    const room = statusRoom(deps, c.req.query('room'), '');
    c.set('sanhRoom', room.id);
    await enforceLimit(deps, 'status', room, clientKey(deps.clientAddress(c)));
    const key = `${room.id} ${c.req.query('event') ?? ''}`;
    const report = drawnReports.get(key) ?? (await lotteryReport(deps, room, c.req.query('event'), deps.clock()));
    if (report.drawn && drawnReports.size < 1000) drawnReports.set(key, report);
    return c.json(report, 200, { 'cache-control': report.drawn ? 'public, max-age=300' : 'no-store' });
  });

  return app;
}

/** What precedes the room id in the one URL shape `statusFromMemory` answers. */
const STATUS_PATH = '/_sanh/status?room=';

/** The room id of a `…/_sanh/status?room=<id>` URL, verbatim; `undefined` for any other path. */
function statusRoomId(url: string): string | undefined {
  const path = url.indexOf('/', url.indexOf(':') + 3);
  return path >= 0 && url.startsWith(STATUS_PATH, path) ? url.slice(path + STATUS_PATH.length) : undefined;
}

/** A poll from a visitor this instance already knows: their visit, and the 429 when the poll is over their limit. */
interface KnownStatus {
  visit: Visit;
  refused?: SanhError;
}

/**
 * The decision on a poll from a visitor `decideKnownVisit` can place (a ticket or pass this
 * instance has verified before), counted once against the visitor's status limit: the one
 * implementation both ways in use (the route, and `statusFromMemory` ahead of routing).
 * `undefined`: only the route can tell (`decideVisit`).
 */
function knownStatus(deps: GateDeps, room: RoomConfig, cookies: VisitorCookies): KnownStatus | Promise<KnownStatus> | undefined {
  const visit = decideKnownVisit(deps, room, cookies);
  if (!visit) return undefined;
  const outcome = deps.limiter.consume('status', room, pollerKey(visit));
  return outcome instanceof Promise ? outcome.then((settled) => judged(visit, settled)) : judged(visit, outcome);
}

/** The visit, with the 429 when its poll is over the limit. */
function judged(visit: Visit, outcome: LimitOutcome): KnownStatus {
  return outcome.allowed ? { visit } : { visit, refused: limitError('status', outcome.retryAfterSeconds) };
}

/**
 * Answers a status poll from memory alone, ahead of any routing: `GET /_sanh/status?room=<id>`,
 * exactly so, from a visitor `knownStatus` can place. The same answer as the `/status` route
 * (the status JSON, or the uniform JSON 429), with `appHeaders` added (the headers the app's
 * middleware would add); `undefined` for anything else, which the route then answers.
 */
export function statusFromMemory(
  deps: GateDeps,
  request: Request,
  appHeaders: (request: Request) => Record<string, string>,
): Response | Promise<Response> | undefined {
  if (request.method !== 'GET') return undefined;
  const roomId = statusRoomId(request.url);
  const room = roomId === undefined ? undefined : deps.rooms.byId(roomId);
  if (!room) return undefined;
  const known = knownStatus(deps, room, cookiesFromHeader(request.headers.get('cookie') ?? undefined, room.id));
  if (!known) return undefined;
  if (known instanceof Promise) return known.then((settled) => answerFromMemory(settled, room, appHeaders(request)));
  return answerFromMemory(known, room, appHeaders(request));
}

/** A known visit's status JSON, or its uniform JSON 429, with the app's own headers. */
function answerFromMemory({ visit, refused }: KnownStatus, room: RoomConfig, own: Record<string, string>): Response {
  if (refused) {
    const headers = { 'content-type': 'application/json', ...errorHeaders(refused, room.id), ...own };
    return new Response(JSON.stringify(errorBody(refused, own[REQUEST_ID_HEADER])), { status: refused.status, headers });
  }
  const body = statusBody(visit);
  return new Response(statusJson(body), { status: 200, headers: { 'content-type': 'application/json', ...statusHeaders(body), ...own } });
}

/**
 * The visitor a poll's cookies prove (a pass or ticket whose MAC verifies), else `undefined`: a
 * made-up cookie value is never remembered, so the limiter keys such polls by address instead.
 */
async function verifiedVisitor(deps: GateDeps, room: RoomConfig, cookies: VisitorCookies): Promise<string | undefined> {
  const pass = await deps.tokens.readPass(cookies.pass, room.id);
  if (pass) return pass.visitor;
  return (await deps.tokens.readTicket(cookies.ticket, room.id))?.visitor;
}

/** Whose status polls count together: the visitor's own id (a visit this instance already knows has one). */
function pollerKey(visit: Visit): string {
  if (visit.state === 'admitted') return visit.visitor;
  return (visit.state === 'queued' && visit.visitor) || 'unknown';
}

/**
 * The published record of an event's lottery: before the draw, the number of entries and the
 * seed's SHA-256 (commitment); after it, the seed, every entry and the order, so anyone can
 * recompute the order (`lottery.ts`). Entry codes are random and say nothing about the person.
 */
async function lotteryReport(deps: GateDeps, room: RoomConfig, eventId: string | undefined, now: number) {
  const events = scheduledEvents(room).filter((event) => event.hasPreQueue);
  const event = eventId ? events.find((e) => e.id === eventId) : ([...events].reverse().find((e) => e.preQueueFrom <= now) ?? events[0]);
  if (!event)
    throw new SanhError('not_found', eventId ? `Room "${room.id}" has no pre-queue event "${eventId}".` : `Room "${room.id}" has no pre-queue event.`);
  const record = await deps.store.lotteryRecord(room.id, event.id).catch((error: unknown) => {
    throw new SanhError('store_unavailable', 'The lottery record cannot be read right now.', { cause: error, retryAfterSeconds: 5 });
  });
  const base = {
    room: room.id,
    event: event.id,
    preQueueFrom: new Date(event.preQueueFrom).toISOString(),
    opensAt: new Date(event.opensAt).toISOString(),
    entryCount: record.entries.length,
    commitment: record.seed === undefined ? null : await sha256Hex(record.seed),
    drawn: record.drawn,
    algorithm: LOTTERY_ALGORITHM,
  };
  if (!record.drawn || record.seed === undefined) return base;
  return { ...base, seed: record.seed, entries: record.entries, order: await lotteryOrder(record.seed, record.entries) };
}
