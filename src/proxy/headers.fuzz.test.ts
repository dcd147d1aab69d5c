import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isForwardingHeader, isRewriteHeader, originRequestHeaders, visitorResponseHeaders, type ForwardingContext } from './headers.js';

/*
 * Property-based tests of the proxy's header rules (issue 17): whatever header set a visitor
 * sends, no hop-by-hop header, no client forwarding claim that trusted hops did not vouch for, no
 * rewrite header and no Sảnh cookie reaches the origin, and nothing throws.
 */

const RUNS = 10_000;

const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'sanh-bypass',
];
const FORWARDING = [
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-real-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'x-client-ip',
  'x-original-host',
  'x-forwarded-server',
];
const REWRITE = ['x-original-url', 'x-rewrite-url', 'x-forwarded-prefix', 'x-forwarded-path', 'x-original-uri', 'x-http-method-override', 'expect'];
const PLAIN = ['accept', 'content-type', 'content-length', 'user-agent', 'x-custom', 'traceparent', 'host', 'close', 'cookie'];

/** A header name: a known one (any letter case) or a random token. */
const headerName = fc.oneof(
  fc.constantFrom(...HOP_BY_HOP, ...FORWARDING, ...REWRITE, ...PLAIN).chain((name) =>
    fc.constantFrom(
      name,
      name.toUpperCase(),
      name.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase()),
    ),
  ),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/),
);

/** A header value Headers accepts: visible ASCII, inner spaces. */
const headerValue = fc.oneof(
  fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/),
  fc
    .array(fc.constantFrom(...HOP_BY_HOP, ...FORWARDING, ...REWRITE, 'x-custom', 'keep-alive', 'close'), { minLength: 1, maxLength: 4 })
    .map((names) => names.join(', ')),
  fc
    .array(fc.tuple(fc.constantFrom('sanh_pass_main', 'sanh_ticket_a', 'sanh_bypass', 'portal', 'SANH_x', 'a'), fc.stringMatching(/^[A-Za-z0-9._-]{0,12}$/)), {
      minLength: 1,
      maxLength: 5,
    })
    .map((pairs) => pairs.map(([n, v]) => `${n}=${v}`).join('; ')),
  fc.array(fc.ipV4(), { minLength: 1, maxLength: 4 }).map((ips) => ips.join(', ')),
);

const headerSet = fc.array(fc.tuple(headerName, headerValue), { maxLength: 14 });

const context: fc.Arbitrary<ForwardingContext> = fc.record({
  clientIp: fc.option(fc.oneof(fc.ipV4(), fc.ipV6()), { nil: undefined }),
  proto: fc.constantFrom('http', 'https'),
  host: fc.option(fc.constantFrom('portal.example', 'dvc.gov.vn:8443'), { nil: undefined }),
  trustProxyHops: fc.integer({ min: 0, max: 3 }),
});

function build(pairs: [string, string][]): Headers {
  const headers = new Headers();
  for (const [name, value] of pairs) headers.append(name, value);
  return headers;
}

describe('proxy header rules (fast-check)', () => {
  it(`request headers for the origin never carry hop-by-hop, unvouched forwarding, rewrite headers or Sảnh cookies (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(headerSet, context, (pairs, ctx) => {
        const incoming = build(pairs);
        const out = originRequestHeaders(incoming, ctx);
        const listed = (incoming.get('connection') ?? '')
          .split(',')
          .map((t) => t.trim().toLowerCase())
          .filter(Boolean);
        const hops = ctx.trustProxyHops ?? 0;
        for (const [name, value] of Object.entries(out)) {
          expect(name).toBe(name.toLowerCase());
          expect(typeof value).toBe('string');
          expect(HOP_BY_HOP).not.toContain(name);
          expect(name).not.toBe('host');
          expect(isRewriteHeader(name)).toBe(false);
          if (listed.includes(name) && !['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded'].includes(name))
            throw new Error(`${name} is named by Connection`);
          if (hops === 0 && isForwardingHeader(name)) expect(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']).toContain(name);
        }
        if (hops === 0) {
          expect(out['x-forwarded-for']).toBe(ctx.clientIp);
          expect(out['x-forwarded-proto']).toBe(ctx.proto);
          expect(out['x-forwarded-host']).toBe(ctx.host);
          expect(out.forwarded).toBeUndefined();
        } else if (out['x-forwarded-for'] !== undefined) {
          const chain = out['x-forwarded-for'].split(', ');
          expect(chain.length).toBeLessThanOrEqual(hops + 1);
          if (ctx.clientIp) expect(chain.at(-1)).toBe(ctx.clientIp);
        }
        for (const part of (out.cookie ?? '').split(';')) expect(part.trim().startsWith('sanh_')).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });

  it(`answers for the visitor never carry hop-by-hop headers, and never throw (${RUNS} runs)`, () => {
    const raw = fc.dictionary(
      headerName.map((name) => name.toLowerCase()),
      fc.oneof(headerValue, fc.array(headerValue, { minLength: 1, maxLength: 3 }), fc.constant(undefined)),
      { maxKeys: 12 },
    );
    fc.assert(
      fc.property(raw, (headers) => {
        const out = visitorResponseHeaders(headers);
        const connection = headers.connection;
        const listed = (Array.isArray(connection) ? connection.join(',') : (connection ?? ''))
          .split(',')
          .map((t) => t.trim().toLowerCase())
          .filter(Boolean);
        out.forEach((_value, name) => {
          expect(HOP_BY_HOP).not.toContain(name);
          if (listed.length > 0 && !(listed.length === 1 && HOP_BY_HOP.includes(listed[0]!))) expect(listed).not.toContain(name);
        });
      }),
      { numRuns: RUNS },
    );
  });
});
