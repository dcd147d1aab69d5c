import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import { systemClock } from '../../platform/clock.js';
import type { RoomConfig } from '../../config/schema.js';
import { SanhError } from '../../platform/errors.js';
import { isHttps, readCookie, type SanhEnv } from '../../platform/http.js';
import { pickLang, type Lang } from '../../platform/i18n.js';
import type { Logger } from '../../platform/logger.js';
import type { RoomFigures } from '../figures.js';
import type { LiveSettings } from '../live.js';
import { patchProblems } from '../settings.js';
import { tokenChecker, type AdminToken } from '../tokens.js';
import { DASHBOARD_JS } from './client/assets.generated.js';
import { createSampleRing, perMinute, sampleOf, type FigureSample } from './history.js';
import { chartMarkup, renderConfirmPage, renderDashboardPage, renderLoginPage, renderProblemPage, type ChangeRow } from './page.js';
import { formToken, formTokenValid, issueSession, readSession, SESSION_COOKIE, SESSION_SECONDS, type DashboardSession } from './session.js';
import { createAuthLimiter, pause, socketAddressOf, type AuthLimiter } from '../auth-limiter.js';
import { createMemorySettingsStore, type SettingsStore } from '../settings-store.js';
import { DASHBOARD_TEXT } from './text.js';
import { CHART_SPAN_MS, roomBoard } from './view.js';

/** What the dashboard is built from. */
export interface DashboardDeps {
  tokens: readonly AdminToken[];
  rooms: readonly RoomConfig[];
  /** A room's figures right now (this instance's snapshot, as the API shows them). */
  figures(room: RoomConfig): RoomFigures;
  /** Live settings; absent: the dashboard shows figures only. */
  settings?: LiveSettings;
  /** Drafts saved by this instance since it started; absent: no drafts chart. */
  draftsSavedTotal?: () => number;
  logger: Logger;
  clock?: () => number;
  /** How often the charts' history is sampled (10 s). */
  sampleMs?: number;
  /** How often open dashboards get an update (2 s). */
  pushMs?: number;
  /** Where signed-out sessions are kept (the settings store, shared by every instance); absent: this process's memory. */
  sessions?: Pick<SettingsStore, 'revokeSession' | 'sessionRevoked'>;
  /** Wrong tokens per client address (default: one of its own, which the admin API then shares). */
  authLimiter?: AuthLimiter;
  /** Where a request comes from (default: the TCP peer). */
  clientAddress?: (c: Context) => string | undefined;
}

/** The operator dashboard on the admin listener: its routes (mounted at `/dashboard`) and its history sampler. */
export interface Dashboard {
  routes: Hono<SanhEnv>;
  start(): void;
  stop(): void;
  /** Takes a history sample of every room now (the timer calls it; tests may too). */
  sample(): void;
  /** The limiter of wrong sign-in tokens, for the admin API to share (one count per address for both). */
  authLimiter: AuthLimiter;
}

type DashboardEnv = SanhEnv & {
  Variables: SanhEnv['Variables'] & { dashboardToken: AdminToken; dashboardSession: string; dashboardSessionInfo: DashboardSession };
};

const langOf = (c: Context, given?: unknown) => pickLang(typeof given === 'string' ? given : c.req.query('lang'), c.req.header('accept-language'));

