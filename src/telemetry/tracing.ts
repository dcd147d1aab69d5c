import { sanhStateOf, states } from '../platform/sanh-state.js';
/**
 * Sảnh's traces, through `@opentelemetry/api` only (so this runs on every runtime): a no-op until
 * an SDK registers a tracer provider, which only the Node entry does (`entry/telemetry.ts`).
 * Attribute names follow the stable OpenTelemetry HTTP semantic conventions; Sảnh's own are
 * `sanh.*`. Nothing personal goes on a span: no query strings, client addresses, cookies, ticket
 * or receipt ids, draft values or resume codes.
 *
 * Cheap when nothing is recorded: a span that is not recorded gets no attributes (callers check
 * `span.isRecording()` before building any), and without a valid span context (no SDK) the work
 * runs as it would without tracing.
 */
import { context, isSpanContextValid, propagation, SpanKind, SpanStatusCode, trace, type Span, type SpanOptions } from '@opentelemetry/api';
import type { Context, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { SanhError } from '../platform/errors.js';

/** Sảnh's tracer. */
const tracer = trace.getTracer('sanh');

export type { Span } from '@opentelemetry/api';

const SERVER: SpanOptions = { kind: SpanKind.SERVER };
const CLIENT: SpanOptions = { kind: SpanKind.CLIENT };
const INTERNAL: SpanOptions = { kind: SpanKind.INTERNAL };
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);
/** The waiting room's own 503 answers (a place in line, a closed room): outcomes, not failures. */
const SEATED_STATES = states('queued', 'paused', 'prequeue', 'closed');
/** Spans whose `error.type` was set, so the answer's status does not overwrite a better one. */
const typedSpans = new WeakSet<Span>();

/** True when `span` carries a trace (an SDK made it, recorded or sampled out). */
function isTraced(span: Span): boolean {
  return isSpanContextValid(span.spanContext());
}

/** Sets `http.request.method` (and `http.request.method_original` for a method outside the HTTP RFCs). */
function setMethod(span: Span, method: string): void {
  if (KNOWN_METHODS.has(method)) {
    span.setAttribute('http.request.method', method);
    return;
  }
  span.setAttribute('http.request.method', '_OTHER');
  span.setAttribute('http.request.method_original', method);
}

/** The span name of an HTTP span: `GET`, `GET /_sanh/status`; `HTTP` for other methods. */
function httpSpanName(method: string, route?: string): string {
  const name = KNOWN_METHODS.has(method) ? method : 'HTTP';
  return route ? `${name} ${route}` : name;
}

/** `error.type` of a fault: Sảnh's error code, else the error's class name. */
function errorType(error: unknown): string {
  if (error instanceof SanhError) return error.code;
  return error instanceof Error ? error.name : typeof error;
}

/** True for errors that are faults (not an expected outcome such as a stale draft or a 4xx). */
function isFault(error: unknown): boolean {
  return !(error instanceof SanhError) || error.status >= 500;
}

/**
 * Notes an error on a span: `error.type` always; for faults also the exception (the underlying
 * cause when there is one) and status ERROR.
 */
