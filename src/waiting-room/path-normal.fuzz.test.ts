import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PathFlavour } from '../config/paths.js';
import { parseConfig } from '../config/load.js';
import { createApp } from '../app.js';
import { manualClock } from '../platform/clock.js';
import { silentLogger } from '../platform/logger.js';
import type { OriginClient } from '../proxy/port.js';
import { normalisePath, PATH_PRESETS, rawPathOf } from './path-normal.js';
import { createRoomMatcher } from './rooms.js';
import { bypassReason, type BypassRequest } from './bypass.js';
import { memoryWaitingRoom } from '../../tests/helpers/waiting-room-app.js';

function bypassRequest(path: string): BypassRequest {
  return { method: 'GET', path, clientAddress: undefined, header: () => undefined };
}

/**
 * Issue 17 (room escape by path spelling), by generated paths: the normaliser never throws and
 * is idempotent; whatever an origin of each flavour reads the forwarded path as, the room is the
 * one that reading falls in (a page under `/apply` is always the `/apply` room's); and the whole
 * app never lets a path any flavour reads as `/apply...` reach the origin past a room that queues
 * everyone. The origins' readings are modelled here independently, from their documentation.
 */

const RUNS = 10_000;

// ---- Reference readings: how each kind of origin reads a path it receives. `undefined`: it answers 400. ----

/** The bytes of `%XX` escapes, each as one Latin-1 character (servers compare bytes). */
function decodeBytes(text: string): string | undefined {
  if (/%(?![0-9a-fA-F]{2})/.test(text)) return undefined;
  return text.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** Merges slashes and removes dot segments of decoded segments; `undefined` above the root. */
function resolveSegments(segments: string[]): string | undefined {
  const out: string[] = [];
  let trailing = false;
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index] as string;
    const last = index === segments.length - 1;
    if (segment === '' || segment === '.') {
      trailing = last;
      continue;
    }
    if (segment === '..') {
      if (out.length === 0) return undefined;
      out.pop();
      trailing = last;
      continue;
    }
    out.push(segment);
    trailing = false;
  }
  return `/${out.join('/')}${trailing && out.length > 0 ? '/' : ''}`;
}

/** nginx: decodes every escape, then merges slashes and resolves dot segments (ngx_http_parse_complex_uri). */
function nginxReads(path: string): string | undefined {
  const decoded = decodeBytes(path);
  return decoded === undefined ? undefined : resolveSegments(decoded.split('/').slice(1));
}

/** IIS on Windows: "\" is "/", escapes decoded (UTF-8), case and compatibility forms ignored, trailing dots and spaces of names dropped. */
function iisReads(path: string): string | undefined {
  if (/%(?![0-9a-fA-F]{2})/.test(path)) return undefined;
  let text: string;
  try {
    text = decodeURIComponent(path.replace(/\\/g, '/'));
  } catch {
    return undefined;
  }
  const segments = text.normalize('NFKC').toLowerCase().replace(/\\/g, '/').split('/').slice(1);
  return resolveSegments(segments.map((segment) => (segment === '.' || segment === '..' ? segment : segment.replace(/[. ]+$/, ''))));
}

/** A servlet container (Tomcat): ";params" dropped from each segment before decoding; an encoded "/" or "\" is refused. */
function javaReads(path: string): string | undefined {
  const segments: string[] = [];
  for (const raw of path.split('/').slice(1)) {
    const decoded = decodeBytes(raw.split(';')[0] as string);
    if (decoded === undefined || decoded.includes('/') || decoded.includes('\\')) return undefined;
    segments.push(decoded);
  }
  return resolveSegments(segments);
}

/** RFC 3986 only: unreserved escapes decoded, dot segments removed (slashes merged, as the strict flavour does). */
function strictReads(path: string): string | undefined {
  const decoded = path.replace(/%([0-9a-fA-F]{2})/g, (escaped: string, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(char) ? char : escaped.toUpperCase();
  });
  return resolveSegments(decoded.split('/').slice(1));
}

const READERS: Record<PathFlavour, (path: string) => string | undefined> = { strict: strictReads, nginx: nginxReads, iis: iisReads, java: javaReads };

function under(prefix: string, read: string | undefined): boolean {
  return read !== undefined && (read === prefix || read.startsWith(`${prefix}/`));
}

