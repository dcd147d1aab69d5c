import fc from 'fast-check';
import { describe, it } from 'vitest';
import { expectDocumentedAnswer, faultLog, fuzzedDrafts, headerText } from '../../tests/helpers/drafts-fuzz.js';
import { parseKeyRing } from '../platform/keyring.js';
import { generateResumeCode } from './resume-code.js';

const KEYS = parseKeyRing(`k1:${'z'.repeat(40)}`);
/** 5xx answers the drafts API documents: the store is unreachable, or the drafts' byte budget is spent. */
const DOCUMENTED_5XX = new Set(['store_unavailable', 'storage_full']);
const RUNS = 10_000;

const faults = faultLog();

function build() {
  return fuzzedDrafts({
    keyRing: KEYS,
    logger: faults.logger,
    drafts: {
      forms: [{ id: 'residence', maxBytes: 4_096, maxFieldBytes: 1_024, maxFields: 20, resumeAnswer: 'optional' }],
      limits: { createPerMinute: 1_000_000, writesPerMinute: 1_000_000, livePerAddress: 1_000_000, maxStoredBytes: 64 * 1024 * 1024 },
      resume: { attemptsPerHour: 10_000, failuresPerMinute: 10_000 },
    },
    // One draft every case may aim at, with its owner cookie and resume code.
    fields: { fullName: 'Hoa' },
    with: () => ({ clientAddress: (c) => c.req.header('x-test-ip') ?? '192.0.2.1' }),
  });
}

