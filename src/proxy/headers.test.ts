import { describe, expect, it } from 'vitest';
import { isHopByHop, originRequestHeaders, visitorResponseHeaders } from './headers.js';

const ctx = { clientIp: '10.0.0.9', proto: 'http', host: 'portal.example' };

describe('proxy headers', () => {
  it('drops hop-by-hop headers and those the Connection header names, whatever it lists', () => {
    expect(isHopByHop('Keep-Alive', undefined)).toBe(true);
    expect(isHopByHop('x-private', 'keep-alive, X-Private')).toBe(true);
    expect(isHopByHop('x-private', 'keep-alive')).toBe(false);
    expect(isHopByHop('close', 'close')).toBe(true);
    for (const connection of ['keep-alive', 'Keep-Alive', 'close', 'close, x-private', 'upgrade']) {
      const incoming = new Headers({
        connection,
        'keep-alive': 'timeout=5',
        close: 'c',
        'x-private': 'p',
        accept: '*/*',
        host: 'h',
        cookie: 'a=1; sanh_pass_main=x',
      });
      const out = originRequestHeaders(incoming, ctx);
      const listed = connection
        .toLowerCase()
        .split(',')
        .map((t) => t.trim());
      expect(out).toEqual({
        accept: '*/*',
        cookie: 'a=1',
        ...(listed.includes('close') ? {} : { close: 'c' }),
        ...(listed.includes('x-private') ? {} : { 'x-private': 'p' }),
        'x-forwarded-for': '10.0.0.9',
        'x-forwarded-proto': 'http',
        'x-forwarded-host': 'portal.example',
      });
    }
  });

  it('drops client forwarding claims and rewrite headers unless trusted hops vouch for them', () => {
    const incoming = new Headers({
      'x-forwarded-for': '10.0.0.1, 198.51.100.4',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'evil.example',
      forwarded: 'for="[2001:db8::1]";host="a,b", for=198.51.100.4',
      'x-real-ip': '10.0.0.1',
      'x-original-url': '/apply/gated',
      'x-rewrite-url': '/apply/gated',
      'x-forwarded-prefix': '/admin',
      expect: '100-continue',
      accept: '*/*',
    });
    expect(originRequestHeaders(incoming, ctx)).toEqual({
      accept: '*/*',
      'x-forwarded-for': '10.0.0.9',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'portal.example',
    });
    expect(originRequestHeaders(incoming, { ...ctx, clientIp: '2001:db8::9', trustProxyHops: 2 })).toEqual({
      accept: '*/*',
      'x-real-ip': '10.0.0.1',
      'x-forwarded-for': '10.0.0.1, 198.51.100.4, 2001:db8::9',
      forwarded: 'for="[2001:db8::1]";host="a,b", for=198.51.100.4, for="[2001:db8::9]"',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'evil.example',
    });
    expect(originRequestHeaders(incoming, { ...ctx, trustProxyHops: 1 })['x-forwarded-for']).toBe('198.51.100.4, 10.0.0.9');
    // A quote in X-Forwarded-For means nothing; an open quote in Forwarded drops it rather than swallow the trusted elements.
    const quoted = new Headers([
      ['x-forwarded-for', '!"!'],
      ['x-forwarded-for', '0.0.0.0'],
      ['forwarded', 'for="x, for=198.51.100.4'],
    ]);
    expect(originRequestHeaders(quoted, { ...ctx, trustProxyHops: 1 })).toMatchObject({ 'x-forwarded-for': '0.0.0.0, 10.0.0.9' });
    expect(originRequestHeaders(quoted, { ...ctx, trustProxyHops: 1 }).forwarded).toBeUndefined();
  });

  it("keeps the origin's repeated headers and drops its hop-by-hop ones", () => {
    const headers = visitorResponseHeaders({
      connection: 'keep-alive',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      'set-cookie': ['a=1', 'b=2'],
      'content-type': 'text/html',
      'x-gone': undefined,
    });
    expect([...headers]).toEqual([
      ['content-type', 'text/html'],
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
    ]);
    expect([...visitorResponseHeaders({ connection: ['close', 'x-a'], 'x-a': '1', close: '2', 'x-b': '3' })]).toEqual([['x-b', '3']]);
  });
});
