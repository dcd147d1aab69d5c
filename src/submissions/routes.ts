import { sanhStateOf, states } from '../platform/sanh-state.js';
import { Hono, type Context, type MiddlewareHandler, type Next } from 'hono';
import type { RoomConfig } from '../config/schema.js';
import { DEFAULT_MAX_WAITING_BYTES, type SubmissionRouteConfig, type SubmissionsConfig } from '../config/submissions.js';
import type { Clock } from '../platform/clock.js';
import { SanhError } from '../platform/errors.js';
import {
  isHttps,
  mutableHeaders,
  readBodyBytes,
  REQUEST_ID_HEADER,
  requestIdFor,
  requestLang,
  respondWithError,
  safeLocalPath,
  wantsJson,
  type RawBody,
  type SanhEnv,
} from '../platform/http.js';
import { otherLang, type Lang } from '../platform/i18n.js';
import type { Logger } from '../platform/logger.js';
import { randomId } from '../platform/random-id.js';
import type { RoomMatcher } from '../waiting-room/rooms.js';
import {
  draftIdOfBody,
  isDeliveredStatus,
  isFinal,
  matchRoute,
  parseReceiptId,
  parseRetryAfter,
  submissionKey,
  type CompiledRoute,
  type ReceiptRecord,
} from './core.js';
import type { Forwarder, OriginHealth } from './forwarder.js';
import { renderNotKeptPage, type NotKeptReason } from './pages/kept.js';
import { renderReceiptPage } from './pages/receipt.js';
import { captureRequest, visitorScope, type SubmissionSealer } from './sealing.js';
import type { AcceptOutcome, HoldOutcome, NewSubmission, SubmissionStore } from './store.js';
import { receiptView } from './view.js';
import { limitKeys, submitterOf, type SanhVisitorOf } from './visitor.js';

/** What the submissions' HTTP edge needs. */
export interface SubmissionEdgeDeps {
  rooms: RoomMatcher;
  routes: ReadonlyMap<string, CompiledRoute[]>;
  config: SubmissionsConfig;
  /** How long a straight attempt may take (the origin's timeout), for the key's hold. */
  originTimeoutSeconds: number;
  store: SubmissionStore;
  sealer: SubmissionSealer;
  health: OriginHealth;
  forwarder: Pick<Forwarder, 'wake' | 'backlog'>;
  clientAddress(c: Context): string | undefined;
  /** The Sảnh visitor of a request (its pass or ticket); without it, only the portal session names a visitor. */
  sanhVisitorOf?: SanhVisitorOf;
  rawBody?: RawBody;
  clock: Clock;
  logger: Logger;
}

/** The wait asked of a submission refused because its room's budget is full (seconds; the page adds jitter). */
export const FULL_RETRY_AFTER_SECONDS = 60;
/** The largest url-encoded body a refusal page carries to send again. */
const MAX_RESEND_BYTES = 1024 * 1024;
/** The most fields a refusal page carries to send again. */
const MAX_RESEND_FIELDS = 2_000;
/** The largest body of a refusal page's language switch: its fields as the browser encodes them again (line breaks become CR LF, raw bytes percent-encoded). */
const MAX_SWITCH_BYTES = 3 * MAX_RESEND_BYTES;
/** How long a refusal page can be drawn again in the other language (its sealed state says until when). */
const KEPT_PAGE_TTL_MS = 24 * 3600 * 1000;
/** The least wait a refusal page drawn again shows, so that it is not sent by itself before it is read. */
const MIN_SWITCHED_WAIT_SECONDS = 10;
/** Where a refusal page is drawn again in the other language, under `/_sanh`. */
const KEPT_PAGE_PATH = '/kept';

/** The gate's answers that seat a visitor instead of letting them through: the room is at capacity. */
const SEATED = states('queued', 'paused', 'prequeue');
/** States in which the answer came from the origin. */
const FROM_ORIGIN = states('admitted', 'bypass', 'passthrough');
const decoder = new TextDecoder();

