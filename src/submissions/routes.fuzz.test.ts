import fc from 'fast-check';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createApp } from '../app.js';
import { parseConfig } from '../config/load.js';
import { parseKeyRing } from '../platform/keyring.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import type { OriginClient } from '../proxy/port.js';
import { createWaitingRoom } from '../waiting-room/index.js';
import { createMemoryWaitingRoomStore } from '../waiting-room/memory-store.js';
import { createSubmissions } from './index.js';
import { createMemorySubmissionStore } from './memory-store.js';

const KEYS = parseKeyRing(`k1:${'f'.repeat(40)}`);
/** 5xx answers the submission endpoints document (the store is full, unreachable or not durable; the room is closed). */
const DOCUMENTED_5XX = new Set(['submissions_full', 'store_unavailable', 'store_not_durable', 'room_closed']);
/** How many generated requests one app serves before a fresh one (so the room is not always full). */
const PER_APP = 250;

/** A portal that files everything it is sent, and sometimes fails. */
function portal(): OriginClient {
  const app = new Hono();
  app.all('*', async (c) => {
    const body = await c.req.text();
    if (body.includes('fail')) return c.text('busy', 503, { 'retry-after': '1', 'x-portal': '1' });
    if (body.includes('reject')) return c.text('no', 400, { 'x-portal': '1' });
    return c.html('<h1>ok</h1>', 200, { 'sanh-application-number': 'HS-1', 'x-portal': '1' });
  });
  return {
    forward: (request) =>
      Promise.resolve(
        app.request(request.pathAndQuery, {
          method: request.method,
          headers: request.headers,
          body: request.body instanceof Uint8Array ? new Uint8Array(request.body) : null,
        }),
      ),
    close: async () => undefined,
  };
}

/** The last fault logged, to name in a failed assertion. */
let lastFault = '';
const logger: Logger = { ...silentLogger, error: (message, fields) => void (lastFault = `${message} ${JSON.stringify(fields)}`) };

function build() {
  const config = parseConfig({
    rooms: [
      {
        id: 'main',
        match: ['/'],
        maxActive: 3,
        admitPerMinute: 6_000,
        clientLimits: { joinPerMinute: 1_000_000, statusPerMinute: 1_000_000 },
        submissions: {
          routes: [
            { path: '/apply/submit', sessionCookies: ['portal_session'], maxBodyBytes: 4_096 },
            { path: '/apply/urgent', method: 'POST', defer: 'always', maxBodyBytes: 8_192 },
            { path: '/apply/:id/edit', method: 'PUT', defer: 'always', maxBodyBytes: 2_048 },
          ],
          maxWaiting: 120,
          maxWaitingBytes: 200_000,
        },
      },
    ],
    submissions: { acceptPerMinute: 40, acceptPerMinutePerAddress: 150 },
  });
  const origin = portal();
  const waitingRoom = createWaitingRoom({ rooms: config.rooms, store: createMemoryWaitingRoomStore(), keyRing: KEYS });
  const store = createMemorySubmissionStore();
  const submissions = createSubmissions({
    config: config.submissions,
    rooms: config.rooms,
    originTimeoutSeconds: config.origin.timeoutSeconds,
    store,
    keyRing: KEYS,
    origin,
    logger,
  });
  const app = createApp({ waitingRoom, submissions, origin, logger });
  return { app, store };
}

