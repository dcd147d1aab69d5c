import { describe, expect, it } from 'vitest';
import { SanhError } from '../platform/errors.js';
import type { OriginClient, OriginRequest } from '../proxy/port.js';
import { measuredOrigin } from './measured-origin.js';
import { createOriginStats } from './origin-stats.js';

const request = (room: string): OriginRequest => ({
  method: 'POST',
  pathAndQuery: '/apply',
  headers: new Headers(),
  body: null,
  forwarding: { clientIp: undefined, https: false, host: 'portal' } as unknown as OriginRequest['forwarding'],
  room,
});

function failing(error: unknown): OriginClient {
  return { forward: () => Promise.reject(error), close: async () => undefined };
}

describe('the measured origin', () => {
  it('counts an unreachable origin as its error, but not a visitor body cut at its deadline', async () => {
    const stats = createOriginStats(() => 0);
    const unreachable = measuredOrigin(failing(new SanhError('origin_unreachable', 'down')), stats);
    await expect(unreachable.forward(request('main'))).rejects.toThrow('down');
    const slowBody = new SanhError('request_timeout', 'too slow');
    const cut = measuredOrigin(failing(new TypeError('fetch failed', { cause: slowBody })), stats);
    await expect(cut.forward(request('main'))).rejects.toThrow('fetch failed');
    await expect(measuredOrigin(failing(slowBody), stats).forward(request('main'))).rejects.toBe(slowBody);
    expect(stats.take('main')).toMatchObject({ requests: 1, errors: 1 });
  });
});