function sessionCookie(value: string, maxAge: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** A request's form fields; a body that is not a readable form is the sender's fault (400), not ours. */
async function formOf(c: Context): Promise<Record<string, unknown>> {
  try {
    return (await c.req.parseBody()) as Record<string, unknown>;
  } catch (error) {
    throw new SanhError('bad_request', 'The form could not be read.', { cause: error });
  }
}

/** A form field as text ('' when absent or a file). */
const field = (body: Record<string, unknown>, name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');

/**
 * The operator dashboard: sign in with an admin token (exchanged for a 12-hour session cookie,
 * SameSite=Strict), then per room the live figures and 30-minute charts, updated every `pushMs`
 * over Server-Sent Events, and, for `operate` tokens, controls for limits and mode. A change is
 * shown for confirmation (before and after) and applied through live settings like the API's
 * (validated, stored, audited under the token's id, followed by every instance). Vietnamese and
 * English. Works without JavaScript too (the page then reloads itself).
 *
 * Signing out revokes the session's id in `sessions` (every instance checks it on every signed-in
 * request), so a copy of the cookie applies nothing afterwards. Wrong sign-in tokens are slowed,
 * then refused (429) per client address by `authLimiter`.
 */
export function createDashboard(deps: DashboardDeps): Dashboard {
  const clock = deps.clock ?? systemClock;
  const sampleMs = deps.sampleMs ?? 10_000;
  const pushMs = deps.pushMs ?? 2_000;
  const ring = createSampleRing(Math.ceil(CHART_SPAN_MS / sampleMs) + 1);
  const check = tokenChecker(deps.tokens);
  const sessions = deps.sessions ?? createMemorySettingsStore({ clock });
  const limiter = deps.authLimiter ?? createAuthLimiter({ clock });
  const addressOf = (c: Context) => (deps.clientAddress ?? socketAddressOf)(c) ?? 'unknown';
  /** A session that is genuine, unexpired and not signed out; a store that cannot say is a fault (fail closed). */
  async function liveSession(value: string | undefined): Promise<DashboardSession | undefined> {
    const session = readSession(value, deps.tokens, clock());
    if (!session) return undefined;
    let revoked: boolean;
    try {
      revoked = await sessions.sessionRevoked(session.id);
    } catch (error) {
      throw new SanhError('store_unavailable', 'Sign-ins cannot be checked right now; please try again shortly.', { cause: error });
    }
    return revoked ? undefined : session;
  }
  let drafts: { at: number; total: number } | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;

  const draftsRate = (at: number) => (deps.draftsSavedTotal ? perMinute(drafts, at, deps.draftsSavedTotal()) : null);
  function sample(): void {
    const at = clock();
    const rate = draftsRate(at);
    for (const room of deps.rooms) ring.add(room.id, sampleOf(deps.figures(room), at, rate));
    if (deps.draftsSavedTotal) drafts = { at, total: deps.draftsSavedTotal() };
  }
  function boards(lang: Lang) {
    const at = clock();
    const rate = draftsRate(at);
    return deps.rooms.map((room) => {
      const figures = deps.figures(room);
      const samples: FigureSample[] = [...ring.samples(room.id), sampleOf(figures, at, rate)];
      return roomBoard(room, figures, samples, at, lang, deps.settings?.view(room.id).version ?? 0);
    });
  }
  const roomOf = (id: string) => {
    const room = deps.rooms.find((r) => r.id === id);
    if (!room) throw new SanhError('not_found', `There is no room "${id}".`);
    return room;
  };

  const app = new Hono<DashboardEnv>();
  app.use('*', bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.html(renderProblemPage({ lang: langOf(c), message: 'Too large.' }), 413) }));

  const signedIn: MiddlewareHandler<DashboardEnv> = async (c, next) => {
    const session = readCookie(c.req.header('cookie'), SESSION_COOKIE);
    const live = await liveSession(session);
    const token = live?.token;
    if (!live || !token || !session) {
      if (c.req.method === 'GET' && !c.req.path.endsWith('/events')) return c.redirect(`/dashboard/login?lang=${langOf(c)}`, 303);
      return c.html(renderProblemPage({ lang: langOf(c), message: DASHBOARD_TEXT[langOf(c)].login.title }), 401);
    }
    c.set('dashboardToken', token);
    c.set('dashboardSession', session);
    c.set('dashboardSessionInfo', live);
    c.set('adminTokenId', token.id);
    await next();
  };
  /** A change: an `operate` token and the form token of this session (no other site can send it). */
  const changes: MiddlewareHandler<DashboardEnv> = async (c, next) => {
    const body = await formOf(c);
    const lang = langOf(c, body.lang);
    if (!formTokenValid(field(body, 'form'), c.get('dashboardSession'), c.get('dashboardToken'))) {
      return c.html(
        renderProblemPage({
          lang,
          message:
            lang === 'vi'
              ? 'Biểu mẫu đã cũ hoặc không đến từ bảng điều khiển. Vui lòng tải lại trang.'
              : 'This form is stale or did not come from the dashboard. Please reload the page.',
        }),
        403,
      );
    }
    if (c.req.path.includes('/rooms/') && c.get('dashboardToken').scope !== 'operate')
      return c.html(renderProblemPage({ lang, message: DASHBOARD_TEXT[lang].readOnly }), 403);
    await next();
  };

  app.get('/app.js', (c) => c.body(DASHBOARD_JS, 200, { 'content-type': 'text/javascript; charset=utf-8' }));
  app.get('/login', (c) => c.html(renderLoginPage({ lang: langOf(c), signedOut: c.req.query('signedOut') === '1' })));
  app.post('/login', async (c) => {
    const body = await formOf(c);
    const lang = langOf(c, body.lang);
    const address = addressOf(c);
    const tooMany = (seconds: number, first = false) => {
      // logged once per address and window (warn), then quietly: a flood must not flood the log
      const fields = { address, retryAfterSeconds: seconds };
      if (first) deps.logger.warn('dashboard sign-in refused: too many wrong tokens from this address', fields);
      else deps.logger.debug?.('dashboard sign-in refused: too many wrong tokens from this address', fields);
      return c.html(renderProblemPage({ lang, message: DASHBOARD_TEXT[lang].tooManyAttempts }), 429, { 'retry-after': String(seconds) });
    };
    const admission = limiter.admit(address);
    if (!admission.allowed) return tooMany(admission.retryAfterSeconds);
    const offered = field(body, 'token').trim();
    const token = check(offered || undefined);
    if (!token) {
      if (offered) {
        const failure = limiter.failure(address);
        if (failure.blocked) return tooMany(failure.retryAfterSeconds, true);
        await pause(failure.delayMs);
      }
      deps.logger.warn('dashboard sign-in refused: unknown token');
      return c.html(renderLoginPage({ lang, problem: true }), 401);
    }
    deps.logger.info('dashboard sign-in', { token: token.id });
    c.header('set-cookie', sessionCookie(issueSession(token, clock()), SESSION_SECONDS, isHttps(c)));
    return c.redirect(`/dashboard?lang=${lang}`, 303);
  });

  app.use('/', signedIn);
  app.use('/events', signedIn);
  app.use('/logout', signedIn, changes);
  app.use('/rooms/*', signedIn, changes);

  app.get('/', (c) => {
    const lang = langOf(c);
    const done = c.req.query('done');
    const room = done ? deps.rooms.find((r) => r.id === done) : undefined;
    const token = c.get('dashboardToken');
    return c.html(
      renderDashboardPage({
        lang,
        rooms: boards(lang),
        canOperate: token.scope === 'operate' && deps.settings !== undefined,
        formToken: formToken(c.get('dashboardSession'), token),
        ...(room ? { notice: DASHBOARD_TEXT[lang].controls.done(room.name?.[lang] ?? room.id) } : {}),
      }),
    );
  });
  app.get('/events', (c) => {
    const lang = langOf(c);
    const session = c.get('dashboardSession');
    const stillSignedIn = () =>
      liveSession(session).then(
        (live) => live !== undefined,
        () => false,
      );
    return streamSSE(c, async (stream) => {
      let open = true;
      stream.onAbort(() => {
        open = false;
      });
      // The stream ends with the session: the browser's reconnect is then refused (401).
      while (open && (await stillSignedIn())) {
        const rooms = boards(lang).map((board) => ({
          id: board.id,
          mode: board.mode,
          values: { ...board.values, span: board.span },
          charts: Object.fromEntries(board.charts.map((chart) => [chart.key, chartMarkup(chart)])),
        }));
        await stream.writeSSE({ event: 'figures', data: JSON.stringify({ at: new Date(clock()).toISOString(), rooms }) });
        await stream.sleep(pushMs);
      }
    });
  });
  app.post('/logout', async (c) => {
    const lang = langOf(c, (await formOf(c)).lang);
    const session = c.get('dashboardSessionInfo');
    try {
      await sessions.revokeSession(session.id, session.expiresAtMs - clock());
    } catch (error) {
      throw new SanhError(
        'store_unavailable',
        lang === 'vi'
          ? 'Chưa đăng xuất được (không ghi được vào kho dữ liệu). Vui lòng thử lại.'
          : 'Signing out could not be recorded (the store is unreachable). Please try again.',
        { cause: error },
      );
    }
    deps.logger.info('dashboard sign-out', { token: session.token.id });
    c.header('set-cookie', sessionCookie('', 0, isHttps(c)));
    return c.redirect(`/dashboard/login?lang=${lang}&signedOut=1`, 303);
  });
  app.post('/rooms/:id/review', async (c) => {
    const body = await formOf(c);
    const lang = langOf(c, body.lang);
    const room = roomOf(c.req.param('id'));
    const { patch, rows } = proposedChange(room, body, lang, deps.settings?.view(room.id).file.message);
    const checked = patchProblems(patch);
    const common = {
      lang,
      roomName: room.name?.[lang] ?? room.id,
      roomId: room.id,
      version: field(body, 'version'),
      formToken: formToken(c.get('dashboardSession'), c.get('dashboardToken')),
    };
    if ('problems' in checked) return c.html(renderConfirmPage({ ...common, rows, patch: '', problems: checked.problems }), 422);
    return c.html(renderConfirmPage({ ...common, rows, patch: JSON.stringify(patch) }));
  });
  app.post('/rooms/:id/apply', async (c) => {
    const body = await formOf(c);
    const lang = langOf(c, body.lang);
    const room = roomOf(c.req.param('id'));
    if (!deps.settings) throw new SanhError('not_found', 'Live settings are not set up on this instance.');
    let patch: unknown;
    try {
      patch = JSON.parse(field(body, 'patch'));
    } catch {
      throw new SanhError('bad_request', 'The change could not be read; please review it again.');
    }
    if (field(body, 'version') !== String(deps.settings.view(room.id).version)) {
      return c.html(renderProblemPage({ lang, message: DASHBOARD_TEXT[lang].controls.stale }), 409);
    }
    await deps.settings.change(room.id, patch, c.get('dashboardToken').id, 'dashboard');
    return c.redirect(`/dashboard?lang=${lang}&done=${encodeURIComponent(room.id)}#room-${encodeURIComponent(room.id)}`, 303);
  });
  app.onError((error, c) => {
    const fault = error instanceof SanhError ? error : new SanhError('internal', 'Something went wrong.', { cause: error });
    if (fault.status >= 500) deps.logger.error('dashboard request failed', { path: c.req.path, code: fault.code, cause: String(error) });
    return c.html(renderProblemPage({ lang: langOf(c), message: fault.message }), fault.status as 500);
  });

  return {
    routes: app as unknown as Hono<SanhEnv>,
    start() {
      sample();
      timer = setInterval(sample, sampleMs);
      (timer as { unref?: () => void }).unref?.();
    },
    stop() {
      if (timer) clearInterval(timer);
    },
    sample,
    authLimiter: limiter,
  };
}

