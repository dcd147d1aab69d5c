import { beforeEach, describe, expect, it } from 'vitest';
import { Visitor, inProcess } from '../../tests/helpers/visitor.js';
import { createApp } from '../app.js';
import { parseConfig } from '../config/load.js';
import type { ConfigInput } from '../config/schema.js';
import { parseKeyRing } from '../platform/keyring.js';
import { silentLogger } from '../platform/logger.js';
import type { OriginClient } from '../proxy/port.js';
import { createMemoryWaitingRoomStore } from '../waiting-room/memory-store.js';
import { createWaitingRoom } from '../waiting-room/index.js';
import { createDrafts } from './index.js';
import { createMemoryDraftStore } from './memory-store.js';
import { resumeCodeOf } from './resume-code.js';
import type { DraftStore } from './store.js';

const KEYS = parseKeyRing(`k1:${'a'.repeat(40)}`);
const FORM = 'residence-application';

/** A streamed HTML page of `bytes` bytes, with no Content-Length (chunked). */
function streamedPage(bytes: number): Response {
  const chunk = new TextEncoder().encode('<p>'.padEnd(64 * 1024, 'x'));
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      controller.enqueue(chunk);
      sent += chunk.byteLength;
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/html' } });
}

const origin: OriginClient = {
  forward: async (request) =>
    request.pathAndQuery === '/apply/big'
      ? streamedPage(3 * 1024 * 1024)
      : request.pathAndQuery === '/apply/small-stream'
        ? streamedPage(128 * 1024)
        : request.pathAndQuery.startsWith('/apply')
          ? new Response('<!doctype html><html><body><form data-sanh-draft="residence-application"></form></body></html>', {
              headers: { 'content-type': 'text/html; charset=utf-8', 'content-length': '95', etag: '"x"' },
            })
          : new Response(`origin ${request.pathAndQuery}`, { headers: { 'content-type': 'text/plain' } }),
  close: async () => undefined,
};

async function build(input: ConfigInput = {}, store: DraftStore = createMemoryDraftStore()) {
  const config = parseConfig({ rooms: [{ id: 'main', match: ['/'], maxActive: 1, admitPerMinute: 60 }], ...input });
  const waitingRoom = createWaitingRoom({ rooms: config.rooms, store: createMemoryWaitingRoomStore(), keyRing: KEYS });
  await waitingRoom.snapshots.refresh();
  const drafts = createDrafts({ config: config.drafts, store, keyRing: KEYS, clientAddress: (c) => c.req.header('x-test-ip') ?? '192.0.2.1' });
  return createApp({ waitingRoom, drafts, origin, logger: silentLogger });
}

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
  body: JSON.stringify(body),
});
const patch = (revision: number | string | undefined, body: unknown, type = 'application/merge-patch+json') => ({
  method: 'PUT',
  headers: { 'content-type': type, ...(revision === undefined ? {} : { 'if-match': typeof revision === 'number' ? `"${revision}"` : revision }) },
  body: JSON.stringify(body),
});

interface View {
  id: string;
  formId: string;
  revision: number;
  resumeCode: string;
  fields: Record<string, unknown>;
  expiresAt: string;
  updatedAt: string;
  returnTo: string | null;
  resumeAnswer: string;
  resumeAnswerSet: boolean;
  attachments: unknown[];
}