function storeFault(error: unknown): SanhError {
  return new SanhError('store_unavailable', 'Your submission could not be kept safely right now, and nothing was sent. Please try again in a minute.', {
    cause: error,
    retryAfterSeconds: 30,
  });
}

/** The answer for a key already known: the original receipt, or 422 / 409. */
function knownKeyAnswer(
  c: Context<SanhEnv>,
  outcome: Exclude<AcceptOutcome, { kind: 'accepted' | 'full' | 'limited' }> | Exclude<HoldOutcome, { kind: 'held' }>,
  deps: SubmissionEdgeDeps,
): Response {
  if (outcome.kind === 'existing') return receiptAnswer(c, outcome.receipt, deps, { replayed: true });
  if (outcome.kind === 'in-progress') {
    throw new SanhError('idempotency_conflict', 'The same submission is being handled right now. Please wait a few seconds and reload.', {
      retryAfterSeconds: 2,
    });
  }
  throw new SanhError(
    'idempotency_key_reused',
    'This submission key was already used with a different body. The first submission stands: see the receipt you were given for it.',
  );
}

/** The receipt as the answer to a submission: 202 while it is on its way (200 once final), page or JSON. */
function receiptAnswer(c: Context<SanhEnv>, receipt: ReceiptRecord, deps: SubmissionEdgeDeps, options: { replayed: boolean }): Response {
  const view = receiptView(receipt, deps.clock());
  const status = isFinal(receipt.state) ? 200 : 202;
  const headers: Record<string, string> = {
    'cache-control': 'no-store',
    location: view.statusUrl,
    'sanh-receipt': view.receiptId,
    'sanh-room': receipt.room,
    'sanh-state': 'deferred',
    'referrer-policy': 'no-referrer',
  };
  if (options.replayed) headers['idempotent-replayed'] = 'true';
  if (wantsJson(c)) return c.json(view, status, headers);
  const lang = requestLang(c);
  const page = renderReceiptPage({
    lang,
    view,
    otherLangUrl: `${view.statusUrl}?lang=${otherLang(lang)}`,
    justAccepted: !options.replayed,
    ...(options.replayed ? { notice: 'already-submitted' as const } : {}),
  });
  return c.html(page, status, headers);
}

/** The Set-Cookie headers of an answer (the gate's place in line, kept when a submission is deferred instead). */
function setCookies(response: Response): string[] {
  return response.headers.getSetCookie();
}

/** A submission caught on its way in, with what it is known by. */
interface Caught {
  room: RoomConfig;
  route: SubmissionRouteConfig;
  body: Uint8Array;
  path: string;
  fingerprint: string;
  key: string;
  /** Who sent it (portal session or Sảnh visitor), when anything says so. */
  submitter: string | undefined;
  /** The form carried a draft id. */
  hasDraft: boolean;
}

/**
 * Catches the deferrable submissions of each room (method and path pattern) ahead of the gate.
 *
 * - It defers at once (202 and a receipt) when the route says `always`, the room is paused or
 *   queueing everyone, the origin has been failing, or earlier submissions of the room are still
 *   waiting (acceptance order).
 * - Otherwise the submission goes straight through the gate to the origin as before, its key
 *   held meanwhile (a concurrent duplicate gets 409); if the gate seats the visitor instead (the
 *   room is at capacity) or the origin fails (unreachable, timeout, 502/503/504), it is deferred;
 *   an answered straight submission is remembered under its key as delivered, so a retried POST
 *   gets its receipt instead of a second submission.
 *
 * Every path checks the key first: the same key and body give back the original receipt, another
 * body is 422. When the store cannot be reached before anything was accepted, the submission goes
 * straight through as if Sảnh were not there.
 */