function underApply(read: string | undefined): boolean {
  return under('/apply', read);
}

/** A gated page: under `/apply`, not under its bypass path `/apply/static`. */
function gated(read: string | undefined): boolean {
  return underApply(read) && !under('/apply/static', read);
}

// ---- Generated paths: pieces of every known escape trick, and arbitrary text. ----

/** Spellings of `apply` and its neighbours, dot segments and parameters: what an origin may read as `/apply`. */
const readable = fc.constantFrom(
  'apply',
  'apply',
  'APPLY',
  'Apply',
  'aPPly',
  '%61pply',
  '%41PPLY',
  'app%6Cy',
  'appl%79',
  '%EF%BC%A1PPLY',
  '%EF%BD%81pply',
  'ａｐｐｌｙ',
  'form',
  'x',
  'static',
  '_sanh',
  'Form',
  '.',
  '..',
  ';',
  ';a=b',
  ';jsessionid=1',
  '%3B',
  '%3bx',
  '%EF%BC%8E',
  '．．',
  '%20',
  ' ',
  '%09',
  ':',
  '@',
  '~',
  '%7E',
  '-',
  '_',
  'apply.',
  'apply%20',
  'apply..',
  '..;',
  '.;x',
  '／',
  '＼',
  '%C3%A9',
  'é',
  '',
);
/** Escapes whose reading differs between servers: refused. */
const refused = fc.constantFrom(
  '%2e',
  '%2E%2e',
  '.%2e',
  '%2F',
  '%2f',
  '%5C',
  '\\',
  '%00',
  '%252F',
  '%2561',
  '%25',
  '%C0%AE',
  '%C0%AF',
  '%',
  '%u0061',
  '%G1',
  '?',
  '#',
);
const piece = fc.oneof({ weight: 12, arbitrary: readable }, { weight: 1, arbitrary: refused });
const segment = fc.array(piece, { minLength: 1, maxLength: 3 }).map((pieces) => pieces.join(''));
const separator = fc.oneof({ weight: 20, arbitrary: fc.constantFrom('/', '/', '/', '//', '/./', '/../') }, { weight: 1, arbitrary: fc.constant('\\') });
const first = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'apply',
      'APPLY',
      'Apply',
      '%61pply',
      'ａｐｐｌｙ',
      'apply;x',
      'apply.',
      'x/..',
      '.',
      'apply/static',
      'apply/STATIC',
      'Apply/static',
      'apply/static;x',
    ),
  },
  { weight: 2, arbitrary: segment },
);
const structured = fc
  .tuple(fc.constantFrom('/', '/', '/', '/', '//', '\\', ''), first, fc.array(fc.tuple(separator, segment), { maxLength: 4 }), fc.boolean())
  .map(([start, head, parts, trailing]) => `${start}${head}${parts.map(([sep, text]) => `${sep}${text}`).join('')}${trailing ? '/' : ''}`);
const arbitrary = fc.string({ unit: 'binary', maxLength: 30 }).map((text) => `/${text}`);
const rawPath = fc.oneof({ weight: 4, arbitrary: structured }, { weight: 1, arbitrary });

const ROOMS = parseConfig({
  rooms: [
    { id: 'apply', match: ['/apply'], maxActive: 1, admitPerMinute: 60, bypass: { paths: ['/apply/static'] } },
    { id: 'root', match: ['/'], maxActive: 1, admitPerMinute: 60 },
  ],
}).rooms;

