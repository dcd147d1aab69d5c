import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv } from '../helpers/child-env.js';

const ENTRY = fileURLToPath(new URL('../../src/entry/node.ts', import.meta.url));
const SECRETS = `k1:${'t'.repeat(40)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A span as OTLP/HTTP JSON carries it (the fields this test reads). */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string; intValue?: number | string; boolValue?: boolean } }[];
  status?: { code?: number };
}

interface OtlpExport {
  resourceSpans: { resource: { attributes: OtlpSpan['attributes'] }; scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[] }[];
}

const KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3 } as const;

function attributesOf(list: OtlpSpan['attributes']): Record<string, string | number | boolean | undefined> {
  return Object.fromEntries(
    list.map(({ key, value }) => [key, value.stringValue ?? (value.intValue === undefined ? value.boolValue : Number(value.intValue))]),
  );
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** An OTLP/HTTP receiver: accepts `POST /v1/traces` (JSON) and keeps what it was sent. */
async function startReceiver() {
  const exports: OtlpExport[] = [];
  const server = createServer((request, response) => {
    void bodyOf(request).then((body) => {
      if (request.method !== 'POST' || request.url !== '/v1/traces') return void response.writeHead(404).end();
      if (!request.headers['content-type']?.startsWith('application/json')) return void response.writeHead(415).end();
      exports.push(JSON.parse(body) as OtlpExport);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return { url: await listen(server), exports, close: () => close(server) };
}

/** A portal that remembers the trace context of every request and files submissions. */
async function startPortal() {
  const traceparents: { path: string; traceparent: string | undefined }[] = [];
  const server = createServer((request, response) => {
    void bodyOf(request).then(() => {
      traceparents.push({ path: request.url ?? '', traceparent: request.headers.traceparent as string | undefined });
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'sanh-application-number': 'HS-1' }).end('<p>portal</p>');
    });
  });
  return { url: await listen(server), traceparents, close: () => close(server) };
}

/** Starts the real Node entry (`npm start`) in a child process; resolves with its public URL once it says it is ready. */
async function startSanh(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string; lines: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Sảnh did not start:\n${lines.join('\n')}`)), 30_000);
    const take = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        lines.push(line);
        const ready = line.startsWith('{') ? (JSON.parse(line) as { message?: string; url?: string }) : undefined;
        if (ready?.message === 'Sảnh is ready' && ready.url) {
          clearTimeout(timer);
          resolve(ready.url);
        }
      }
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    child.once('exit', (code) => reject(new Error(`Sảnh exited (${code}):\n${lines.join('\n')}`)));
  });
  return { child, url, lines };
}