export function recordError(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  setErrorType(span, errorType(error));
  if (!isFault(error)) return;
  const cause = error instanceof SanhError && error.cause instanceof Error ? error.cause : error;
  span.recordException(cause instanceof Error ? cause : String(cause));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** `recordError` on the active span, if any (for faults handled by a policy, deep in domain code). */
export function recordActiveError(error: unknown): void {
  const span = trace.getActiveSpan();
  if (span) recordError(span, error);
}

function setErrorType(span: Span, type: string): void {
  span.setAttribute('error.type', type);
  typedSpans.add(span);
}

/** Marks a span failed without an exception (an HTTP status, an undelivered submission). */
export function markFailed(span: Span, type: string): void {
  if (!span.isRecording()) return;
  if (!typedSpans.has(span)) setErrorType(span, type);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/**
 * The request's path with the values of its route's parameters (`/_sanh/receipts/:id`) replaced
 * by `REDACTED`, for logs and traces: some ids are capabilities (a receipt's).
 */
export function scrubbedPath(c: Context): string {
  const path = c.req.path;
  const route = routePath(c);
  if (!route.includes('/:')) return path;
  const template = route.split('/');
  return path
    .split('/')
    .map((segment, i) => (template[i]?.startsWith(':') ? 'REDACTED' : segment))
    .join('/');
}

/** Runs `work` with `span` active and ends the span once it settles (a fault rethrown after `recordError`). */
async function runIn<T>(span: Span, work: () => Promise<T> | T, settled?: (value: T) => void): Promise<T> {
  try {
    const value = await context.with(trace.setSpan(context.active(), span), work);
    settled?.(value);
    return value;
  } catch (error) {
    recordError(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Runs `work` in an INTERNAL span named `name` (a child of the active span). `work` gets the
 * span to describe its outcome; check `span.isRecording()` before building attributes.
 */
export function inSpan<T>(name: string, work: (span: Span) => Promise<T>): Promise<T> {
  const span = tracer.startSpan(name, INTERNAL);
  if (!isTraced(span)) return work(span);
  return runIn(span, () => work(span));
}

/** The request half of a SERVER span: method, path, scheme and the host asked for. */
function describeIncoming(span: Span, request: Request): void {
  const url = new URL(request.url);
  setMethod(span, request.method);
  span.setAttribute('url.path', url.pathname);
  span.setAttribute('url.scheme', url.protocol.slice(0, -1));
  span.setAttribute('server.address', url.hostname);
}

/**
 * The answer half of a SERVER span: status, Sảnh's room and state, the request id when there is
 * one. A 5xx fails the span unless it is the waiting room seating the visitor.
 */
function describeAnswer(span: Span, response: Response): void {
  if (!span.isRecording()) return;
  const status = response.status;
  span.setAttribute('http.response.status_code', status);
  const room = response.headers.get('sanh-room');
  const state = response.headers.get('sanh-state');
  const requestId = response.headers.get('sanh-request-id');
  if (room) span.setAttribute('sanh.room', room);
  if (state) span.setAttribute('sanh.state', state);
  if (requestId) span.setAttribute('sanh.request_id', requestId);
  if (status >= 500 && !SEATED_STATES.has(sanhStateOf(response.headers))) markFailed(span, String(status));
}

/**
 * A fetch handler with a SERVER span per request, ended when the answer's headers are ready. A
 * `traceparent` sent by the public is not read (it is replaced on the way to the origin): the span
 * starts a new trace, unless the app runs inside a span of its host's. `routeSpans` names the span
 * by the route, where known.
 */
export function tracedFetch<E, X>(fetch: (request: Request, env?: E, executionCtx?: X) => Response | Promise<Response>) {
  return function tracedRequest(request: Request, env?: E, executionCtx?: X): Response | Promise<Response> {
    const span = tracer.startSpan(httpSpanName(request.method), SERVER);
    if (!isTraced(span)) return fetch(request, env, executionCtx);
    if (span.isRecording()) describeIncoming(span, request);
    return runIn(
      span,
      () => fetch(request, env, executionCtx),
      (response) => describeAnswer(span, response),
    );
  };
}

/**
 * Names a SERVER span by the route that answered (`http.route`; the span `GET /_sanh/status`),
 * without the parameters' patterns (`/_sanh/drafts/:id`).
 */
function nameByRoute(span: Span, method: string, template: string): void {
  const route = template.replace(/\{[^/]*\}/g, '');
  span.updateName(httpSpanName(method, route));
  span.setAttribute('http.route', route);
}

/** `nameByRoute` for the active span: a request answered ahead of routing (a status poll from memory). */
export function nameActiveSpan(method: string, route: string): void {
  const span = trace.getActiveSpan();
  if (span?.isRecording()) nameByRoute(span, method, route);
}

/**
 * Middleware for Sảnh's own routes (`/_sanh/...`): names the request's SERVER span by the route
 * that answered, with the route's parameters scrubbed from `url.path`.
 */
export function routeSpans(): MiddlewareHandler {
  return async function routeSpan(c, next) {
    const span = trace.getActiveSpan();
    await next();
    if (!span?.isRecording()) return;
    nameByRoute(span, c.req.method, routePath(c));
    span.setAttribute('url.path', scrubbedPath(c));
  };
}

/** An outgoing HTTP call, as a CLIENT span describes it (`OriginRequest` is one). */
export interface OutgoingCall {
  method: string;
  /** Path and query; the query is left out of the span. */
  pathAndQuery: string;
  room?: string | undefined;
  traceHeaders?: Record<string, string>;
}

function defaultPort(protocol: string): number {
  return protocol === 'https:' ? 443 : 80;
}

function describeCall(span: Span, base: URL, call: OutgoingCall): void {
  const query = call.pathAndQuery.indexOf('?');
  const path = query < 0 ? call.pathAndQuery : call.pathAndQuery.slice(0, query);
  setMethod(span, call.method);
  span.setAttribute('server.address', base.hostname);
  span.setAttribute('server.port', base.port ? Number(base.port) : defaultPort(base.protocol));
  span.setAttribute('url.full', `${base.origin}${base.pathname.replace(/\/$/, '')}${path}`);
  if (call.room !== undefined) span.setAttribute('sanh.room', call.room);
}

/** Client spans: status ERROR for every 4xx and 5xx answer, as the HTTP conventions ask. */
function describeReply(span: Span, response: Response): void {
  if (!span.isRecording()) return;
  span.setAttribute('http.response.status_code', response.status);
  if (response.status >= 400) markFailed(span, String(response.status));
}

/**
 * Sends `call` to `base` in a CLIENT span (a child of the active span), ended when the answer's
 * headers arrive. What `send` gets carries the W3C trace context of this span (`traceHeaders`:
 * `traceparent`, sent instead of any the visitor sent), so the origin's own traces join Sảnh's.
 */
export function clientCall<C extends OutgoingCall>(base: URL, call: C, send: (call: C) => Promise<Response>): Promise<Response> {
  const span = tracer.startSpan(httpSpanName(call.method), CLIENT);
  if (!isTraced(span)) return send(call);
  if (span.isRecording()) describeCall(span, base, call);
  const traceHeaders: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), traceHeaders);
  return runIn(
    span,
    () => send({ ...call, traceHeaders }),
    (response) => describeReply(span, response),
  );
}
