import { Hono } from 'hono';
import { SanhError } from './platform/errors.js';
import { ensureRequestId, errorMapper, REQUEST_ID_HEADER, requestIdFor, requestIds, type SanhEnv } from './platform/http.js';
import type { Logger } from './platform/logger.js';
import { proxyHandler, type ConnectionInfo } from './proxy/handler.js';
import { API_SECURITY_HEADERS, originAnswers, securityHeaders } from './platform/security-headers.js';
import { nameActiveSpan, routeSpans, tracedFetch } from './telemetry/tracing.js';
import { measuredFetch, type HttpServerStats } from './telemetry/http-server-stats.js';
import type { OriginClient } from './proxy/port.js';
import type { Drafts } from './drafts/index.js';
import type { Submissions } from './submissions/index.js';
import type { WaitingRoom } from './waiting-room/index.js';

/** Everything the public app is built from. */
export interface AppDeps {
  waitingRoom: WaitingRoom;
  /** The draft-resume store; absent: no `/_sanh/drafts`. */
  drafts?: Drafts;
  /** Store-and-forward submissions; absent: no `/_sanh/receipts`, deferrable routes pass as any request. */
  submissions?: Submissions;
  origin: OriginClient;
  logger: Logger;
  connection?: ConnectionInfo;
  /** Where every answer's method, status and duration go (the admin listener's metrics); absent: not measured. */
  httpServerStats?: HttpServerStats;
  /** The rooms' waiting-page templates, whose own inline styles and scripts the pages' CSP allows (`platform/security-headers.ts`). */
  pageTemplates?: readonly string[];
}

/** The headers `requestIds()` gives an answer, for answers made ahead of routing. */
function requestIdHeaders(request: Request): Record<string, string> {
  return { [REQUEST_ID_HEADER]: requestIdFor(request.headers.get(REQUEST_ID_HEADER)) };
}

/** A status poll answered from memory, named in the trace as the route would have been. */
function statusAnswer(response: Response): Response {
  nameActiveSpan('GET', '/_sanh/status');
  return response;
}

/**
 * The public app: Sảnh's own endpoints under `/_sanh/` (waiting room, drafts), then the waiting
 * room gate in front of the proxy to the origin. Drafts are served ahead of the gate, so a
 * visitor waiting in line can still save a draft: saving is not a portal visit. Deferrable
 * submissions are caught ahead of the gate too: when the gate would seat the visitor, or the
 * origin fails, they are kept and forwarded later (`submissions/`). Built from its
 * dependencies only; the runtime entries wire them.
 *
 * Sảnh's own answers and every error carry a request id (`Sanh-Request-Id`); the gate's and the
 * origin's answers do not, so requests on their way to the origin get an id only if one fails.
 * The most frequent request, a queued visitor's status poll, is answered from memory ahead of
 * routing whenever the waiting room can (`WaitingRoom.statusFromMemory`), with the same answer.
 * Every request is traced (a SERVER span, see `telemetry/tracing.ts`) and, with `httpServerStats`,
 * measured once, outermost (`telemetry/http-server-stats.ts`); the app serves no metrics itself.
 */
export function createApp(deps: AppDeps): Hono<SanhEnv> {
  const app = new Hono<SanhEnv>();
  const mapError = errorMapper(deps.logger);
  app.onError((error, c) => {
    ensureRequestId(c);
    return mapError(error, c);
  });
  const security = { templates: deps.pageTemplates ?? [] };
  app.use('*', securityHeaders(security));
  // No compression middleware (Hono's `compress`): the portal's answers pass with their own
  // encoding untouched, Sảnh's pages stay under 20 KB, and the proxy or CDN in front compresses.
  app.use('/_sanh', requestIds(), routeSpans());
  app.use('/_sanh/*', requestIds(), routeSpans());
  app.route('/_sanh', deps.waitingRoom.routes);
  if (deps.drafts) app.route('/_sanh', deps.drafts.routes);
  if (deps.submissions) app.route('/_sanh', deps.submissions.routes);
  app.all('/_sanh', () => {
    throw new SanhError('not_found', 'No such Sảnh endpoint.');
  });
  app.all('/_sanh/*', () => {
    throw new SanhError('not_found', 'No such Sảnh endpoint.');
  });
  if (deps.drafts?.injector) app.use('*', deps.drafts.injector);
  if (deps.submissions?.catcher) app.use('*', deps.submissions.catcher);
  app.use('*', deps.waitingRoom.gate);
  app.all('*', originAnswers(proxyHandler(deps.origin, deps.connection ?? { clientIp: () => undefined })));
  const route = app.fetch;
  app.fetch = tracedFetch((request, env, executionCtx) => {
    const fromMemory = deps.waitingRoom.statusFromMemory(request, (r) => ({ ...API_SECURITY_HEADERS, ...requestIdHeaders(r) }));
    if (fromMemory === undefined) return route(request, env, executionCtx);
    if (fromMemory instanceof Response) return statusAnswer(fromMemory);
    return fromMemory.then((response) => (response ? statusAnswer(response) : route(request, env, executionCtx)));
  });
  if (deps.httpServerStats) app.fetch = measuredFetch(app.fetch, deps.httpServerStats);
  return app;
}