export function submissionCatcher(deps: SubmissionEdgeDeps): MiddlewareHandler<SanhEnv> {
  const { store, sealer, health, config, logger } = deps;
  const windowMs = config.idempotencyWindow * 1000;

  /** The submission to keep; `sealed: false` for a straight one the origin answered (its request is not kept); `fromHold` when this request holds its key. */
  async function offer(c: Context<SanhEnv>, caught: Caught, sealed = true, fromHold = false): Promise<NewSubmission> {
    const token = randomId(16);
    const receiptId = `${caught.room.id}.${token}`;
    const url = new URL(c.req.url);
    const forwarding = { clientIp: deps.clientAddress(c), proto: isHttps(c) ? 'https' : url.protocol.replace(':', ''), host: c.req.header('host') };
    const request = sealed
      ? await sealer.sealRequest(
          receiptId,
          captureRequest(caught.route, { method: c.req.method, path: caught.path, headers: c.req.raw.headers, body: caught.body, forwarding }, caught.key),
        )
      : '';
    return {
      token,
      request,
      key: caught.key,
      fingerprint: caught.fingerprint,
      keyTtlMs: windowMs,
      ttlMs: config.expireAfter * 1000,
      deadlineMs: config.delivery.deadline * 1000,
      ...(fromHold ? { fromHold } : {}),
    };
  }

  async function defer(c: Context<SanhEnv>, caught: Caught, cookies: string[] = [], fromHold = false): Promise<Response> {
    const keys = limitKeys(caught.submitter, deps.clientAddress(c));
    const hashed = async (value: string) => (await sealer.scopedKey(caught.room.id, 'client', value)).slice(0, 32);
    let outcome: AcceptOutcome;
    try {
      outcome = await store.accept(caught.room.id, {
        ...(await offer(c, caught, true, fromHold)),
        maxBacklog: caught.room.submissions?.maxWaiting ?? 100_000,
        maxBytes: caught.room.submissions?.maxWaitingBytes ?? DEFAULT_MAX_WAITING_BYTES,
        limits: [
          { client: await hashed(keys.visitor), perMinute: config.acceptPerMinute },
          { client: await hashed(keys.address), perMinute: config.acceptPerMinutePerAddress },
        ],
      });
    } catch (error) {
      throw storeFault(error);
    }
    if (outcome.kind === 'limited' || outcome.kind === 'full') {
      // Nothing was kept: the key this request held for a straight attempt is free for its retry.
      if (fromHold) await store.release(caught.room.id, caught.key).catch(() => undefined);
      if (outcome.kind === 'full')
        logger.warn("a submission was refused: the room's submissions not yet delivered are at their limit", { room: caught.room.id, by: outcome.by });
      return withCookies(
        await notKept(
          c,
          caught,
          outcome.kind === 'full' ? 'full' : 'limited',
          outcome.kind === 'limited' ? Math.max(1, Math.ceil(outcome.retryAfterMs / 1000)) : FULL_RETRY_AFTER_SECONDS,
        ),
        cookies,
      );
    }
    if (outcome.kind === 'accepted' || outcome.kind === 'existing') await confirmDurable(caught.room.id, outcome.receipt);
    if (outcome.kind !== 'accepted') return withCookies(knownKeyAnswer(c, outcome, deps), cookies);
    deps.forwarder.wake(caught.room.id);
    logger.info('submission deferred', { room: caught.room.id, receiptNumber: outcome.receipt.number });
    return withCookies(receiptAnswer(c, outcome.receipt, deps, { replayed: false }), cookies);
  }

  /**
   * With `durability` "fsync" or "replicated", nothing is acknowledged before the store confirms it
   * is on disk or on replicas (a replay neither).
   */
  async function confirmDurable(room: string, receipt: { id: string; number: string }): Promise<void> {
    if (config.durability === 'write') return;
    const receiptNumber = receipt.number;
    try {
      await store.confirmDurable(room, receipt.id);
    } catch (error) {
      logger.error(`a submission is kept but could not be confirmed ${config.durability === 'fsync' ? 'on disk' : 'on replicas'}`, {
        room,
        receiptNumber,
        error: String(error),
      });
      throw new SanhError(
        'store_not_durable',
        'Your submission could not be confirmed as kept safely. Please send it again in a minute: it will not be sent twice.',
        { cause: error, retryAfterSeconds: 30 },
      );
    }
  }

  /**
   * The answer to a submission that was not kept (the room is full, or its limits are reached):
   * the uniform JSON error for API clients (through the error mapper), for a browser a page that
   * keeps the form and sends it again after the wait. Both with Retry-After; nothing was sent.
   */
  async function notKept(c: Context<SanhEnv>, caught: Caught, reason: NotKeptReason, retryAfterSeconds: number): Promise<Response> {
    if (wantsJson(c) || c.get('errorsAsJson')) {
      throw reason === 'full'
        ? new SanhError(
            'submissions_full',
            'Too many submissions are waiting for the portal right now, so this one could not be kept yet. Nothing was sent: please send it again in a minute.',
            { retryAfterSeconds },
          )
        : new SanhError(
            'rate_limited',
            'Very many submissions are arriving from your network right now, so this one could not be kept yet. Nothing was sent: please send it again after the wait.',
            { retryAfterSeconds },
          );
    }
    // Another site's page may post to the portal's form (without the citizen's cookies, SameSite=Lax): its
    // fields are never offered to send again from this site, where the citizen's cookies would go with them.
    const resend = fromAnotherSite(c) ? undefined : resendable(c.req.method, c.req.header('content-type'), caught.body, caught.path);
    const backUrl = sameSiteReferer(c);
    const now = deps.clock();
    const state: KeptPageState = {
      action: resend?.action,
      reason,
      until: now + retryAfterSeconds * 1000,
      hasDraft: caught.hasDraft,
      backUrl,
      expires: now + KEPT_PAGE_TTL_MS,
    };
    const lang = requestLang(c);
    const otherLangUrl = await keptPageUrl(sealer, state, otherLang(lang));
    const page = renderNotKeptPage({
      lang,
      reason,
      retryAfterSeconds,
      hasDraft: caught.hasDraft,
      otherLangUrl,
      ...(resend ? { resend } : {}),
      ...(backUrl ? { backUrl } : {}),
    });
    return c.html(page, reason === 'full' ? 503 : 429, {
      'cache-control': 'no-store',
      'retry-after': String(retryAfterSeconds),
      'referrer-policy': 'no-referrer',
      'sanh-room': caught.room.id,
      'sanh-state': 'unavailable',
    });
  }

  function deferNow(room: RoomConfig, route: SubmissionRouteConfig): boolean {
    if (route.defer === 'always' || room.mode === 'paused' || room.mode === 'queue-all') return true;
    if (health.failing(room.id)) return true;
    return (deps.forwarder.backlog(room.id)?.waiting ?? 0) > 0;
  }

  async function straight(c: Context<SanhEnv>, next: Next, caught: Caught): Promise<Response | undefined> {
    c.set('sanhOriginHeaders', { 'idempotency-key': `"${caught.key}"` });
    let held: HoldOutcome;
    try {
      held = await store.hold(caught.room.id, caught.key, caught.fingerprint, (deps.originTimeoutSeconds + 5) * 1000);
    } catch (error) {
      logger.warn('submissions store unreachable: the submission goes straight to the origin', { room: caught.room.id, error: String(error) });
      c.set('sanhBody', caught.body);
      await next();
      return undefined;
    }
    if (held.kind !== 'held') {
      if (held.kind === 'existing' && !isFinal(held.receipt.state)) await confirmDurable(caught.room.id, held.receipt);
      return knownKeyAnswer(c, held, deps);
    }
    c.set('sanhBody', caught.body);
    await next();
    const answer = c.res;
    const state = sanhStateOf(answer.headers);
    const failed = c.error instanceof SanhError && (c.error.code === 'origin_unreachable' || c.error.code === 'origin_timeout');
    const originFailed = failed || (!c.error && FROM_ORIGIN.has(state) && [502, 503, 504].includes(answer.status));
    if (originFailed || SEATED.has(state)) {
      if (originFailed) {
        const retryAfter = failed ? undefined : parseRetryAfter(answer.headers.get('retry-after'), deps.clock());
        health.noteFailure(caught.room.id, Math.max(config.delivery.initialBackoff * 1000, retryAfter ?? 0));
      }
      await answer.body?.cancel().catch(() => undefined);
      const cookies = setCookies(answer);
      // Hono builds new answers on the headers of the current one (its Content-Length included).
      c.res = undefined;
      c.error = undefined;
      return defer(c, caught, cookies, true).catch(async (error: unknown) => {
        await store.release(caught.room.id, caught.key).catch(() => undefined);
        // The answer being replaced is gone (c.res is unset): a fault thrown from here would reach
        // the error mapper with nothing to answer on. Answer it here, the same way.
        if (!(error instanceof SanhError)) throw error;
        if (error.status >= 500)
          logger.warn(error.message, {
            room: caught.room.id,
            code: error.code,
            requestId: c.get('requestId'),
            cause: error.cause === undefined ? undefined : String(error.cause),
          });
        // (ensureRequestId would set its header on the answer that is gone.)
        if (c.get('requestId') === undefined) c.set('requestId', requestIdFor(c.req.header(REQUEST_ID_HEADER)));
        const answer = respondWithError(c, error);
        answer.headers.set(REQUEST_ID_HEADER, c.get('requestId'));
        return withCookies(answer, cookies);
      });
    }
    if (FROM_ORIGIN.has(state) && isDeliveredStatus(answer.status, caught.route.deliveredStatuses)) {
      health.noteSuccess(caught.room.id);
      const applicationNumber = answer.headers.get(caught.route.applicationNumberHeader)?.trim().slice(0, 100) || undefined;
      try {
        const receipt = await store.recordDelivered(caught.room.id, await offer(c, caught, false), {
          kind: 'delivered',
          status: answer.status,
          ...(applicationNumber ? { applicationNumber } : {}),
        });
        mutableHeaders(c).set('sanh-receipt', receipt.id);
      } catch (error) {
        logger.warn('a submission the origin answered could not be remembered under its key', { room: caught.room.id, error: String(error) });
      }
      return undefined;
    }
    await store.release(caught.room.id, caught.key).catch(() => undefined);
    return undefined;
  }

  const methods = new Set<string>([...deps.routes.values()].flatMap((routes) => routes.map((r) => r.route.method)));
  return async function sanhSubmissions(c, next) {
    if (!methods.has(c.req.method)) return next();
    const room = deps.rooms.match(c.req.header('host'), c.req.path);
    const routes = room ? deps.routes.get(room.id) : undefined;
    const route = routes && matchRoute(routes, c.req.method, c.req.path);
    if (!room || !route || room.mode === 'closed') return next();
    c.set('sanhRoom', room.id);
    const body = await readBodyBytes(c, route.maxBodyBytes, deps.rawBody);
    const url = new URL(c.req.url);
    const path = `${url.pathname}${url.search}`;
    const fingerprint = await sealer.fingerprint(c.req.method, path, body);
    const text = body.byteLength <= 1_048_576 ? decoder.decode(body) : '';
    const draftId = text.includes('sanh_draft') ? draftIdOfBody(c.req.header('content-type'), text) : undefined;
    const named = submissionKey(c.req.header('idempotency-key'), draftId, fingerprint);
    if (named.kind === 'invalid') throw new SanhError('idempotency_key_invalid', 'The Idempotency-Key header must be 1-255 printable characters.');
    const submitter = submitterOf(route, c.req.raw.headers, await deps.sanhVisitorOf?.(c.req.header('cookie'), room.id));
    // A key the client chose (or its draft's) is the client's own; a body sent without one is
    // the same submission only from the same visitor (a double click), never merely from the
    // same address: two citizens behind one NAT may send the same form. Without a visitor, no
    // implicit de-duplication.
    const scope = named.source !== 'body' ? visitorScope(route, c.req.raw.headers, deps.clientAddress(c)) : (submitter ?? `once:${randomId(16)}`);
    const key = await sealer.scopedKey(room.id, scope, named.key);
    const caught: Caught = { room, route, body, path, fingerprint, key, submitter, hasDraft: draftId !== undefined };
    if (deferNow(room, route)) {
      c.res = await defer(c, caught);
      return;
    }
    const replaced = await straight(c, next, caught);
    if (replaced) {
      // Hono merges the headers of the answer being replaced into the new one; this one replaces it whole.
      c.res = undefined;
      c.res = replaced;
    }
  };
}

