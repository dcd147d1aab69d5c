/**
 * The overloaded portal for benchmarks: the demo portal (workers, a bounded queue, latency that
 * grows with load, 503 past the queue, 504 past the timeout, multi-step journeys with a session
 * cookie), sized by PORTAL_CAPACITY, PORTAL_SERVICE_MS, PORTAL_QUEUE_LIMIT and PORTAL_TIMEOUT_MS.
 */
import { startDemoPortal } from '../../src/demo-portal/server.js';

const whole = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
await startDemoPortal({
  port: Number(process.env.PORT),
  capacity: whole('PORTAL_CAPACITY', 4),
  serviceMs: whole('PORTAL_SERVICE_MS', 200),
  queueLimit: whole('PORTAL_QUEUE_LIMIT', 16),
  timeoutMs: whole('PORTAL_TIMEOUT_MS', 5000),
});
