import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectDocumentedAnswer, faultLog, fuzzedDrafts, headerText } from '../../../tests/helpers/drafts-fuzz.js';
import { parseKeyRing } from '../../platform/keyring.js';
import { createMemoryUploadBytes } from './bytes.js';
import { createDraftAttachments } from './index.js';
import { createMemoryUploadRecords } from './records.js';

const KEYS = parseKeyRing(`k1:${'t'.repeat(40)}`);
/** 5xx answers the tus endpoints document: storage full (507), the store or disk unreachable (503). */
const DOCUMENTED_5XX = new Set(['storage_full', 'store_unavailable']);
const RUNS = 10_000;
/** Generated requests one app serves before a fresh one (a DELETE or full draft would otherwise end the fun). */
const PER_APP = 400;

const faults = faultLog();

interface Fixture {
  request: (path: string, init: RequestInit) => Promise<Response>;
  draftId: string;
  cookie: string;
  /** A started upload of 64 bytes, 10 of them sent. */
  uploadPath: string;
  close(): Promise<void>;
}

async function build(): Promise<Fixture> {
  const { logger } = faults;
  const { request, draft, close } = await fuzzedDrafts({
    keyRing: KEYS,
    logger,
    drafts: {
      forms: [{ id: 'residence', attachments: { maxFileBytes: 4_096, maxFiles: 8, maxTotalBytes: 16_384, types: ['application/pdf', 'image/*'] } }],
      uploads: { maxChunkBytes: 64 * 1024, maxStoredBytes: 1024 * 1024, perAddress: { createPerMinute: 1_000_000, bytesPerHour: 1024 * 1024 * 1024 } },
    },
    with: (config) => ({
      clientAddress: () => '192.0.2.1',
      attachments: (access, sealer) =>
        createDraftAttachments({
          access,
          sealer,
          records: createMemoryUploadRecords(),
          bytes: createMemoryUploadBytes({ maxBytes: 32 * 1024 }),
          config,
          logger,
          sweepIntervalMs: 0,
        }),
    }),
  });
  const upload = await request(`/_sanh/drafts/${draft.id}/uploads`, {
    method: 'POST',
    headers: {
      cookie: draft.cookie,
      'tus-resumable': '1.0.0',
      'upload-length': '64',
      'upload-metadata': `filename ${btoa('a.pdf')},filetype ${btoa('application/pdf')}`,
      'content-type': 'application/offset+octet-stream',
    },
    body: new Uint8Array(10).fill(1),
  });
  const uploadPath = upload.headers.get('location') ?? '';
  expect(upload.status).toBe(201);
  return { request, draftId: draft.id, cookie: draft.cookie, uploadPath, close };
}

const countArb = fc.oneof(
  fc.constantFrom('0', '1', '10', '54', '64', '4096', '4097', '99999999999999999', '-1', '1e3', ' 7 ', ''),
  fc.nat({ max: 70_000 }).map(String),
  headerText,
);
const b64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));
const metadataArb = fc.oneof(
  fc.constantFrom(
    `filename ${b64('giấy tờ.pdf')},filetype ${b64('application/pdf')}`,
    `filetype ${b64('image/png')}`,
    `filetype ${b64('text/html')}`,
    'filename',
    'a b c',
    'filetype !!!',
    '',
    `filetype ${b64('application/pdf')},filetype ${b64('image/png')}`,
  ),
  headerText,
  fc
    .tuple(fc.string({ maxLength: 30 }), fc.constantFrom('application/pdf', 'image/jpeg', 'x/y', ''))
    .map(([name, type]) => `filename ${b64(name)},filetype ${b64(type)}`),
);
const checksumArb = fc.option(
  fc.oneof(
    fc.constantFrom(
      'sha1 AAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      'sha256 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=',
      'md5 1B2M2Y8AsgTpgAmY7PhCfg==',
      'sha256 ???',
      'sha256',
    ),
    headerText,
  ),
  { nil: undefined },
);

interface Case {
  tus: string | undefined;
  length: string | undefined;
  offset: string | undefined;
  metadata: string | undefined;
  type: string | undefined;
  checksum: string | undefined;
  override: string | undefined;
  deferLength: string | undefined;
  owner: 'owner' | 'none' | 'other';
  body: Uint8Array | undefined;
}
const caseArb: fc.Arbitrary<Case> = fc.record({
  tus: fc.option(fc.oneof(fc.constant('1.0.0'), fc.constant('1.0.0'), fc.constantFrom('0.2.2', '1.0', ''), headerText), { nil: undefined }),
  length: fc.option(countArb, { nil: undefined }),
  offset: fc.option(countArb, { nil: undefined }),
  metadata: fc.option(metadataArb, { nil: undefined }),
  type: fc.option(fc.constantFrom('application/offset+octet-stream', 'application/offset+octet-stream; x=1', 'application/json', 'text/plain', ''), {
    nil: undefined,
  }),
  checksum: checksumArb,
  override: fc.option(fc.constantFrom('PATCH', 'DELETE', 'patch', 'GET', 'PUT', ''), { nil: undefined }),
  deferLength: fc.option(fc.constantFrom('1', '0', 'x'), { nil: undefined }),
  owner: fc.constantFrom('owner', 'owner', 'owner', 'none', 'other'),
  body: fc.option(
    fc.oneof(
      fc.uint8Array({ maxLength: 100 }),
      fc.integer({ min: 4_000, max: 70_000 }).map((n) => new Uint8Array(n)),
    ),
    { nil: undefined },
  ),
});

