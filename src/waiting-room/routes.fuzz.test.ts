import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { manualClock } from '../platform/clock.js';
import { cookieValues, readCookie } from '../platform/http.js';
import { gatedPortal, memoryWaitingRoom } from '../../tests/helpers/waiting-room-app.js';

const RUNS = 10_000;
/** 5xx answers the waiting room documents: the waiting page (queued, paused, prequeue, closed) and a store outage. */
const DOCUMENTED_503_STATES = new Set(['queued', 'paused', 'prequeue', 'closed', 'unavailable']);
const PER_APP = 500;

function build() {
  const clock = manualClock(Date.UTC(2026, 11, 1, 2, 0, 0));
  const config = parseConfig({
    rooms: [
      {
        id: 'main',
        match: ['/apply'],
        maxActive: 2,
        admitPerMinute: 60,
        clientLimits: { joinPerMinute: 30, statusPerMinute: 60 },
        challenge: { enabled: false, difficultyBits: 4 },
      },
      { id: 'tax', match: ['/tax'], maxActive: 1, admitPerMinute: 60, challenge: { enabled: true, difficultyBits: 4, noScriptWaitSeconds: 0 } },
      { id: 'shut', match: ['/shut'], maxActive: 1, admitPerMinute: 60, mode: 'closed' },
    ],
  });
  const waitingRoom = memoryWaitingRoom(config.rooms, clock);
  const app = gatedPortal(waitingRoom);
  return { app, clock };
}

/** Header text: what an HTTP parser can hand over (visible ASCII, space, tab, Latin-1). */
const junk = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '.', '-', '_', '=', ';', ' ', '"', ',', '%', '\\', '\t', '\u00ff', '/'), maxLength: 40 });
const bodyText = fc.string({ unit: fc.oneof(fc.constantFrom('=', '&', '%', 'ư', '\u0000', '"'), fc.string({ minLength: 1, maxLength: 1 })), maxLength: 200 });
const cookieName = fc.constantFrom('sanh_pass_main', 'sanh_ticket_main', 'sanh_proof_tax', 'sanh_pass_tax', 'sanh_bypass', 'other');
const cookieHeader = fc
  .array(fc.tuple(cookieName, junk, fc.boolean()), { maxLength: 5 })
  .map((pairs) => pairs.map(([n, v, quoted]) => `${n}=${quoted ? `"${v}"` : v}`).join('; '));
const path = fc.oneof(
  fc.constantFrom('/apply', '/apply/form', '/tax/x', '/shut', '/', '/_sanh/status', '/_sanh/lottery', '/_sanh/challenge', '/_sanh/health', '/_sanh/ready'),
  fc.tuple(fc.constantFrom('/apply', '/tax', '/_sanh/status', '/_sanh/challenge', '/_sanh/lottery'), fc.webQueryParameters()).map(([p, q]) => `${p}?${q}`),
  fc
    .tuple(fc.constantFrom('room', 'return', 'token', 'lang', 'event', 'sanh_pass'), junk)
    .map(([k, v]) => `/_sanh/challenge?room=tax&${k}=${encodeURIComponent(v)}`),
  fc.webPath().map((p) => p || '/'),
);
const request = fc.record({
  method: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'),
  path,
  cookie: cookieHeader,
  accept: fc.constantFrom('text/html', 'application/json', '*/*', '', 'application/json;q=0, text/html'),
  lang: fc.constantFrom('vi', 'en', 'fr', '', 'en-US,vi;q=0.5', '*'),
  body: fc.option(fc.oneof(bodyText, fc.webQueryParameters(), fc.json()), { nil: undefined }),
  contentType: fc.constantFrom('application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json', 'text/plain', ''),
  advanceMs: fc.nat({ max: 30_000 }),
});

describe('the waiting room under generated requests', () => {
  it(`never crashes, answers 5xx only with a documented state, and shapes every JSON error (${RUNS} cases)`, async () => {
    let built = build();
    let served = 0;
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        if (++served % PER_APP === 0) built = build();
        built.clock.advance(r.advanceMs);
        const headers: Record<string, string> = { accept: r.accept, 'accept-language': r.lang };
        if (r.cookie) headers.cookie = r.cookie;
        if (r.contentType) headers['content-type'] = r.contentType;
        const init: RequestInit = { method: r.method, headers };
        if (r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD') init.body = r.body;
        const response = await built.app.request(`http://sanh.test${r.path.startsWith('/') ? r.path : `/${r.path}`}`, init);
        if (response.status >= 500) {
          expect(response.status).toBe(503);
          expect(DOCUMENTED_503_STATES).toContain(response.headers.get('sanh-state'));
        }
        const type = response.headers.get('content-type') ?? '';
        if (response.status >= 400 && r.method !== 'HEAD' && type.startsWith('application/json')) {
          const body = (await response.json()) as { error?: { code?: unknown; message?: unknown }; state?: unknown };
          if (body.state === undefined) {
            expect(typeof body.error?.code).toBe('string');
            expect(typeof body.error?.message).toBe('string');
          }
        }
      }),
      { numRuns: RUNS },
    );
  }, 120_000);
});

describe('cookie parsing under generated headers', () => {
  it(`readCookie agrees with cookieValues and never finds a name inside a quoted value (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(cookieHeader, cookieName, (header, name) => {
        const values = cookieValues(header, name);
        expect(readCookie(header, name)).toBe(values[0]);
        for (const value of values) expect(value.length).toBeGreaterThan(0);
        const quotedHeader = `x="${header.replace(/"/g, '')}"`;
        expect(cookieValues(quotedHeader, name)).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });
});
