import { describe, expect, it } from 'vitest';
import { conventionMethod, createHttpServerStats, measuredFetch } from './http-server-stats.js';

/** A time source that moves 5 ms per reading. */
function steppingNow() {
  let now = 1_000;
  return () => (now += 5);
}

function recorded() {
  const stats = createHttpServerStats({ now: steppingNow() });
  const seen: unknown[][] = [];
  stats.listen((...answer) => void seen.push(answer));
  return { stats, seen };
}

describe("the public listener's answers, measured", () => {
  it('names methods as the HTTP conventions do', () => {
    expect(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'].map(conventionMethod)).toEqual([
      'GET',
      'HEAD',
      'POST',
      'PUT',
      'DELETE',
      'CONNECT',
      'OPTIONS',
      'TRACE',
      'PATCH',
    ]);
    expect(['PROPFIND', 'get', 'QUERY'].map(conventionMethod)).toEqual(['_OTHER', '_OTHER', '_OTHER']);
  });

  it('records each answer once, sync or async, with its room, a known state and the time to it', async () => {
    const { stats, seen } = recorded();
    const answer = (headers: Record<string, string>, status = 200) => new Response('ok', { status, headers });
    const sync = measuredFetch(() => answer({ 'sanh-room': 'main', 'sanh-state': 'queued' }, 503), stats);
    const later = measuredFetch(async () => answer({ 'sanh-room': 'main', 'sanh-state': 'admitted' }), stats);
    const odd = measuredFetch(() => answer({ 'sanh-state': 'made-up' }, 404), stats);
    expect((sync(new Request('http://s/apply')) as Response).status).toBe(503);
    expect((await later(new Request('http://s/apply', { method: 'POST' }))).status).toBe(200);
    await odd(new Request('http://s/x', { method: 'PROPFIND' }));
    expect(seen).toEqual([
      ['GET', 503, 'main', 'queued', 0.005],
      ['POST', 200, 'main', 'admitted', 0.005],
      ['_OTHER', 404, null, '', 0.005],
    ]);
  });

  it('counts a fetch that fails as the 500 the server answers, and rethrows', async () => {
    const { stats, seen } = recorded();
    const broken = new Error('broken');
    expect(() =>
      measuredFetch(() => {
        throw broken;
      }, stats)(new Request('http://s/')),
    ).toThrow(broken);
    await expect(
      measuredFetch(async () => {
        throw broken;
      }, stats)(new Request('http://s/')),
    ).rejects.toBe(broken);
    expect(seen).toEqual([
      ['GET', 500, null, '', 0.005],
      ['GET', 500, null, '', 0.005],
    ]);
  });

  it('stops telling a listener that stopped listening', () => {
    const stats = createHttpServerStats();
    let heard = 0;
    const stop = stats.listen(() => void (heard += 1));
    stats.record('GET', 200, null, null, 0.1);
    stop();
    stats.record('GET', 200, null, null, 0.1);
    expect(heard).toBe(1);
  });
});