/** The tus endpoints and the paths each case may aim at (the fixture's own draft and upload, others', malformed). */
const ENDPOINTS: { name: string; method: string; path: (f: Fixture) => fc.Arbitrary<string> }[] = [
  {
    name: 'OPTIONS /:draftId/uploads',
    method: 'OPTIONS',
    path: (f) => fc.constantFrom(`/_sanh/drafts/${f.draftId}/uploads`, '/_sanh/drafts/AAAAAAAAAAAAAAAAAAAAAA/uploads'),
  },
  {
    name: 'POST /:draftId/uploads (creation)',
    method: 'POST',
    path: (f) => fc.constantFrom(`/_sanh/drafts/${f.draftId}/uploads`, '/_sanh/drafts/AAAAAAAAAAAAAAAAAAAAAA/uploads', '/_sanh/drafts/..%2F/uploads'),
  },
  {
    name: 'HEAD /:draftId/uploads/:uploadId',
    method: 'HEAD',
    path: (f) => fc.constantFrom(f.uploadPath, `/_sanh/drafts/${f.draftId}/uploads/nope`, `/_sanh/drafts/${f.draftId}/uploads/%2E%2E`),
  },
  {
    name: 'GET /:draftId/uploads/:uploadId (download)',
    method: 'GET',
    path: (f) => fc.constantFrom(f.uploadPath, `/_sanh/drafts/${f.draftId}/uploads/nope`, `/_sanh/drafts/${f.draftId}/uploads/${'x'.repeat(200)}`),
  },
  {
    name: 'PATCH /:draftId/uploads/:uploadId',
    method: 'PATCH',
    path: (f) => fc.constantFrom(f.uploadPath, f.uploadPath, `/_sanh/drafts/${f.draftId}/uploads/nope`),
  },
  { name: 'DELETE /:draftId/uploads/:uploadId', method: 'DELETE', path: (f) => fc.constantFrom(f.uploadPath, `/_sanh/drafts/${f.draftId}/uploads/nope`) },
  {
    name: 'POST /:draftId/uploads/:uploadId (method override)',
    method: 'POST',
    path: (f) => fc.constantFrom(f.uploadPath, `/_sanh/drafts/${f.draftId}/uploads/nope`),
  },
  { name: 'OPTIONS /:draftId/uploads/:uploadId', method: 'OPTIONS', path: (f) => fc.constantFrom(f.uploadPath, `/_sanh/drafts/${f.draftId}/uploads/nope`) },
];

describe('tus endpoints under generated requests (fast-check)', () => {
  for (const endpoint of ENDPOINTS) {
    it(`${endpoint.name}: never crashes, never answers an undocumented 5xx, every JSON error in the uniform shape (${RUNS} cases)`, async () => {
      let fixture = await build();
      let served = 0;
      // Paths are drawn per fixture: the arbitrary is rebuilt with the fixture's ids.
      const pathOf = (index: number) => fc.sample(endpoint.path(fixture), { numRuns: 1, seed: index })[0] as string;
      try {
        await fc.assert(
          fc.asyncProperty(fc.nat(), caseArb, async (pick, c) => {
            if (served++ >= PER_APP) {
              await fixture.close();
              fixture = await build();
              served = 1;
            }
            const path = pathOf(pick);
            const headers: Record<string, string> = {};
            const set = (name: string, value: string | undefined) => {
              if (value !== undefined) headers[name] = value;
            };
            set('tus-resumable', c.tus);
            set('upload-length', c.length);
            set('upload-offset', c.offset);
            set('upload-metadata', c.metadata);
            set('content-type', c.type);
            set('upload-checksum', c.checksum);
            set('x-http-method-override', c.override);
            set('upload-defer-length', c.deferLength);
            if (c.owner === 'owner') headers.cookie = fixture.cookie;
            else if (c.owner === 'other') headers.cookie = `sanh_draft_owner=${'C'.repeat(43)}`;
            const withBody = c.body !== undefined && endpoint.method !== 'GET' && endpoint.method !== 'HEAD';
            faults.clear();
            const response = await fixture.request(path, {
              method: endpoint.method,
              headers,
              ...(withBody ? { body: c.body as Uint8Array<ArrayBuffer> } : {}),
            });
            const text = endpoint.method === 'HEAD' ? '' : await response.text().catch((error: Error) => `<<body failed: ${error.message}>>`);
            const fault = `${endpoint.method} ${path} ${JSON.stringify(headers)} → ${response.status}: ${text.slice(0, 300)} ${faults.last()}`;
            expect(text.startsWith('<<body failed'), fault).toBe(false);
            // No body to read a HEAD's code from: it may only fail as a documented 5xx may.
            expectDocumentedAnswer(response, endpoint.method === 'HEAD' ? undefined : text, fault, DOCUMENTED_5XX);
            if (path.includes('/uploads') && response.status !== 404) expect(response.headers.get('tus-resumable'), fault).toBe('1.0.0');
          }),
          { numRuns: RUNS },
        );
      } finally {
        await fixture.close();
      }
    }, 120_000);
  }
});
