import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { RoomConfig } from '../config/schema.js';
import { SanhError } from '../platform/errors.js';
import { errorMapper, requestIds, type SanhEnv } from '../platform/http.js';
import type { Logger } from '../platform/logger.js';
import type { DeadLetterOperations } from '../submissions/index.js';
import type { Backlog } from '../submissions/store.js';
import type { SnapshotLoop } from '../waiting-room/snapshots.js';
import { roomFigures } from './figures.js';
import type { AdminMetrics } from './metrics.js';
import type { AdaptiveController } from '../adaptive/controller.js';
import type { OriginStats } from '../adaptive/origin-stats.js';
import type { LiveSettings } from './live.js';
import type { SettingsStore } from './settings-store.js';
import type { Dashboard } from './dashboard/routes.js';
import type { StaffPasses } from '../waiting-room/staff-pass.js';
import { issuePass, revokePass } from './passes.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { tokenChecker, type AdminScope, type AdminToken } from './tokens.js';
import { createAuthLimiter, pause, socketAddressOf, tooManyAttempts, type AuthLimiter } from './auth-limiter.js';
import { securityHeaders } from '../platform/security-headers.js';

/** What the admin listener is built from. */
export interface AdminDeps {
  tokens: readonly AdminToken[];
  rooms: readonly RoomConfig[];
  snapshots: SnapshotLoop;
  backlog(room: string): Backlog | undefined;
  originStats?: OriginStats;
  adaptive?: AdaptiveController;
  deadLetters?: DeadLetterOperations;
  metrics: AdminMetrics;
  /** Live room settings; absent: settings are read-only (the file's). */
  settings?: LiveSettings;
  settingsStore?: SettingsStore;
  /** Staff bypass passes (`POST /api/rooms/<id>/passes`); absent: none are issued. */
  staffPasses?: StaffPasses;
  /** The operator dashboard (`/dashboard`); absent: API only. */
  dashboard?: Dashboard;
  logger: Logger;
  /** The process's clock, for audit stamps and pass revocations (default: the wall clock). */
  clock?: Clock;
  /** Wrong tokens per client address (default: the dashboard's, else one of its own with the default limits). */
  authLimiter?: AuthLimiter;
  /** Where a request comes from (default: the TCP peer). */
  clientAddress?: (c: Context) => string | undefined;
}

const REALM = 'Bearer realm="sanh-admin"';

/** How wrong tokens are counted: per client address. */
interface Guard {
  limiter: AuthLimiter;
  addressOf(c: Context): string | undefined;
  logger: Logger;
}

/**
 * Bearer-token check: any token for `read`, an `operate` token for changes. An address that sent
 * too many wrong tokens is refused (429) before its token is looked at; wrong tokens are answered
 * more and more slowly before that (see `createAuthLimiter`).
 */
function requireScope(check: (secret: string | undefined) => AdminToken | undefined, scope: AdminScope, guard: Guard): MiddlewareHandler<SanhEnv> {
  return async function adminAuth(c, next) {
    const address = guard.addressOf(c) ?? 'unknown';
    const admission = guard.limiter.admit(address);
    if (!admission.allowed) throw tooManyAttempts(admission.retryAfterSeconds);
    const header = c.req.header('authorization');
    const secret = header && /^Bearer\s+/i.test(header) ? header.replace(/^Bearer\s+/i, '').trim() : undefined;
    const token = check(secret);
    if (!token) {
      if (header !== undefined) {
        const failure = guard.limiter.failure(address);
        if (failure.blocked) {
          guard.logger.warn('admin API: too many wrong tokens from this address; refused until the window ends', {
            address,
            retryAfterSeconds: failure.retryAfterSeconds,
          });
          throw tooManyAttempts(failure.retryAfterSeconds);
        }
        await pause(failure.delayMs);
      }
      throw new SanhError('unauthorized', 'An admin token is needed: Authorization: Bearer <SANH_ADMIN_TOKEN>.', { headers: { 'www-authenticate': REALM } });
    }
    if (scope === 'operate' && token.scope !== 'operate') {
      throw new SanhError('forbidden', `The token "${token.id}" may read, not change.`, {
        headers: { 'www-authenticate': `${REALM}, error="insufficient_scope", scope="operate"` },
      });
    }
    c.set('adminTokenId', token.id);
    await next();
  };
}

/**
 * The admin listener's app (bound to loopback by default, never the public port): the rooms with
 * this instance's live figures, the dead letters of deferred submissions (list, retry, drop) and
 * Prometheus `/metrics`, all behind `SANH_ADMIN_TOKEN` bearer tokens (`read` or `operate`).
 */
