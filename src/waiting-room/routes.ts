import { Hono } from 'hono';
import { SanhError } from '../platform/errors.js';
import type { SanhEnv } from '../platform/http.js';
import { applyCookies, statusBody, visitorCookies, type GateDeps } from './gate.js';
import { cookieNames, decideVisit } from './visit.js';

/**
 * The waiting room's public endpoints, mounted under `/_sanh`:
 * `GET /status` (the caller's own place in line), `GET /health` and `GET /ready`.
 */
export function waitingRoomRoutes(deps: GateDeps): Hono<SanhEnv> {
  const app = new Hono<SanhEnv>();

  app.get('/status', async (c) => {
    const requested = c.req.query('room');
    const room = requested
      ? deps.rooms.byId(requested)
      : (deps.rooms.all().find((r) => {
          const names = cookieNames(r.id);
          const cookie = c.req.header('cookie') ?? '';
          return cookie.includes(`${names.ticket}=`) || cookie.includes(`${names.pass}=`);
        }) ?? (deps.rooms.all().length === 1 ? deps.rooms.all()[0] : undefined));
    if (!room) {
      throw new SanhError(requested ? 'not_found' : 'bad_request', requested ? `No room "${requested}".` : 'Say which room with ?room=.');
    }
    c.set('sanhRoom', room.id);
    const visit = await decideVisit(deps, room, visitorCookies(c, room.id), false);
    const body = statusBody(visit);
    const response = c.json(body, 200, { 'cache-control': 'no-store', 'sanh-room': room.id, 'sanh-state': body.state });
    applyCookies(c, response.headers, room.id, visit.cookies);
    return response;
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
