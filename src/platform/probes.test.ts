import { describe, expect, it } from 'vitest';
import { probeRoutes } from './probes.js';
import type { StoreHealthState } from './store-health.js';

describe('probes', () => {
  it('stays live while draining, turns unready at once, and reports the store without making it a readiness matter', async () => {
    let draining = false;
    let store: StoreHealthState = { status: 'ok', since: Date.UTC(2026, 5, 1) };
    const app = probeRoutes({ store: { state: () => store }, draining: () => draining });
    const json = async (path: string) => {
      const response = await app.request(path);
      expect(response.headers.get('cache-control')).toBe('no-store');
      return { status: response.status, body: (await response.json()) as unknown };
    };
    expect(await json('/ready')).toEqual({ status: 200, body: { status: 'ready' } });
    store = { status: 'down', since: Date.UTC(2026, 5, 1, 0, 5), error: 'connect ECONNREFUSED 10.0.0.7:6379' };
    expect(await json('/ready')).toEqual({ status: 200, body: { status: 'ready' } });
    const health = await json('/health');
    expect(health).toEqual({ status: 200, body: { status: 'ok', draining: false, store: { status: 'down', since: '2026-06-01T00:05:00.000Z' } } });
    expect(JSON.stringify(health.body)).not.toContain('10.0.0.7');
    draining = true;
    expect(await json('/ready')).toEqual({ status: 503, body: { status: 'draining' } });
    expect(await json('/live')).toEqual({ status: 200, body: { status: 'live' } });
    expect((await json('/health')).body).toMatchObject({ status: 'ok', draining: true });
  });
});