const forms = ['fullName=Hoa&nationalId=001148012345', 'a=1', 'a=1&sanh_draft=d1', 'a=2&sanh_draft=d1', 'x=fail', 'x=reject', '', 'a=%ZZ&b', 'sanh_draft=%00'];
const bodyArb = fc.oneof(
  fc.constantFrom(...forms),
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.uint8Array({ maxLength: 300 }),
  fc.constantFrom('{"sanh_draft":"d2","a":1}', '{"sanh_draft":5}', '[1,2]', 'null', '{'),
  fc.integer({ min: 4_000, max: 5_000 }).map((n) => 'b'.repeat(n)),
);
const keyArb = fc.option(fc.oneof(fc.constantFrom('k1', 'k2', '"k1"', '', ' ', '"', 'x'.repeat(256), 'a\tb', 'é'), fc.string({ maxLength: 40 })), {
  nil: undefined,
});
const typeArb = fc.option(
  fc.constantFrom(
    'application/x-www-form-urlencoded',
    'application/json',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded; charset=utf-8',
    'garbage',
    '',
  ),
  { nil: undefined },
);
const acceptArb = fc.constantFrom('application/json', 'text/html', '*/*', 'application/json, text/html', '');
const cookieArb = fc.option(
  fc.oneof(
    fc.constantFrom(
      'portal_session=alice',
      'portal_session=bob',
      'portal_session=',
      'sanh_ticket_main=forged.token',
      'sanh_pass_main=x; portal_session=alice',
      ';;=;',
    ),
    fc.string({ maxLength: 60 }),
  ),
  { nil: undefined },
);
const targetArb: fc.Arbitrary<[string, string]> = fc.oneof(
  fc.constantFrom<[string, string]>(
    ['POST', '/apply/submit'],
    ['POST', '/apply/urgent'],
    ['PUT', '/apply/42/edit'],
    ['POST', '/apply/submit?step=2&x=%FF'],
    ['PATCH', '/apply/submit'],
  ),
  fc
    .tuple(fc.constantFrom('POST', 'PUT'), fc.constantFrom('/apply/submit', '/apply/urgent'), fc.stringMatching(/^[a-z0-9%]{0,6}$/))
    .map(([m, p, q]): [string, string] => [m, `${p}?q=${q}`]),
);
const requestArb = fc.record({
  target: targetArb,
  body: bodyArb,
  key: keyArb,
  type: typeArb,
  accept: acceptArb,
  cookie: cookieArb,
  referer: fc.option(fc.constantFrom('http://localhost/apply', 'http://evil.example/x', 'not a url', 'http://localhost//evil.example'), { nil: undefined }),
});

/** True for an answer of Sảnh's own that is not a place in line. */
function fromSubmissions(response: Response): boolean {
  return response.headers.get('x-portal') !== '1' && !['queued', 'paused', 'prequeue'].includes(response.headers.get('sanh-state') ?? '');
}

/** Reads the whole answer; asserts a JSON error's uniform shape and returns its code (undefined when it is not a JSON error). */
async function checkAnswer(response: Response): Promise<string | undefined> {
  const type = response.headers.get('content-type') ?? '';
  const text = await response.text();
  // The portal's own answers (passed through) are the portal's business, the waiting room's place in line (503 and a status, for a request that is not deferrable) the gate's.
  if (response.status < 400 || !fromSubmissions(response)) return undefined;
  if (!type.includes('application/json')) {
    expect(type).toContain('text/html');
    return undefined;
  }
  const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
  expect(typeof body.error?.code).toBe('string');
  expect(typeof body.error?.message).toBe('string');
  return body.error?.code as string;
}