/** The fields of a url-encoded POST body, to send again from the refusal page to `path`; undefined for any other body. */
function resendable(
  method: string,
  contentType: string | undefined,
  body: Uint8Array,
  path: string,
  maxBytes = MAX_RESEND_BYTES,
): { action: string; fields: [string, string][] } | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (method !== 'POST' || type !== 'application/x-www-form-urlencoded' || body.byteLength > maxBytes) return undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return undefined;
  }
  const fields = [...new URLSearchParams(text)];
  if (fields.length > MAX_RESEND_FIELDS) return undefined;
  return { action: safeLocalPath(path), fields };
}

/** What a refusal page is drawn from again (in the other language), sealed into the address of its language switch. */
interface KeptPageState {
  /** Where its form sends the fields again; undefined when the page carried none. */
  action: string | undefined;
  reason: NotKeptReason;
  /** When the wait asked for is over (ms). */
  until: number;
  hasDraft: boolean;
  backUrl: string | undefined;
  /** Until when the page can be drawn again (ms). */
  expires: number;
}

/** The address of the refusal page drawn again in `lang`: `/_sanh/kept?lang=…&s=<sealed state>`. */
async function keptPageUrl(sealer: SubmissionSealer, state: KeptPageState, lang: Lang): Promise<string> {
  const sealed = await sealer.sealPage({
    a: state.action ?? null,
    r: state.reason,
    u: state.until,
    d: state.hasDraft,
    b: state.backUrl ?? null,
    e: state.expires,
  });
  return `/_sanh${KEPT_PAGE_PATH}?lang=${lang}&s=${encodeURIComponent(sealed)}`;
}