describe('drafts over HTTP', () => {
  let app: Awaited<ReturnType<typeof build>>;
  let citizen: Visitor;
  const visitor = () => new Visitor(inProcess(app));

  async function start(who: Visitor = citizen, fields: Record<string, unknown> = { fullName: 'Nguyễn Thị Hoa', nationalId: '001148012345' }): Promise<View> {
    const response = await who.request('/_sanh/drafts', json({ formId: FORM, fields, returnTo: '/apply/step/1' }));
    expect(response.status).toBe(201);
    return response.json();
  }

  beforeEach(async () => {
    app = await build();
    citizen = visitor();
  });

  it('creates a draft, gives the device an owner cookie for /_sanh/drafts only, and shows it to that device alone', async () => {
    const response = await citizen.request('/_sanh/drafts', json({ formId: FORM, fields: { fullName: 'Nguyễn Thị Hoa' }, returnTo: '//evil.example/x' }));
    expect(response.status).toBe(201);
    const cookie = response.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^sanh_draft_owner=[A-Za-z0-9_-]{43}; Path=\/_sanh\/drafts; Max-Age=34560000; HttpOnly; SameSite=Lax$/);
    const view = (await response.json()) as View;
    expect(response.headers.get('etag')).toBe('"1"');
    expect(response.headers.get('location')).toBe(`/_sanh/drafts/${view.id}`);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(view).toMatchObject({
      formId: FORM,
      revision: 1,
      fields: { fullName: 'Nguyễn Thị Hoa' },
      returnTo: '/evil.example/x',
      resumeAnswer: 'off',
      resumeAnswerSet: false,
      attachments: [],
    });
    expect(view.resumeCode).toMatch(/^[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    expect(Date.parse(view.expiresAt) - Date.parse(view.updatedAt)).toBe(30 * 86_400_000);

    const again = await citizen.request(`/_sanh/drafts/${view.id}`);
    expect(again.status).toBe(200);
    expect(((await again.json()) as View).fields).toEqual({ fullName: 'Nguyễn Thị Hoa' });
    for (const stranger of [
      visitor(),
      (() => {
        const v = visitor();
        v.jar.set('sanh_draft_owner', 'x'.repeat(43));
        return v;
      })(),
    ]) {
      const refused = await stranger.request(`/_sanh/drafts/${view.id}`);
      expect(refused.status).toBe(404);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('draft_not_found');
    }
  });

  it("reuses the device's owner cookie for its next draft", async () => {
    await start();
    const second = await citizen.request('/_sanh/drafts', json({ formId: 'other-form' }));
    expect(second.status).toBe(201);
    expect(second.headers.get('set-cookie')).toBeNull();
  });

  it('merges changed fields, replaces all on a full write, and returns the new revision and expiry', async () => {
    const draft = await start();
    const merged = await citizen.request(`/_sanh/drafts/${draft.id}`, patch(1, { nationalId: null, province: 'Hà Nội' }));
    expect(merged.status).toBe(200);
    expect(merged.headers.get('etag')).toBe('"2"');
    const saved = (await merged.json()) as { id: string; revision: number; expiresAt: string; updatedAt: string };
    expect(saved).toMatchObject({ id: draft.id, revision: 2 });
    expect(Date.parse(saved.expiresAt)).toBeGreaterThan(Date.now());
    expect(((await (await citizen.request(`/_sanh/drafts/${draft.id}`)).json()) as View).fields).toEqual({ fullName: 'Nguyễn Thị Hoa', province: 'Hà Nội' });

    const replaced = await citizen.request(`/_sanh/drafts/${draft.id}`, patch('W/"2"', { agree: true, documents: ['a', 'b'] }, 'application/json'));
    expect(replaced.status).toBe(200);
    expect((await (await citizen.request(`/_sanh/drafts/${draft.id}`)).json()) as View).toMatchObject({
      revision: 3,
      fields: { agree: true, documents: ['a', 'b'] },
    });
  });

  it('answers a stale write with 412 and the current revision, and changes nothing', async () => {
    const draft = await start();
    expect((await citizen.request(`/_sanh/drafts/${draft.id}`, patch(1, { a: 'from tab B' }))).status).toBe(200);
    const stale = await citizen.request(`/_sanh/drafts/${draft.id}`, patch(1, { a: 'from tab A' }));
    expect(stale.status).toBe(412);
    expect(stale.headers.get('etag')).toBe('"2"');
    const body = (await stale.json()) as { revision: number; error: { code: string; message: string } };
    expect(body.revision).toBe(2);
    expect(body.error.code).toBe('draft_stale');
    expect(((await (await citizen.request(`/_sanh/drafts/${draft.id}`)).json()) as View).fields.a).toBe('from tab B');
  });

  it('names every bad write clearly', async () => {
    const draft = await start();
    const url = `/_sanh/drafts/${draft.id}`;
    const expectError = async (init: RequestInit, status: number, code: string) => {
      const response = await citizen.request(url, init);
      expect([response.status, ((await response.json()) as { error: { code: string } }).error.code]).toEqual([status, code]);
    };
    await expectError(patch(undefined, { a: 1 }), 428, 'precondition_required');
    await expectError(patch('*', { a: 1 }), 428, 'precondition_required');
    await expectError(patch(1, { a: 1 }, 'text/plain'), 415, 'unsupported_media_type');
    await expectError({ method: 'PUT', headers: { 'content-type': 'application/json', 'if-match': '"1"' }, body: '{"a":' }, 400, 'bad_request');
    await expectError(patch(1, ['a']), 422, 'invalid_draft');
    await expectError(patch(1, { essay: 'x'.repeat(40_000) }), 413, 'payload_too_large');
    await expectError(
      { method: 'PUT', headers: { 'content-type': 'application/json', 'if-match': '"1"' }, body: 'x'.repeat(700_000) },
      413,
      'payload_too_large',
    );
    expect(((await (await citizen.request(url)).json()) as View).revision).toBe(1);
  });

  it('keeps the limits across merges: fields and total size', async () => {
    app = await build({ drafts: { forms: [{ id: FORM, maxFields: 3, maxBytes: 1_500, maxFieldBytes: 1_024 }] } });
    citizen = visitor();
    const draft = await start(citizen, { a: 1 });
    const url = `/_sanh/drafts/${draft.id}`;
    expect((await citizen.request(url, patch(1, { b: 2, c: 3 }))).status).toBe(200);
    const many = await citizen.request(url, patch(2, { d: 4 }));
    expect(many.status).toBe(422);
    expect(((await many.json()) as { error: { message: string } }).error.message).toContain('at most 3 fields');
    expect((await citizen.request(url, patch(2, { a: 'x'.repeat(1_000) }))).status).toBe(200);
    const big = await citizen.request(url, patch(3, { b: 'y'.repeat(1_000) }));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { limit: number }).limit).toBe(1_500);
  });

  it('deletes for its owner only, at a revision when asked', async () => {
    const draft = await start();
    const url = `/_sanh/drafts/${draft.id}`;
    expect((await visitor().request(url, { method: 'DELETE' })).status).toBe(404);
    expect((await citizen.request(url, { method: 'DELETE', headers: { 'if-match': '"9"' } })).status).toBe(412);
    expect((await citizen.request(url, { method: 'DELETE', headers: { 'if-match': '"1"' } })).status).toBe(204);
    expect((await citizen.request(url)).status).toBe(404);
  });

  it('continues on another device with the resume code, and counts wrong codes until the code is locked', async () => {
    const draft = await start();
    const phone = visitor();
    const resume = (body: unknown, who = phone) => who.request('/_sanh/drafts/resume', json(body));
    const malformed = await resume({ code: 'ABC' });
    expect([malformed.status, ((await malformed.json()) as { error: { code: string } }).error.code]).toEqual([422, 'resume_code_invalid']);

    const locator = draft.resumeCode.replace(/-/g, '').slice(0, 6);
    const wrongSecret = (i: number) => resumeCodeOf(locator, String(i).padStart(8, '0')).display;
    const wrong = await resume({ code: wrongSecret(1) });
    expect(wrong.status).toBe(403);
    const nowhere = await resume({ code: resumeCodeOf(locator === '000000' ? '000001' : '000000', '00000000').display });
    const withoutId = (body: { error: Record<string, unknown> }) => ({ ...body, error: { ...body.error, requestId: undefined } });
    expect(withoutId(await wrong.json())).toEqual(withoutId(await nowhere.json()));

    const right = await resume({ code: draft.resumeCode.toLowerCase().replace(/-/g, ' ') });
    expect(right.status).toBe(200);
    expect(right.headers.get('set-cookie')).toMatch(/^sanh_draft_owner=/);
    expect(((await right.json()) as View).fields).toEqual(draft.fields);
    expect((await phone.request(`/_sanh/drafts/${draft.id}`)).status).toBe(200);
    expect((await phone.request(`/_sanh/drafts/${draft.id}`, patch(1, { phone: '0912345678' }))).status).toBe(200);
    expect(((await (await citizen.request(`/_sanh/drafts/${draft.id}`)).json()) as View).fields.phone).toBe('0912345678');

    const attacker = visitor();
    for (let i = 0; i < 10; i++) {
      const attempt = await attacker.request('/_sanh/drafts/resume', json({ code: wrongSecret(i + 2) }, { 'x-test-ip': `198.51.100.${i}` }));
      expect(attempt.status).toBe(403);
    }
    const locked = await attacker.request('/_sanh/drafts/resume', json({ code: draft.resumeCode }, { 'x-test-ip': '198.51.100.99' }));
    expect([locked.status, ((await locked.json()) as { error: { code: string } }).error.code]).toEqual([423, 'resume_locked']);
    expect(locked.headers.get('retry-after')).toBe('3600');

    const renewed = await citizen.request(`/_sanh/drafts/${draft.id}/resume-code`, { method: 'POST' });
    expect(renewed.status).toBe(200);
    const fresh = ((await renewed.json()) as View).resumeCode;
    expect(fresh).not.toBe(draft.resumeCode);
    expect((await attacker.request('/_sanh/drafts/resume', json({ code: draft.resumeCode }, { 'x-test-ip': '198.51.100.98' }))).status).toBe(403);
    expect((await visitor().request('/_sanh/drafts/resume', json({ code: fresh }, { 'x-test-ip': '198.51.100.97' }))).status).toBe(200);
  });

  it('limits resume attempts per client address', async () => {
    app = await build({ drafts: { resume: { attemptsPerHour: 3 } } });
    const guesser = visitor();
    const wrong = resumeCodeOf('ABCDEF', '00000000').display;
    for (let i = 0; i < 3; i++) expect((await guesser.request('/_sanh/drafts/resume', json({ code: wrong }))).status).toBe(403);
    const limited = await guesser.request('/_sanh/drafts/resume', json({ code: wrong }));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('asks for the answer the citizen chose when the form requires one', async () => {
    app = await build({ drafts: { forms: [{ id: FORM, resumeAnswer: 'required' }] } });
    citizen = visitor();
    const draft = await start();
    expect(draft.resumeAnswer).toBe('required');
    const resume = (answer?: string) =>
      visitor().request('/_sanh/drafts/resume', json({ code: draft.resumeCode, ...(answer === undefined ? {} : { answer }) }));
    const notSet = await resume('anything');
    expect(notSet.status).toBe(403);
    expect(await notSet.json()).toMatchObject({ reason: 'answer-not-set' });
    const setAnswer = await citizen.request(`/_sanh/drafts/${draft.id}/resume-answer`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ answer: 'Hoa Sen' }),
    });
    expect(setAnswer.status).toBe(204);
    expect(((await (await citizen.request(`/_sanh/drafts/${draft.id}`)).json()) as View).resumeAnswerSet).toBe(true);
    expect((await resume()).status).toBe(403);
    expect((await resume('Hoa Hong')).status).toBe(403);
    expect((await resume('  hoa   sen ')).status).toBe(200);
    expect((await resume('Hòa Sẹn')).status).toBe(200);
    const empty = await citizen.request(`/_sanh/drafts/${draft.id}/resume-answer`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ answer: '   ' }),
    });
    expect(empty.status).toBe(422);
  });

  it('resumes from the page without JavaScript: back to the form with the draft id in the fragment', async () => {
    const draft = await start();
    const phone = visitor();
    const page = await phone.page('/_sanh/drafts/resume?lang=en');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('name="code"');
    expect(html).toContain('action="/_sanh/drafts/resume?lang=en"');
    const post = (code: string) =>
      phone.request('/_sanh/drafts/resume?lang=en', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
        body: new URLSearchParams({ code, answer: '' }).toString(),
      });
    const bad = await post('not a code');
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toContain('That is not a resume code');
    expect(badHtml).toContain('value="not a code"');
    const good = await post(draft.resumeCode);
    expect(good.status).toBe(303);
    expect(good.headers.get('location')).toBe(`/apply/step/1#sanh-draft=${draft.id}`);
    expect((await phone.request(`/_sanh/drafts/${draft.id}`)).status).toBe(200);
  });

  it('refuses changes made from other sites, on every kind of write', async () => {
    const draft = await start();
    const url = `/_sanh/drafts/${draft.id}`;
    const foreign: Record<string, string>[] = [{ 'sec-fetch-site': 'cross-site' }, { origin: 'https://evil.example' }, { origin: 'null' }];
    const writes = (headers: Record<string, string>): [string, RequestInit][] => [
      [url, { method: 'DELETE', headers }],
      [url, { ...patch(1, { a: 1 }), headers: { ...(patch(1, { a: 1 }).headers as Record<string, string>), ...headers } }],
      ['/_sanh/drafts', json({ formId: FORM }, headers)],
      [
        '/_sanh/drafts/resume',
        { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: `code=${draft.resumeCode}` },
      ],
      [`${url}/uploads`, { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': '10', ...headers } }],
    ];
    for (const headers of foreign) {
      for (const [path, init] of writes(headers)) expect([path, init.method, (await citizen.request(path, init)).status]).toEqual([path, init.method, 403]);
    }
    expect(((await (await citizen.request(url)).json()) as View).revision).toBe(1);
    const behindProxy = { origin: 'https://dichvucong.example', host: '10.0.0.7:8080', 'sec-fetch-site': 'same-origin' };
    expect(
      (await citizen.request(url, { ...patch(1, { a: 1 }), headers: { ...(patch(1, { a: 1 }).headers as Record<string, string>), ...behindProxy } })).status,
    ).toBe(200);
    expect((await citizen.request(url, { method: 'DELETE', headers: { origin: 'http://localhost', host: 'localhost' } })).status).toBe(204);
  });

  it("shows a stranger nothing of someone else's draft, whatever they send, and spends none of its limits", async () => {
    app = await build({ drafts: { limits: { writesPerMinute: 3 } } });
    citizen = visitor();
    const draft = await start();
    const url = `/_sanh/drafts/${draft.id}`;
    const stranger = visitor();
    await stranger.request('/_sanh/drafts', json({ formId: FORM }));
    const attempts: [string, RequestInit][] = [
      [url, patch(1, { a: 1 })],
      [url, patch(1, { essay: 'x'.repeat(40_000) })],
      [url, patch(1, ['not', 'fields'])],
      [`${url}/resume-answer`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ answer: 'x' }) }],
      [`${url}/resume-code`, { method: 'POST' }],
      [url, { method: 'DELETE' }],
    ];
    for (let round = 0; round < 2; round++) {
      for (const [path, init] of attempts) {
        const response = await stranger.request(path, init);
        expect([path, response.status, ((await response.json()) as { error: { code: string } }).error.code]).toEqual([path, 404, 'draft_not_found']);
      }
    }
    for (let i = 1; i <= 3; i++) expect((await citizen.request(url, patch(i, { a: i }))).status).toBe(200);
    const code = ((await (await citizen.request(url)).json()) as View).resumeCode;
    expect(code).toBe(draft.resumeCode);
  });

  it('limits new drafts per client address', async () => {
    app = await build({ drafts: { limits: { createPerMinute: 2 } } });
    citizen = visitor();
    await start();
    await start();
    const limited = await citizen.request('/_sanh/drafts', json({ formId: FORM }));
    expect(limited.status).toBe(429);
  });

  it('refuses forms it does not keep drafts for when unlisted forms are not accepted', async () => {
    app = await build({ drafts: { acceptUnlistedForms: false, forms: [{ id: FORM }] } });
    citizen = visitor();
    await start();
    const other = await citizen.request('/_sanh/drafts', json({ formId: 'tax-return' }));
    expect([other.status, ((await other.json()) as { error: { code: string } }).error.code]).toEqual([404, 'not_found']);
    const none = await citizen.request('/_sanh/drafts', json({ fields: {} }));
    expect(none.status).toBe(400);
  });

  it("saves a queued visitor's draft while the room is full: saving is not a portal visit", async () => {
    const admitted = visitor();
    expect((await admitted.page('/apply/step/1')).headers.get('sanh-state')).toBe('admitted');
    const waiting = visitor();
    expect((await waiting.page('/apply/step/1')).headers.get('sanh-state')).toBe('queued');
    const draft = await start(waiting);
    expect((await waiting.request(`/_sanh/drafts/${draft.id}`, patch(1, { district: 'Đống Đa' }))).status).toBe(200);
    expect((await waiting.page('/apply/step/1')).headers.get('sanh-state')).toBe('queued');
  });

  it('serves the draft script', async () => {
    const script = await citizen.request('/_sanh/draft.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('javascript');
    expect(await script.text()).toContain('data-sanh-draft');
  });
});