describe('the submission endpoints under generated requests', () => {
  it('never crash, answer 5xx only as documented, errors in the uniform shape, and never give one receipt to two bodies', async () => {
    let t = build();
    let served = 0;
    /** receipt id -> what it was given for (method, path, body). */
    let receipts = new Map<string, string>();
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        if (served++ % PER_APP === 0) {
          await t.store.close();
          t = build();
          receipts = new Map();
        }
        const [method, path] = r.target;
        const headers: Record<string, string> = { accept: r.accept, host: 'localhost' };
        if (r.type !== undefined) headers['content-type'] = r.type;
        if (r.key !== undefined) headers['idempotency-key'] = r.key;
        if (r.cookie !== undefined) headers.cookie = r.cookie;
        if (r.referer !== undefined) headers.referer = r.referer;
        const body = typeof r.body === 'string' ? new TextEncoder().encode(r.body) : r.body;
        let response: Response;
        try {
          response = await t.app.request(`http://localhost${path}`, { method, headers, body: new Uint8Array(body) });
        } catch {
          // Only header values fetch itself refuses (not sendable by a client) may throw, before Sảnh sees them.
          return;
        }
        seen.set(response.status, (seen.get(response.status) ?? 0) + 1);
        const code = await checkAnswer(response);
        if (response.status >= 500 && fromSubmissions(response)) {
          expect(response.status, lastFault).toBe(503);
          if (code !== undefined) expect(DOCUMENTED_5XX.has(code)).toBe(true);
          expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
        }
        const receipt = response.headers.get('sanh-receipt');
        if (receipt) {
          const what = `${method} ${path.split('?')[0]} ${Buffer.from(body).toString('base64')}`;
          const before = receipts.get(receipt);
          if (before !== undefined) expect(before).toBe(what);
          else receipts.set(receipt, what);
        }
      }),
      { numRuns: 10_000 },
    );
    await t.store.close();
    // The generated requests reached every kind of answer worth reaching.
    for (const status of [200, 202, 400, 413, 422, 503]) expect(seen.get(status) ?? 0).toBeGreaterThan(0);
  }, 120_000);

  it('answer any receipt address with a receipt or a uniform 404, never a fault', async () => {
    const t = build();
    const accepted = await t.app.request('http://localhost/apply/urgent', {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    });
    const id = ((await accepted.json()) as { receiptId: string }).receiptId;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 80 }),
          fc.constant(id),
          fc.string({ maxLength: 4 }).map((s) => `${id}${s}`),
          fc.constantFrom('main.', '.', '..', 'main.AAAAAAAAAAAAAAAAAAAAAA', `${id}/answer`),
        ),
        fc.constantFrom('application/json', 'text/html'),
        async (tail, accept) => {
          const response = await t.app.request(`http://localhost/_sanh/receipts/${encodeURIComponent(tail).replace(/%2F/g, '/')}`, { headers: { accept } });
          expect(response.status).toBeLessThan(500);
          await checkAnswer(response);
        },
      ),
      { numRuns: 10_000 },
    );
    await t.store.close();
  }, 120_000);

  it('answer any language switch of a refusal page with the page or a uniform 4xx, never a fault', async () => {
    const t = build();
    // A real refusal page (the visitor's acceptPerMinute is spent), and the state its switch carries.
    let html = '';
    for (let n = 0; n < 200 && !html.includes('formaction'); n++) {
      const answer = await t.app.request('http://localhost/apply/urgent', {
        method: 'POST',
        headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', host: 'localhost' },
        body: `a=${n}`,
      });
      html = answer.status === 429 ? await answer.text() : '';
    }
    const sealed = decodeURIComponent(/formaction="\/_sanh\/kept\?lang=\w+&amp;s=([^"]+)"/.exec(html)?.[1] ?? '');
    expect(sealed).toMatch(/^k1\./);
    const stateArb = fc.oneof(
      fc.constant(sealed),
      fc
        .tuple(fc.nat({ max: sealed.length - 1 }), fc.constantFrom('A', 'b', '.', '-', ''))
        .map(([at, c]) => `${sealed.slice(0, at)}${c}${sealed.slice(at + 1)}`),
      fc.string({ maxLength: 80 }),
      fc.constantFrom('', 'k1.', 'k9.AAAA', 'k1..', sealed.slice(0, 20)),
    );
    const headerArb = (values: string[]) => fc.option(fc.constantFrom(...values), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          state: stateArb,
          method: fc.constantFrom('GET', 'POST', 'POST', 'PUT'),
          lang: fc.constantFrom('vi', 'en', '', 'xx'),
          body: bodyArb,
          type: typeArb,
          accept: acceptArb,
        }),
        fc.record({
          site: headerArb(['same-origin', 'same-origin', 'none', 'same-site', 'cross-site', 'x']),
          origin: headerArb(['null', 'http://localhost', 'http://evil.example', 'garbage']),
        }),
        async (r, from) => {
          const headers: Record<string, string> = { accept: r.accept, host: 'localhost' };
          if (r.type !== undefined) headers['content-type'] = r.type;
          if (from.site !== undefined) headers['sec-fetch-site'] = from.site;
          if (from.origin !== undefined) headers.origin = from.origin;
          const body = typeof r.body === 'string' ? new TextEncoder().encode(r.body) : r.body;
          const url = `http://localhost/_sanh/kept?lang=${r.lang}&s=${encodeURIComponent(r.state)}`;
          const response = await t.app.request(url, { method: r.method, headers, ...(r.method === 'GET' ? {} : { body: new Uint8Array(body) }) });
          expect(response.status, lastFault).toBeLessThan(500);
          const code = await checkAnswer(response);
          if (response.status === 200) expect(response.headers.get('content-type')).toContain('text/html');
          else if (code !== undefined) expect(['bad_request', 'forbidden', 'not_found', 'payload_too_large']).toContain(code);
        },
      ),
      { numRuns: 5_000 },
    );
    await t.store.close();
  }, 120_000);
});