/** The state `keptPageUrl` sealed; undefined when it is missing, altered, under a key no longer in the ring, or not one. */
async function openKeptPage(sealer: SubmissionSealer, sealed: string | undefined): Promise<KeptPageState | undefined> {
  if (!sealed) return undefined;
  let v: Record<string, unknown>;
  try {
    v = await sealer.openPage(sealed);
  } catch {
    return undefined;
  }
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  if ((v.r !== 'full' && v.r !== 'limited') || typeof v.u !== 'number' || typeof v.e !== 'number') return undefined;
  return { action: text(v.a), reason: v.r, until: v.u, hasDraft: v.d === true, backUrl: text(v.b), expires: v.e };
}

/**
 * True when a request was made by another page than this site's own (`Sec-Fetch-Site` other
 * than `same-origin` or `none`; without it, an `Origin` naming another host). The refusal page
 * sends no referrer, so its own requests may say `Origin: null`: that is not refused (its sealed
 * state still has to be whole).
 */
function fromAnotherSite(c: Context): boolean {
  const fetchSite = c.req.header('sec-fetch-site');
  if (fetchSite !== undefined) return fetchSite !== 'same-origin' && fetchSite !== 'none';
  const origin = c.req.header('origin');
  if (origin === undefined || origin === 'null') return false;
  try {
    const host = new URL(origin).host;
    return host !== c.req.header('host') && host !== c.req.header('x-forwarded-host');
  } catch {
    return true;
  }
}