describe('draft script injection', () => {
  it("adds the script to the portal's HTML pages under the listed prefixes, with a correct length", async () => {
    const app = await build({ rooms: [{ id: 'main', match: ['/'], maxActive: 100, admitPerMinute: 600 }], drafts: { inject: ['/apply'] } });
    const page = await app.request('/apply/step/1', { headers: { accept: 'text/html', 'accept-encoding': 'gzip' } });
    const html = await page.text();
    expect(html).toBe(
      '<!doctype html><html><body><form data-sanh-draft="residence-application"></form><script src="/_sanh/draft.js" defer></script></body></html>',
    );
    expect(page.headers.get('content-length')).toBeNull();
    expect(page.headers.get('etag')).toBeNull();
    const other = await app.request('/other', { headers: { accept: 'text/html' } });
    expect(await other.text()).toBe('origin /other');
  });

  it('passes a streamed page over 2 MiB through whole and untouched, and adds the script to a smaller one', async () => {
    const app = await build({ rooms: [{ id: 'main', match: ['/'], maxActive: 100, admitPerMinute: 600 }], drafts: { inject: ['/apply'] } });
    const big = await (await app.request('/apply/big', { headers: { accept: 'text/html' } })).text();
    expect(big.length).toBe(3 * 1024 * 1024);
    expect(big).not.toContain('draft.js');
    const small = await (await app.request('/apply/small-stream', { headers: { accept: 'text/html' } })).text();
    expect(small.length).toBe(128 * 1024 + '<script src="/_sanh/draft.js" defer></script>'.length);
    expect(small.endsWith('<script src="/_sanh/draft.js" defer></script>')).toBe(true);
  });
});