/** JSON values, nested a little or very deeply, and text that is not JSON. */
const deep = fc
  .constantFrom(20, 32, 33, 500, 20_000, 100_000)
  .chain((depth) =>
    fc.constantFrom(
      `${'['.repeat(depth)}${']'.repeat(depth)}`,
      `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
      '['.repeat(depth),
      `{"fields":${'['.repeat(depth)}`,
    ),
  );
const fieldsArb = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 25 }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constant({ fullName: 'x'.repeat(2_000) }),
  fc.dictionary(fc.constantFrom('a', 'b', '\u0000', '', 'x'.repeat(201)), fc.oneof(fc.constant(null), fc.string({ maxLength: 30 }))),
);
const bodyArb = fc.oneof(
  fc
    .record(
      {
        formId: fc.oneof(fc.constant('residence'), fc.string({ maxLength: 70 }), fc.jsonValue({ maxDepth: 1 })),
        fields: fieldsArb,
        returnTo: fc.oneof(fc.constant('/apply/1'), fc.string({ maxLength: 40 }), fc.integer()),
      },
      { requiredKeys: [] },
    )
    .map((body) => JSON.stringify(body)),
  fieldsArb.map((fields) => JSON.stringify(fields)),
  fc
    .record(
      {
        code: fc.oneof(fc.string({ maxLength: 30 }), fc.constant(generateResumeCode().display), fc.jsonValue({ maxDepth: 2 })),
        answer: fc.oneof(fc.string({ maxLength: 120 }), fc.integer()),
      },
      { requiredKeys: [] },
    )
    .map((body) => JSON.stringify(body)),
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  deep,
  deep.map((text) => `{"formId":"residence","fields":{"a":${text}}}`),
  deep.map((text) => `{"a":${text},"code":"x"}`),
  fc.constantFrom('', 'null', '{', '[1,2]', '"text"', '{"formId":"residence","fields":{"a":1}}', 'code=ABCDE-FGHJK-MNPQR&answer=x', 'code=%ZZ'),
);
const typeArb = fc.option(
  fc.constantFrom(
    'application/json',
    'application/merge-patch+json',
    'application/x-www-form-urlencoded',
    'text/plain',
    'application/json; charset=utf-8',
    'garbage',
    '',
  ),
  { nil: undefined },
);
const ifMatchArb = fc.option(fc.oneof(fc.constantFrom('"1"', '"2"', 'W/"1"', '1', '*', '"x"', '', '"999999999999999999"'), fc.string({ maxLength: 20 })), {
  nil: undefined,
});

interface Case {
  body: string;
  type: string | undefined;
  ifMatch: string | undefined;
  cookie: 'owner' | 'none' | 'other' | 'garbage';
  fetchSite: string | undefined;
  accept: string | undefined;
  ip: string;
}
const caseArb: fc.Arbitrary<Case> = fc.record({
  body: bodyArb,
  type: typeArb,
  ifMatch: ifMatchArb,
  cookie: fc.constantFrom('owner', 'owner', 'none', 'other', 'garbage'),
  fetchSite: fc.option(fc.constantFrom('same-origin', 'cross-site', 'none', 'same-site'), { nil: undefined }),
  accept: fc.option(fc.oneof(fc.constantFrom('application/json', 'text/html', '*/*'), headerText), { nil: undefined }),
  ip: fc.constantFrom('192.0.2.1', '192.0.2.2', '2001:db8::1'),
});

/** The endpoints of the drafts API: method and path, given the draft every case may aim at. */
const ENDPOINTS: { name: string; method: string; path: (id: string) => fc.Arbitrary<string> }[] = [
  { name: 'POST /_sanh/drafts', method: 'POST', path: () => fc.constant('/_sanh/drafts') },
  {
    name: 'GET /_sanh/drafts/:id',
    method: 'GET',
    path: (id) => fc.constantFrom(`/_sanh/drafts/${id}`, '/_sanh/drafts/AAAAAAAAAAAAAAAAAAAAAA', '/_sanh/drafts/x', `/_sanh/drafts/${id}?lang=vi`),
  },
  { name: 'PUT /_sanh/drafts/:id', method: 'PUT', path: (id) => fc.constantFrom(`/_sanh/drafts/${id}`, '/_sanh/drafts/AAAAAAAAAAAAAAAAAAAAAA') },
  {
    name: 'DELETE /_sanh/drafts/:id',
    method: 'DELETE',
    path: (id) => fc.constantFrom(`/_sanh/drafts/${id}`, '/_sanh/drafts/AAAAAAAAAAAAAAAAAAAAAA', '/_sanh/drafts/%00'),
  },
  {
    name: 'PUT /_sanh/drafts/:id/resume-answer',
    method: 'PUT',
    path: (id) => fc.constantFrom(`/_sanh/drafts/${id}/resume-answer`, '/_sanh/drafts/AAAAAAAAAAAAAAAAAAAAAA/resume-answer'),
  },
  {
    name: 'POST /_sanh/drafts/:id/resume-code',
    method: 'POST',
    path: (id) => fc.constantFrom(`/_sanh/drafts/${id}/resume-code`, '/_sanh/drafts/AAAAAAAAAAAAAAAAAAAAAA/resume-code'),
  },
  { name: 'POST /_sanh/drafts/resume', method: 'POST', path: () => fc.constantFrom('/_sanh/drafts/resume', '/_sanh/drafts/resume?lang=en') },
  {
    name: 'GET /_sanh/drafts/resume',
    method: 'GET',
    path: () => fc.constantFrom('/_sanh/drafts/resume', '/_sanh/drafts/resume?lang=vi', '/_sanh/drafts/resume?lang=%ZZ'),
  },
];

describe('drafts API under generated requests (fast-check)', () => {
  for (const endpoint of ENDPOINTS) {
    it(`${endpoint.name}: never crashes, never answers an undocumented 5xx, every JSON error in the uniform shape (${RUNS} cases)`, async () => {
      const drafts = await build();
      try {
        await fc.assert(
          fc.asyncProperty(endpoint.path(drafts.draft.id), caseArb, async (path, c) => {
            const headers: Record<string, string> = { 'x-test-ip': c.ip };
            if (c.type !== undefined) headers['content-type'] = c.type;
            if (c.ifMatch !== undefined) headers['if-match'] = c.ifMatch;
            if (c.fetchSite !== undefined) headers['sec-fetch-site'] = c.fetchSite;
            if (c.accept !== undefined) headers.accept = c.accept;
            if (c.cookie === 'owner') headers.cookie = drafts.draft.cookie;
            else if (c.cookie === 'other') headers.cookie = `sanh_draft_owner=${'B'.repeat(43)}`;
            else if (c.cookie === 'garbage') headers.cookie = 'sanh_draft_owner=%%%; x="y;z"';
            const withBody = endpoint.method !== 'GET' && endpoint.method !== 'HEAD';
            faults.clear();
            const response = await drafts.request(path, { method: endpoint.method, headers, ...(withBody ? { body: c.body } : {}) });
            const text = await response.text();
            expectDocumentedAnswer(response, text, `${endpoint.method} ${path} → ${response.status}: ${text.slice(0, 300)} ${faults.last()}`, DOCUMENTED_5XX);
          }),
          { numRuns: RUNS },
        );
      } finally {
        await drafts.close();
      }
    }, 120_000);
  }
});