/** The page the form was on, when the browser names one on this site. */
function sameSiteReferer(c: Context): string | undefined {
  const referer = c.req.header('referer');
  if (!referer) return undefined;
  try {
    const url = new URL(referer);
    if (url.host !== c.req.header('host')) return undefined;
    const path = safeLocalPath(`${url.pathname}${url.search}`);
    return path === '/' && url.pathname !== '/' ? undefined : path;
  } catch {
    return undefined;
  }
}

function withCookies(response: Response, cookies: string[]): Response {
  for (const cookie of cookies) response.headers.append('set-cookie', cookie);
  return response;
}

/**
 * `/receipts/:id` (the status page or JSON) and `/receipts/:id/answer` (the portal's answer), and
 * `/kept` (a refusal page drawn again in the language asked), mounted at `/_sanh`.
 */
export function receiptRoutes(deps: Pick<SubmissionEdgeDeps, 'store' | 'sealer' | 'clock' | 'rawBody'>): Hono<SanhEnv> {
  const app = new Hono<SanhEnv>();
  /**
   * The language switch of a refusal page: the page again, in `?lang=`, from its sealed state
   * (`?s=`) and, posted by the switch, the fields it carries (to send again from there, as
   * before). Nothing is sent to the portal from here, and nothing is stored. Only this site's
   * own pages may post to it; the wait goes on from where it was.
   */
  app.on(['GET', 'POST'], KEPT_PAGE_PATH, async (c) => {
    if (c.req.method === 'POST' && fromAnotherSite(c)) throw new SanhError('forbidden', "This page can only be opened from this site's own pages.");
    const now = deps.clock();
    const state = await openKeptPage(deps.sealer, c.req.query('s'));
    if (!state || state.expires <= now) {
      throw new SanhError(
        'bad_request',
        "This page cannot be shown again: it is too old, or its address is not complete. Nothing was sent. What you filled in is still in the form: go back to it with your browser's Back button and send it again.",
      );
    }
    const body = c.req.method === 'POST' && state.action !== undefined ? await readBodyBytes(c, MAX_SWITCH_BYTES, deps.rawBody) : undefined;
    const resend = body && state.action !== undefined ? resendable('POST', c.req.header('content-type'), body, state.action, MAX_SWITCH_BYTES) : undefined;
    const lang = requestLang(c);
    const page = renderNotKeptPage({
      lang,
      reason: state.reason,
      retryAfterSeconds: Math.max(MIN_SWITCHED_WAIT_SECONDS, Math.ceil((state.until - now) / 1000)),
      hasDraft: state.hasDraft,
      otherLangUrl: await keptPageUrl(deps.sealer, state, otherLang(lang)),
      ...(resend ? { resend } : {}),
      ...(state.backUrl ? { backUrl: state.backUrl } : {}),
    });
    return c.html(page, 200, { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'sanh-state': 'unavailable' });
  });
  const notFound = () => new SanhError('receipt_not_found', 'There is no receipt at this address. Please check the link.');
  async function find(id: string) {
    const parsed = parseReceiptId(id);
    if (!parsed) throw notFound();
    let kept;
    try {
      kept = await deps.store.receipt(parsed.room, parsed.token);
    } catch (error) {
      throw new SanhError('store_unavailable', 'Receipts cannot be read right now. Please try again in a minute.', { cause: error, retryAfterSeconds: 30 });
    }
    if (!kept) throw notFound();
    return kept;
  }
  app.get('/receipts/:id', async (c) => {
    const { receipt } = await find(c.req.param('id'));
    const view = receiptView(receipt, deps.clock());
    const headers = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'sanh-room': receipt.room };
    if (wantsJson(c)) return c.json(view, 200, headers);
    const lang = requestLang(c);
    return c.html(renderReceiptPage({ lang, view, otherLangUrl: `${view.statusUrl}?lang=${otherLang(lang)}`, justAccepted: false }), 200, headers);
  });
  app.get('/receipts/:id/answer', async (c) => {
    const id = c.req.param('id');
    const kept = await find(id);
    if (!kept.answer || !kept.receipt.hasAnswer) throw notFound();
    const answer = await deps.sealer.openAnswer(id, kept.answer);
    if (answer.status >= 300 && answer.status < 400 && answer.location) {
      // The portal answered with a redirect (its confirmation page): send the citizen there, on this site.
      const target = new URL(answer.location, 'http://sanh.invalid');
      return new Response(null, {
        status: 303,
        headers: { location: safeLocalPath(`${target.pathname}${target.search}`), 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
      });
    }
    return new Response(answer.body as Uint8Array<ArrayBuffer>, {
      status: 200,
      headers: {
        'content-type': answer.contentType ?? 'application/octet-stream',
        'cache-control': 'no-store',
        'content-security-policy': "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'sanh-origin-status': String(answer.status),
      },
    });
  });
  return app;
}