/** The real Node entry exporting its traces over OTLP/HTTP to a receiver the test runs. */
describe('OpenTelemetry traces from the Node entry', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let portal: Awaited<ReturnType<typeof startPortal>>;
  let sanh: Awaited<ReturnType<typeof startSanh>>;

  const received = () => receiver.exports.flatMap((e) => e.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
  async function spansUntil(found: (spans: OtlpSpan[]) => boolean): Promise<OtlpSpan[]> {
    for (let waited = 0; waited < 10_000; waited += 100) {
      if (found(received())) return received();
      await sleep(100);
    }
    throw new Error(
      `spans never arrived; got: ${received()
        .map((s) => s.name)
        .join(', ')}`,
    );
  }

  beforeAll(async () => {
    receiver = await startReceiver();
    portal = await startPortal();
    const dir = await mkdtemp(join(tmpdir(), 'sanh-otel-'));
    const config = join(dir, 'sanh.json');
    await writeFile(
      config,
      JSON.stringify({
        rooms: [{ id: 'main', match: ['/'], maxActive: 1, admitPerMinute: 60, submissions: { routes: [{ path: '/apply/submit', defer: 'always' }] } }],
        drafts: { uploads: { directory: dir } },
      }),
    );
    sanh = await startSanh({
      ...childEnv(),
      PORT: '0',
      HOST: '127.0.0.1',
      ORIGIN_URL: portal.url,
      SANH_CONFIG: config,
      SANH_SECRETS: SECRETS,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
  });
  afterAll(async () => {
    if (sanh?.child.exitCode === null) sanh.child.kill('SIGKILL');
    await portal?.close();
    await receiver?.close();
  });

  it('exports a SERVER span with its origin CLIENT span, the queue join, a draft save and a delivery, as service "sanh"', async () => {
    const admitted = await fetch(`${sanh.url}/apply/step/1?nationalId=001148012345`);
    expect(admitted.status).toBe(200);
    expect(admitted.headers.get('sanh-state')).toBe('admitted');
    const cookie = admitted.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    await admitted.text();
    const queued = await fetch(`${sanh.url}/apply`, { headers: { accept: 'application/json' } });
    expect(queued.headers.get('sanh-state')).toBe('queued');
    await queued.text();
    const link = await fetch(`${sanh.url}/apply?sanh_pass=a-pass-that-is-not-one-0123456789`, { redirect: 'manual' });
    expect(link.status).toBe(302);
    await link.text();
    const draft = await fetch(`${sanh.url}/_sanh/drafts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ formId: 'residence', fields: { fullName: 'Nguyễn Thị Hoa' } }),
    });
    expect(draft.status).toBe(201);
    await draft.text();
    const submitted = await fetch(`${sanh.url}/apply/submit`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: 'nationalId=001148012345',
    });
    expect(submitted.status).toBe(202);
    await submitted.text();

    const spans = await spansUntil(
      (all) =>
        all.some((s) => s.name === 'sanh.submission.deliver') &&
        all.some((s) => s.name === 'sanh.draft.save') &&
        all.filter((s) => s.kind === KIND.CLIENT).length >= 2,
    );
    const resource = attributesOf(receiver.exports[0]?.resourceSpans[0]?.resource.attributes ?? []);
    expect(resource['service.name']).toBe('sanh');
    expect(receiver.exports[0]?.resourceSpans[0]?.scopeSpans[0]?.scope.name).toBe('sanh');

    const proxied = spans.find((s) => s.kind === KIND.SERVER && attributesOf(s.attributes)['url.path'] === '/apply/step/1') as OtlpSpan;
    expect(proxied.name).toBe('GET');
    expect(attributesOf(proxied.attributes)).toMatchObject({
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'sanh.room': 'main',
      'sanh.state': 'admitted',
      'url.scheme': 'http',
    });
    const origin = spans.find((s) => s.kind === KIND.CLIENT && s.parentSpanId === proxied.spanId) as OtlpSpan;
    expect(origin.traceId).toBe(proxied.traceId);
    expect(attributesOf(origin.attributes)).toMatchObject({
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(portal.url).port),
      'url.full': `${portal.url}/apply/step/1`,
      'http.response.status_code': 200,
    });
    expect(portal.traceparents.find((t) => t.path.startsWith('/apply/step/1'))?.traceparent).toBe(`00-${proxied.traceId}-${origin.spanId}-01`);

    const joins = spans.filter((s) => s.name === 'sanh.queue.join').map((s) => attributesOf(s.attributes));
    expect(joins).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ 'sanh.queue.outcome': 'admitted' }),
        expect.objectContaining({ 'sanh.queue.outcome': 'queued', 'sanh.queue.position': 1 }),
      ]),
    );
    const seated = spans.find((s) => s.kind === KIND.SERVER && attributesOf(s.attributes)['sanh.state'] === 'queued') as OtlpSpan;
    expect(seated.status?.code ?? 0).toBe(0);

    const save = spans.find((s) => s.name === 'sanh.draft.save') as OtlpSpan;
    expect(attributesOf(save.attributes)).toMatchObject({ 'sanh.draft.operation': 'create', 'sanh.draft.fields': 1 });
    expect(spans.find((s) => s.spanId === save.parentSpanId)?.name).toBe('POST /_sanh/drafts');

    const delivery = spans.find((s) => s.name === 'sanh.submission.deliver') as OtlpSpan;
    expect(delivery.kind).toBe(KIND.INTERNAL);
    expect(delivery.parentSpanId || undefined).toBeUndefined();
    expect(attributesOf(delivery.attributes)).toMatchObject({
      'sanh.room': 'main',
      'sanh.submission.attempt': 1,
      'sanh.submission.outcome': 'delivered',
      'http.response.status_code': 200,
    });
    expect(attributesOf(delivery.attributes)['sanh.submission.receipt_number']).toMatch(/^\d{6}-\d+$/);
    const sent = spans.find((s) => s.kind === KIND.CLIENT && s.parentSpanId === delivery.spanId) as OtlpSpan;
    expect(attributesOf(sent.attributes)).toMatchObject({ 'http.request.method': 'POST', 'url.full': `${portal.url}/apply/submit` });

    const everything = JSON.stringify(receiver.exports);
    expect(spans.some((s) => s.kind === KIND.SERVER && attributesOf(s.attributes)['http.response.status_code'] === 302)).toBe(true);
    for (const personal of ['001148012345', 'Nguyễn', 'sanh_pass', 'a-pass-that-is-not-one', SECRETS]) expect(everything).not.toContain(personal);
  });

  it('exports what is left and exits cleanly on SIGTERM', async () => {
    const before = received().length;
    const last = await fetch(`${sanh.url}/_sanh/health`);
    await last.text();
    const exited = new Promise<number | null>((resolve) => sanh.child.once('exit', resolve));
    sanh.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const health = received()
      .slice(before)
      .find((s) => s.name === 'GET /_sanh/health');
    expect(health?.kind).toBe(KIND.SERVER);
    const logs = sanh.lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logs.find((line) => line.message === 'OpenTelemetry traces are exported over OTLP')).toMatchObject({
      protocol: 'http/json',
      endpoint: `${receiver.url}/`,
    });
  });
});