/**
 * The patch a controls form proposes and its rows to confirm: only the fields the operator edited
 * (what the form sends differs from what it was filled in with, `was_*`), so values that changed
 * meanwhile elsewhere (another operator, auto-activation) are not sent back; the rows show what is
 * in force now. Clearing both messages puts the file's back (`fileMessage`, shown as the after).
 */
export function proposedChange(
  room: RoomConfig,
  body: Record<string, unknown>,
  lang: Lang,
  fileMessage?: RoomConfig['message'],
): { patch: Record<string, unknown>; rows: ChangeRow[] } {
  const text = DASHBOARD_TEXT[lang];
  const patch: Record<string, unknown> = {};
  const rows: ChangeRow[] = [];
  const edited = (name: string) => field(body, name).trim() !== field(body, `was_${name}`).trim();
  for (const name of ['maxActive', 'admitPerMinute'] as const) {
    const given = field(body, name).trim();
    if (given === '' || !edited(name)) continue;
    const value = Number(given);
    if (value !== room[name]) {
      patch[name] = Number.isFinite(value) ? value : given;
      rows.push({ field: text.controls.field[name] ?? name, before: String(room[name]), after: given });
    }
  }
  const mode = field(body, 'mode');
  if (mode && edited('mode') && mode !== room.mode) {
    patch.mode = mode;
    rows.push({ field: text.controls.field.mode ?? 'mode', before: text.modes[room.mode], after: (text.modes as Record<string, string>)[mode] ?? mode });
  }
  const message = { vi: field(body, 'message_vi').trim(), en: field(body, 'message_en').trim() };
  const current = { vi: room.message?.vi ?? '', en: room.message?.en ?? '' };
  if ((edited('message_vi') || edited('message_en')) && (message.vi !== current.vi || message.en !== current.en)) {
    const cleared = !message.vi && !message.en;
    patch.message = cleared ? null : Object.fromEntries(Object.entries(message).filter(([, v]) => v));
    const show = (m: { vi?: string | undefined; en?: string | undefined } | undefined) =>
      [m?.vi && `vi: ${m.vi}`, m?.en && `en: ${m.en}`].filter(Boolean).join(' · ') || '—';
    rows.push({ field: text.controls.field.message ?? 'message', before: show(current), after: show(cleared ? fileMessage : message) });
  }
  return { patch, rows };
}