describe('path normalisation under generated paths', () => {
  for (const flavour of ['strict', 'nginx', 'iis', 'java'] as const) {
    const rules = PATH_PRESETS[flavour];
    const matcher = createRoomMatcher(ROOMS, rules);
    const reads = READERS[flavour];

    it(`${flavour}: never throws, is idempotent, and matches the room the origin's reading of the forwarded path falls in (${RUNS} cases)`, () => {
      fc.assert(
        fc.property(rawPath, (raw) => {
          const once = normalisePath(raw, rules);
          if (!once.ok) return;
          expect(normalisePath(once.path, rules)).toEqual(once);
          const resolved = matcher.resolve(undefined, raw);
          if (!resolved.ok) return;
          expect(resolved.path).toBe(once.path);
          const read = reads(resolved.path);
          if (underApply(read)) expect(resolved.room?.id, `${raw} → ${resolved.path} read as ${read}`).toBe('apply');
          if (flavour !== 'strict' && read !== undefined && !underApply(read))
            expect(resolved.room?.id, `${raw} → ${resolved.path} read as ${read}`).toBe('root');
          if (resolved.room?.id === 'apply' && bypassReason(resolved.room, bypassRequest(resolved.key)) === 'path')
            expect(gated(read), `${raw} bypassed as ${resolved.key}, read as ${read}`).toBe(false);
        }),
        { numRuns: RUNS },
      );
    });
  }

  it(`strict (default): whichever kind of origin reads the forwarded path, a page under /apply is the /apply room's, and a bypass path is not a gated page (${RUNS} cases)`, () => {
    const matcher = createRoomMatcher(ROOMS, PATH_PRESETS.strict);
    fc.assert(
      fc.property(rawPath, (raw) => {
        const resolved = matcher.resolve(undefined, raw);
        if (!resolved.ok) return;
        const bypassed = resolved.room?.id === 'apply' && bypassReason(resolved.room, bypassRequest(resolved.key)) === 'path';
        for (const [flavour, reads] of Object.entries(READERS)) {
          const read = reads(resolved.path);
          if (underApply(read)) expect(resolved.room?.id, `${raw} → ${resolved.path}, read by ${flavour} as ${read}`).toBe('apply');
          if (bypassed) expect(gated(read), `${raw} bypassed as ${resolved.key}, read by ${flavour} as ${read}`).toBe(false);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('the app under generated paths (strict, in-memory store)', () => {
  it(`never lets a path any origin reads as a gated /apply page reach the origin past a room that queues everyone (bypass: /apply/static), and shapes every error (${RUNS} cases)`, async () => {
    const clock = manualClock(Date.UTC(2026, 5, 1, 3, 0, 0));
    const config = parseConfig({
      rooms: [
        { id: 'apply', match: ['/apply'], maxActive: 1, admitPerMinute: 60, mode: 'queue-all', bypass: { paths: ['/apply/static'] } },
        { id: 'root', match: ['/'], maxActive: 1, admitPerMinute: 60, mode: 'passthrough' },
      ],
    });
    const forwarded: string[] = [];
    const origin: OriginClient = {
      forward: async (request) => {
        forwarded.push(request.pathAndQuery);
        return new Response('portal');
      },
      close: async () => undefined,
    };
    const waitingRoom = memoryWaitingRoom(config.rooms, clock);
    const app = createApp({ waitingRoom, origin, logger: silentLogger });
    const matcher = createRoomMatcher(config.rooms);
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(rawPath, fc.boolean(), async (raw, json) => {
        const path = raw.replace(/\?/g, '%3F').replace(/#/g, '%23'); // as a client sends them in a path
        let request: Request;
        try {
          request = new Request(`http://sanh.test${path.startsWith('/') ? path : `/${path}`}?q=1`, {
            headers: { accept: json ? 'application/json' : 'text/html' },
          });
        } catch {
          return; // not a URL a client can send
        }
        sent++;
        const before = forwarded.length;
        const response = await app.fetch(request);
        if (response.status >= 500) {
          expect(response.status).toBe(503);
          expect(['queued', 'paused', 'prequeue', 'closed', 'unavailable']).toContain(response.headers.get('sanh-state'));
        }
        if (response.status >= 400 && response.status !== 503) {
          if (json) {
            const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
            expect(typeof body.error?.code).toBe('string');
            expect(typeof body.error?.message).toBe('string');
          }
        }
        if (forwarded.length > before) {
          const [received] = (forwarded[forwarded.length - 1] as string).split('?');
          const expected = matcher.resolve(undefined, rawPathOf(request.url));
          expect(expected.ok && expected.path, raw).toBe(received);
          for (const [flavour, reads] of Object.entries(READERS)) {
            expect(gated(reads(received as string)), `${raw} reached the origin as ${received}, read by ${flavour} as ${reads(received as string)}`).toBe(
              false,
            );
          }
          expect(forwarded[forwarded.length - 1]?.endsWith('?q=1')).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
    expect(sent).toBeGreaterThan(RUNS * 0.9);
  });
});
