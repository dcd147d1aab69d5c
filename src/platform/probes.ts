import { Hono } from 'hono';
import type { SanhEnv } from './http.js';
import type { StoreHealth } from './store-health.js';

/** What the probes read: nothing here does a store round trip. */
export interface ProbeDeps {
  /** The store's health as last checked. */
  store: Pick<StoreHealth, 'state'>;
  /** True once this instance has begun to shut down (drain). */
  draining: () => boolean;
}

const NO_STORE = { 'cache-control': 'no-store' };

/**
 * The probes, mounted under `/_sanh` (Kubernetes' meanings):
 * - `GET /live`: liveness, the process serves (200 whenever it answers at all);
 * - `GET /ready`: readiness, this instance can serve its rooms' policy: 503 once it drains.
 *   A store outage does not make it unready: a room with `onStoreFailure: "open"` admits within
 *   its fallback share, a `"closed"` room shows its friendly waiting page, and every instance
 *   would be equally affected, so taking them all out of the Service would only turn that page
 *   into connection errors;
 * - `GET /health`: liveness with details, 200 with `{ status: "ok", draining, store: { status, since } }`.
 * The configuration is loaded and checked before the listener opens, so a listening instance has it.
 */
export function probeRoutes(deps: ProbeDeps): Hono<SanhEnv> {
  const app = new Hono<SanhEnv>();
  app.get('/live', (c) => c.json({ status: 'live' }, 200, NO_STORE));
  app.get('/ready', (c) => (deps.draining() ? c.json({ status: 'draining' }, 503, NO_STORE) : c.json({ status: 'ready' }, 200, NO_STORE)));
  app.get('/health', (c) => {
    const store = deps.store.state();
    return c.json({ status: 'ok', draining: deps.draining(), store: { status: store.status, since: new Date(store.since).toISOString() } }, 200, NO_STORE);
  });
  return app;
}
