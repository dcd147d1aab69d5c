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
      const incoming = new Headers({ connection, 'keep-alive': 'timeout=5', close: 'c', 'x-private': 'p', accept: '*/*', host: 'h', cookie: 'a=1; sanh_pass_main=x' });
      const out = originRequestHeaders(incoming, ctx);
      const listed = connection.toLowerCase().split(',').map((t) => t.trim());
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
