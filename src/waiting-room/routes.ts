import { Hono, type Context } from 'hono';
import type { RoomConfig } from '../config/schema.js';
import { SanhError } from '../platform/errors.js';
import type { SanhEnv } from '../platform/http.js';
import { applyCookies, cookiesFromHeader, statusBody, statusJson, visitorCookies, type GateDeps, type StatusBody } from './gate.js';
import { cookieNames, decideKnownVisit, decideVisit, type Visit } from './visit.js';

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
 * `GET /status` (the caller's own place in line), `GET /health` and `GET /ready`.
 */
export function waitingRoomRoutes(deps: GateDeps): Hono<SanhEnv> {
  const app = new Hono<SanhEnv>();

  app.get('/status', (c): Response | Promise<Response> => {
    const room = statusRoom(deps, c.req.query('room'), c.req.header('cookie') ?? '');
    c.set('sanhRoom', room.id);
    const cookies = visitorCookies(c, room.id);
    const known = decideKnownVisit(deps, room, cookies);
    if (known) return statusResponse(c, known);
    return decideVisit(deps, room, cookies, false).then((visit) => statusResponse(c, visit));
  });

  app.get('/health', (c) => c.json({ status: 'ok' }, 200, { 'cache-control': 'no-store' }));

  app.get('/ready', async (c) => {
    try {
      await deps.store.ping();
    } catch (error) {
      throw new SanhError('store_unavailable', 'The store is not reachable.', { cause: error, retryAfterSeconds: 5 });
    }
    return c.json({ status: 'ready' }, 200, { 'cache-control': 'no-store' });
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

/**
 * Answers a status poll from memory alone, ahead of any routing: `GET /_sanh/status?room=<id>`,
 * exactly so, from a visitor `decideKnownVisit` can place (a ticket or pass this instance has
 * verified before). The same answer as the `/status` route, with `appHeaders` added (the headers
 * the app's middleware would add); `undefined` for anything else, which the route then answers.
 */
export function statusFromMemory(deps: GateDeps, request: Request, appHeaders: (request: Request) => Record<string, string>): Response | undefined {
  if (request.method !== 'GET') return undefined;
  const roomId = statusRoomId(request.url);
  const room = roomId === undefined ? undefined : deps.rooms.byId(roomId);
  if (!room) return undefined;
  const visit = decideKnownVisit(deps, room, cookiesFromHeader(request.headers.get('cookie') ?? undefined, room.id));
  if (!visit) return undefined;
  const body = statusBody(visit);
  const headers = { 'content-type': 'application/json', ...statusHeaders(body), ...appHeaders(request) };
  return new Response(statusJson(body), { status: 200, headers });
}
