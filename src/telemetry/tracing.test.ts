import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { Hono } from 'hono';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Visitor, inProcess } from '../../tests/helpers/visitor.js';
import { createApp } from '../app.js';
import { parseConfig } from '../config/load.js';
import { createDrafts } from '../drafts/index.js';
import { createMemoryDraftStore } from '../drafts/memory-store.js';
import { SanhError } from '../platform/errors.js';
import { errorMapper, requestIds, type SanhEnv } from '../platform/http.js';
import { parseKeyRing } from '../platform/keyring.js';
import { jsonLogger } from '../platform/logger.js';
import { createUndiciOriginClient } from '../proxy/origin.js';
import type { OriginClient } from '../proxy/port.js';
import { createMemoryWaitingRoomStore } from '../waiting-room/memory-store.js';
import { createWaitingRoom } from '../waiting-room/index.js';
import { routeSpans, tracedFetch } from './tracing.js';

const KEYS = parseKeyRing(`k1:${'a'.repeat(40)}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

/** A portal over real HTTP that remembers the headers it was sent; `/broken` answers 503. */
async function startPortal(): Promise<{ url: string; seen: IncomingHttpHeaders[]; close(): Promise<void> }> {
  const seen: IncomingHttpHeaders[] = [];
  const server: Server = createServer((request, response) => {
    seen.push(request.headers);
    if (request.url === '/broken') response.writeHead(503, { 'content-type': 'text/plain' }).end('down');
    else if (request.url === '/done') response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '4', 'sanh-session': 'end' }).end('done');
    else response.writeHead(200, { 'content-type': 'text/html', 'content-length': '13' }).end('<p>portal</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Sảnh's public app on a real undici origin client, in memory, with one room (two places) and drafts. */
async function buildApp(originUrl: string, logger = jsonLogger({ service: 'sanh' })) {
  const config = parseConfig({ rooms: [{ id: 'main', match: ['/'], maxActive: 2, admitPerMinute: 600 }] });
  const waitingRoom = createWaitingRoom({ rooms: config.rooms, store: createMemoryWaitingRoomStore(), keyRing: KEYS });
  await waitingRoom.snapshots.refresh();
  const drafts = createDrafts({ config: config.drafts, store: createMemoryDraftStore(), keyRing: KEYS });
  const origin: OriginClient = createUndiciOriginClient({ url: originUrl, timeoutSeconds: 5 });
  return { app: createApp({ waitingRoom, drafts, origin, logger }), origin, waitingRoom };
}

/** OpenTelemetry's HTTP semantic conventions, and Sảnh's own spans, through the real app. */
describe('traces', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  let portal: Awaited<ReturnType<typeof startPortal>>;
  let built: Awaited<ReturnType<typeof buildApp>>;
  const visitor = () => new Visitor(inProcess(built.app));
  const spans = () => exporter.getFinishedSpans();
  const named = (name: string) => spans().filter((span) => span.name === name);
  const one = (name: string): ReadableSpan => {
    const found = named(name);
    expect(
      found,
      `spans named ${name}: ${spans()
        .map((s) => s.name)
        .join(', ')}`,
    ).toHaveLength(1);
    return found[0] as ReadableSpan;
  };
  const serverSpan = (): ReadableSpan => {
    const found = spans().filter((span) => span.kind === SpanKind.SERVER);
    expect(found).toHaveLength(1);
    return found[0] as ReadableSpan;
  };
  const childOf = (span: ReadableSpan, parent: ReadableSpan) =>
    span.spanContext().traceId === parent.spanContext().traceId && span.parentSpanContext?.spanId === parent.spanContext().spanId;

  beforeAll(async () => {
    trace.setGlobalTracerProvider(provider);
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    portal = await startPortal();
  });
  afterAll(async () => {
    await built?.origin.close();
    await portal?.close();
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });
  beforeEach(async () => {
    await built?.origin.close();
    built = await buildApp(portal.url);
    exporter.reset();
    portal.seen.length = 0;
  });

  it('gives a proxied request a SERVER span with a CLIENT child for the origin, and sends the origin its trace context', async () => {
    const response = await visitor().page('/apply/step/1?nationalId=001148012345');
    expect(response.status).toBe(200);
    const server = serverSpan();
    expect(server.name).toBe('GET');
    expect(server.parentSpanContext).toBeUndefined();
    expect(server.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/apply/step/1',
      'url.scheme': 'http',
      'http.response.status_code': 200,
      'sanh.room': 'main',
      'sanh.state': 'admitted',
    });
    const client = spans().find((span) => span.kind === SpanKind.CLIENT) as ReadableSpan;
    expect(client.name).toBe('GET');
    expect(childOf(client, server)).toBe(true);
    const port = Number(new URL(portal.url).port);
    expect(client.attributes).toMatchObject({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': port,
      'url.full': `${portal.url}/apply/step/1`,
      'http.response.status_code': 200,
      'sanh.room': 'main',
    });
    expect(client.status.code).toBe(SpanStatusCode.UNSET);
    const [, traceId, parentId] = TRACEPARENT.exec(String(portal.seen[0]?.traceparent)) ?? [];
    expect(traceId).toBe(server.spanContext().traceId);
    expect(parentId).toBe(client.spanContext().spanId);
    expect(JSON.stringify(spans().map((span) => span.attributes))).not.toContain('001148012345');
  });

  it('starts a new trace for a public request: a traceparent the visitor sends is replaced on the way to the origin', async () => {
    const theirs = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
    await visitor().page('/apply', { traceparent: theirs, tracestate: 'them=1' });
    const server = serverSpan();
    expect(server.spanContext().traceId).not.toBe('a'.repeat(32));
    expect(portal.seen[0]?.traceparent).toMatch(TRACEPARENT);
    expect(portal.seen[0]?.traceparent).not.toBe(theirs);
    expect(portal.seen[0]?.tracestate).toBeUndefined();
  });

  it('traces queue joins: admitted at once, then seated with a place in line (a 503 that is not a failure)', async () => {
    await visitor().page('/apply');
    await visitor().page('/apply');
    exporter.reset();
    const response = await visitor().page('/apply');
    expect(response.status).toBe(503);
    const join = one('sanh.queue.join');
    const server = serverSpan();
    expect(childOf(join, server)).toBe(true);
    expect(join.attributes).toMatchObject({ 'sanh.room': 'main', 'sanh.queue.outcome': 'queued', 'sanh.queue.position': 1 });
    expect(server.attributes).toMatchObject({ 'sanh.state': 'queued', 'http.response.status_code': 503 });
    expect(server.status.code).toBe(SpanStatusCode.UNSET);
    expect(named('sanh.queue.join')).toHaveLength(1);
    exporter.reset();
    await visitor().page('/apply');
    expect(one('sanh.queue.join').attributes['sanh.queue.position']).toBe(2);
  });

  it('traces an admission: a waiting visitor whose turn came claims their place', async () => {
    const first = visitor();
    await first.page('/apply');
    await visitor().page('/apply');
    const waiting = visitor();
    expect((await waiting.page('/apply')).status).toBe(503);
    expect(await (await first.page('/done')).text()).toBe('done');
    await sleep(20);
    await built.waitingRoom.snapshots.refresh();
    exporter.reset();
    const admitted = await waiting.page('/apply');
    expect(admitted.headers.get('sanh-state')).toBe('admitted');
    const claim = one('sanh.queue.claim');
    expect(claim.attributes).toMatchObject({ 'sanh.room': 'main', 'sanh.queue.outcome': 'admitted' });
    expect(childOf(claim, serverSpan())).toBe(true);
    expect(named('sanh.queue.join')).toHaveLength(0);
  });

  it("names spans of Sảnh's own routes by the route, with ids scrubbed from the path, and traces draft saves without their values", async () => {
    const citizen = visitor();
    const created = await citizen.request('/_sanh/drafts', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ formId: 'residence', fields: { fullName: 'Nguyễn Thị Hoa', nationalId: '001148012345' } }),
    });
    expect(created.status).toBe(201);
    const { id, resumeCode } = (await created.json()) as { id: string; resumeCode: string };
    const saved = await citizen.request(`/_sanh/drafts/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/merge-patch+json', 'if-match': '"1"' },
      body: JSON.stringify({ nationalId: null, province: 'Hà Nội' }),
    });
    expect(saved.status).toBe(200);

    const [create, update] = named('sanh.draft.save');
    expect(create?.attributes).toMatchObject({
      'sanh.draft.operation': 'create',
      'sanh.draft.form': 'residence',
      'sanh.draft.fields': 2,
      'sanh.draft.deleted_fields': 0,
    });
    expect(create?.attributes['sanh.draft.bytes']).toBeGreaterThan(20);
    expect(update?.attributes).toMatchObject({
      'sanh.draft.operation': 'update',
      'sanh.draft.replace': false,
      'sanh.draft.fields': 1,
      'sanh.draft.deleted_fields': 1,
    });
    expect(childOf(create as ReadableSpan, one('POST /_sanh/drafts'))).toBe(true);
    const put = one('PUT /_sanh/drafts/:id');
    expect(put.attributes).toMatchObject({ 'http.route': '/_sanh/drafts/:id', 'url.path': '/_sanh/drafts/REDACTED', 'http.response.status_code': 200 });
    expect(childOf(update as ReadableSpan, put)).toBe(true);
    const everything = JSON.stringify(spans().map((span) => [span.name, span.attributes, span.events]));
    for (const secret of [id, resumeCode, 'Nguyễn', '001148012345', 'Hà Nội', 'fullName']) expect(everything).not.toContain(secret);
  });

  it('names a status poll answered from memory as its route', async () => {
    const queued = visitor();
    await visitor().page('/apply');
    await visitor().page('/apply');
    await queued.page('/apply');
    await queued.status('main');
    exporter.reset();
    expect((await queued.status('main')).state).toBe('queued');
    expect(one('GET /_sanh/status').attributes).toMatchObject({ 'http.route': '/_sanh/status', 'sanh.state': 'queued', 'http.response.status_code': 200 });
  });

  it('marks a CLIENT span failed when the origin answers 5xx, and the request with it', async () => {
    const response = await visitor().page('/broken');
    expect(response.status).toBe(503);
    expect(await response.text()).toBe('down');
    const client = spans().find((span) => span.kind === SpanKind.CLIENT) as ReadableSpan;
    expect(client.status.code).toBe(SpanStatusCode.ERROR);
    expect(client.attributes).toMatchObject({ 'http.response.status_code': 503, 'error.type': '503' });
    const server = serverSpan();
    expect(server.status.code).toBe(SpanStatusCode.ERROR);
    expect(server.attributes).toMatchObject({ 'sanh.state': 'admitted', 'error.type': '503' });
  });

  it('records an unreachable origin as an exception, and the error log line carries the request and trace ids', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((line: unknown) => void lines.push(String(line)));
    try {
      await built.origin.close();
      built = await buildApp('http://127.0.0.1:9');
      const response = await visitor().request('/apply', { headers: { accept: 'application/json', 'sanh-request-id': 'req-42' } });
      expect(response.status).toBe(502);
    } finally {
      spy.mockRestore();
    }
    const client = spans().find((span) => span.kind === SpanKind.CLIENT) as ReadableSpan;
    expect(client.status.code).toBe(SpanStatusCode.ERROR);
    expect(client.attributes['error.type']).toBe('origin_unreachable');
    expect(client.events.map((event) => event.name)).toContain('exception');
    const server = serverSpan();
    expect(server.attributes).toMatchObject({ 'error.type': 'origin_unreachable', 'http.response.status_code': 502, 'sanh.request_id': 'req-42' });
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.code === 'origin_unreachable');
    expect(logged).toMatchObject({ level: 'error', requestId: 'req-42', trace_id: server.spanContext().traceId, path: '/apply' });
    expect(logged?.span_id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('scrubs route parameters (a receipt id is a capability) from the span and the error log line', async () => {
    const lines: string[] = [];
    const app = new Hono<SanhEnv>();
    app.onError(errorMapper({ info() {}, warn() {}, error: (message, fields) => void lines.push(JSON.stringify({ message, ...fields })) }));
    app.use('/_sanh/*', requestIds(), routeSpans());
    app.get('/_sanh/receipts/:id', () => {
      throw new SanhError('store_unavailable', 'The store is not reachable.', { cause: new Error('ECONNREFUSED') });
    });
    const id = `main.${'r'.repeat(22)}`;
    const response = await tracedFetch(app.fetch)(new Request(`http://sanh.test/_sanh/receipts/${id}?x=1`));
    expect(response.status).toBe(503);
    const server = serverSpan();
    expect(server.name).toBe('GET /_sanh/receipts/:id');
    expect(server.attributes).toMatchObject({ 'url.path': '/_sanh/receipts/REDACTED', 'error.type': 'store_unavailable' });
    expect(server.events.find((event) => event.name === 'exception')?.attributes?.['exception.message']).toBe('ECONNREFUSED');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ path: '/_sanh/receipts/REDACTED', code: 'store_unavailable', cause: 'ECONNREFUSED' });
    expect(JSON.stringify([lines, spans().map((span) => span.attributes)])).not.toContain(id);
  });
});
