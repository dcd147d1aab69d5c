import type { Context, MiddlewareHandler } from 'hono';
import { cookieHeader, isHttps, mutableHeaders, readCookie, requestLang, wantsJson, type SanhEnv } from '../platform/http.js';
import type { Logger } from '../platform/logger.js';
import { renderWaitingPage } from './page.js';
import type { RoomMatcher } from './rooms.js';
import { cookieNames, decideKnownVisit, decideVisit, type CookieChanges, type QueueStatus, type Visit, type VisitDeps, type VisitorCookies } from './visit.js';

/** The JSON a status poll (or a queued JSON client) gets. */
export interface StatusBody {
  room: string;
  state: 'admitted' | 'queued' | 'none';
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

function urlWithLang(c: Context, lang: string): string {
  const url = new URL(c.req.url);
  url.searchParams.set('lang', lang);
  return `${url.pathname}${url.search}`;
}

function returnTo(c: Context): string {
  const url = new URL(c.req.url);
  return `${url.pathname}${url.search}`;
}

/** The answer to a queued visitor: the waiting page, or the status JSON for JSON clients. */
export function queuedResponse(c: Context<SanhEnv>, visit: Visit & { state: 'queued' }): Response {
  const status: QueueStatus = visit.status;
  const headers = new Headers({
    'cache-control': 'no-store',
    'retry-after': String(status.pollAfterSeconds),
    'sanh-room': visit.room.id,
    'sanh-state': 'queued',
  });
  applyCookies(c, headers, visit.room.id, visit.cookies);
  if (wantsJson(c)) {
    headers.set('content-type', 'application/json; charset=utf-8');
    return new Response(statusJson(statusBody(visit)), { status: 503, headers });
  }
  const lang = requestLang(c);
  headers.set('content-type', 'text/html; charset=utf-8');
  headers.set('content-language', lang);
  const html = renderWaitingPage({ lang, room: visit.room, status, returnTo: returnTo(c), otherLangUrl: urlWithLang(c, lang === 'vi' ? 'en' : 'vi') });
  return new Response(html, { status: 503, headers });
}

/** What the gate needs. */
export interface GateDeps extends VisitDeps {
  rooms: RoomMatcher;
  logger: Logger;
}

/**
 * The waiting room gate, a Hono middleware. A request in a room is let through (`next()`) only
 * for an admitted visitor; everyone else gets the waiting page. The origin ends a session with
 * the response header `Sanh-Session: end`. Requests in no room pass through. Works in front of a
 * proxy handler (Sảnh) or in front of a portal's own routes (library use).
 */
export function waitingRoomGate(deps: GateDeps): MiddlewareHandler<SanhEnv> {
  const { rooms, activity, logger } = deps;
  return async function sanhGate(c, next) {
    const room = rooms.match(c.req.path);
    if (!room || c.req.path === '/_sanh' || c.req.path.startsWith('/_sanh/')) {
      await next();
      mutableHeaders(c).set('sanh-state', 'passthrough');
      return;
    }
    c.set('sanhRoom', room.id);
    const brought = visitorCookies(c, room.id);
    const visit = decideKnownVisit(deps, room, brought) ?? (await decideVisit(deps, room, brought, true));
    if (visit.state === 'queued') return queuedResponse(c, visit);
    if (visit.state !== 'admitted') throw new Error('the gate always seats a visitor it does not admit');
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