export function createAdminApp(deps: AdminDeps): Hono<SanhEnv> {
  const app = new Hono<SanhEnv>();
  const check = tokenChecker(deps.tokens);
  const guard: Guard = {
    limiter: deps.authLimiter ?? deps.dashboard?.authLimiter ?? createAuthLimiter(deps.clock ? { clock: deps.clock } : {}),
    addressOf: deps.clientAddress ?? socketAddressOf,
    logger: deps.logger,
  };
  const read = requireScope(check, 'read', guard);
  const operate = requireScope(check, 'operate', guard);
  app.onError(errorMapper(deps.logger));
  app.use('*', securityHeaders({ referrerPolicy: 'no-referrer' }));
  app.use('*', requestIds());
  app.use('*', async (c, next) => {
    if (!c.req.path.startsWith('/dashboard')) c.set('errorsAsJson', true);
    await next();
    c.header('cache-control', 'no-store');
  });
  const roomOf = (id: string) => {
    const room = deps.rooms.find((r) => r.id === id);
    if (!room) throw new SanhError('not_found', `There is no room "${id}".`);
    return room;
  };
  const deadLetters = () => {
    if (!deps.deadLetters) throw new SanhError('not_found', 'Submissions are not set up on this instance.');
    return deps.deadLetters;
  };

  app.get('/metrics', read, async (c) => c.body(await deps.metrics.render(), 200, { 'content-type': deps.metrics.contentType }));
  app.get('/api/rooms', read, (c) => c.json({ rooms: deps.rooms.map((room) => roomFigures(room, deps.snapshots, deps)) }));
  app.get('/api/rooms/:id', read, (c) => c.json(roomFigures(roomOf(c.req.param('id')), deps.snapshots, deps)));
  app.get('/api/rooms/:id/dead-letters', read, async (c) => {
    const room = roomOf(c.req.param('id'));
    const limit = Math.min(1_000, Math.max(1, Number(c.req.query('limit') ?? 100) || 100));
    return c.json({ room: room.id, deadLetters: await deadLetters().list(room.id, limit) });
  });
  app.get('/api/rooms/:id/backlog', read, async (c) => {
    const room = roomOf(c.req.param('id'));
    return c.json({ room: room.id, backlog: await deadLetters().backlog(room.id) });
  });
  app.get('/api/rooms/:id/receipts', read, async (c) => {
    const room = roomOf(c.req.param('id'));
    const number = c.req.query('number');
    if (!number) throw new SanhError('bad_request', 'Say which receipt: ?number=<the number a citizen reads out>.');
    const receipt = await deadLetters().findReceipt(room.id, number);
    if (!receipt) throw new SanhError('receipt_not_found', `There is no receipt ${number} in room "${room.id}".`);
    return c.json({ room: room.id, receipt });
  });
  const act = (name: 'retry' | 'drop') => async (c: Context<SanhEnv>) => {
    const id = c.req.param('receiptId') ?? '';
    let done: boolean;
    try {
      done = name === 'retry' ? await deadLetters().retry(id) : await deadLetters().drop(id);
    } catch (error) {
      if (error instanceof SanhError) throw error;
      throw new SanhError('bad_request', error instanceof Error ? error.message : String(error));
    }
    if (!done) throw new SanhError('not_found', `"${id}" is not a dead letter.`);
    deps.logger.info(`dead letter ${name === 'retry' ? 'sent again' : 'dropped'} by an operator`, { token: c.get('adminTokenId'), room: id.split('.')[0] });
    return c.json({ receiptId: id, done: name });
  };
  app.post('/api/dead-letters/:receiptId/retry', operate, act('retry'));
  app.delete('/api/dead-letters/:receiptId', operate, act('drop'));
  const live = () => {
    if (!deps.settings) throw new SanhError('not_found', 'Live settings are not set up on this instance.');
    return deps.settings;
  };
  const body = async (c: Context<SanhEnv>): Promise<unknown> => {
    const text = await c.req.text();
    if (!text.trim()) return {};
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new SanhError('bad_request', 'The body must be JSON.');
    }
  };
  const by = (c: Context<SanhEnv>) => c.get('adminTokenId') ?? 'unknown';
  app.get('/api/rooms/:id/settings', read, (c) => c.json(live().view(c.req.param('id'))));
  app.patch('/api/rooms/:id/settings', operate, async (c) => c.json(await live().change(c.req.param('id'), await body(c), by(c), 'settings')));
  app.delete('/api/rooms/:id/settings', operate, async (c) => c.json(await live().reset(c.req.param('id'), by(c))));
  const MODES = { pause: 'paused', resume: 'open', 'queue-all': 'queue-all', close: 'closed', passthrough: 'passthrough' } as const;
  for (const [action, mode] of Object.entries(MODES)) {
    app.post(`/api/rooms/:id/${action}`, operate, async (c) => {
      const sent = await body(c);
      if (sent === null || typeof sent !== 'object' || Array.isArray(sent))
        throw new SanhError('bad_request', 'The body must be a JSON object: { "message": …, "reopensAt": … } (both optional).');
      const given = sent as { message?: unknown; reopensAt?: unknown };
      const patch: Record<string, unknown> = { mode };
      if (given.message !== undefined) patch.message = given.message;
      if (given.reopensAt !== undefined) patch.reopensAt = given.reopensAt;
      return c.json(await live().change(c.req.param('id'), patch, by(c), action));
    });
  }
  app.post('/api/rooms/:id/passes', operate, async (c) => {
    const room = roomOf(c.req.param('id'));
    if (!deps.staffPasses || !deps.settingsStore) throw new SanhError('not_found', 'Staff passes are not set up on this instance.');
    const issued = await issuePass({ passes: deps.staffPasses, store: deps.settingsStore, clock: deps.clock ?? systemClock }, room, await body(c), by(c));
    deps.logger.info('staff pass issued', { room: room.id, by: by(c), pass: issued.id, expiresAt: issued.expiresAt });
    return c.json(issued, 201);
  });
  app.delete('/api/rooms/:id/passes/:passId', operate, async (c) =>
    c.json(await revokePass(live(), roomOf(c.req.param('id')), c.req.param('passId'), by(c), deps.clock ?? systemClock)),
  );
  app.get('/api/audit', read, async (c) => {
    if (!deps.settingsStore) throw new SanhError('not_found', 'Live settings are not set up on this instance.');
    const limit = Math.min(1_000, Math.max(1, Number(c.req.query('limit') ?? 100) || 100));
    return c.json({ entries: await deps.settingsStore.audit(limit) });
  });
  if (deps.dashboard) {
    app.route('/dashboard', deps.dashboard.routes);
    app.get('/', (c) => c.redirect('/dashboard', 303));
  }
  app.all('*', () => {
    throw new SanhError('not_found', 'No such admin endpoint.');
  });
  return app;
}
