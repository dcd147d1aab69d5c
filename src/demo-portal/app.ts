import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { checkStep, STEPS } from './form.js';
import { createOverload, type OverloadStats } from './overload.js';
import { homePage, messagePage, reviewPage, stepPage, statusPage, submittedPage } from './pages.js';

/** Knobs of the demo portal's overload model. */
export interface DemoPortalOptions {
  /** Concurrent requests the portal can work on at once (its "workers"). Default 8. */
  capacity?: number;
  /** Requests allowed to wait for a worker before the portal answers 503. Default capacity * 4. */
  queueLimit?: number;
  /** Base service time of one page in milliseconds when idle. Default 20. */
  serviceMs?: number;
  /** A request that waited/ran longer than this gets 504. Default 10_000. */
  timeoutMs?: number;
}

/** The demo portal: its Hono app, its live capacity knob and its counters. */
export interface DemoPortal {
  /** The portal as a Hono app (testable with `app.request()`). */
  app: Hono;
  /** Changes the worker count live; queued requests start at once if it grew. */
  setCapacity(capacity: number): void;
  /** Current load, counters and latency percentiles of the overload model. */
  stats(): OverloadStats;
  /** Zeroes the counters and latencies (a benchmark phase starts). */
  resetStats(): void;
}

type Session = { values: Record<string, string>; done: number };

const SESSION_COOKIE = 'demo_sid';
const MAX_SESSIONS = 10_000;
const YEAR = 2026;

/**
 * A small Vietnamese e-services portal with a three-step residence registration, a review page
 * and a final submission that ends the visitor's Sảnh session (`Sanh-Session: end`). Every page
 * goes through an overload model, so it slows down and fails like a real overloaded portal.
 * Throws a RangeError on an impossible option.
 */
export function createDemoPortal(options: DemoPortalOptions = {}): DemoPortal {
  const capacity = options.capacity ?? 8;
  const overload = createOverload({
    capacity,
    queueLimit: options.queueLimit ?? capacity * 4,
    serviceMs: options.serviceMs ?? 20,
    timeoutMs: options.timeoutMs ?? 10_000,
  });
  const sessions = new Map<string, Session>();
  let applications = 0;
  const app = new Hono();

  app.get('/healthz', (c) => c.text('ok'));
  app.get('/_demo/stats', (c) => c.json(overload.stats()));
  app.post('/_demo/stats/reset', (c) => {
    overload.resetStats();
    return c.json(overload.stats());
  });
  app.post('/_demo/capacity', async (c) => {
    const body: unknown = await c.req.json().catch(() => undefined);
    const next = typeof body === 'object' && body !== null && 'capacity' in body ? body.capacity : undefined;
    if (typeof next !== 'number' || !Number.isInteger(next) || next < 1 || next > 10_000) {
      return c.json({ error: { code: 'invalid_capacity', message: 'capacity must be an integer from 1 to 10000' } }, 400);
    }
    overload.setCapacity(next);
    return c.json(overload.stats());
  });

  const overloaded: MiddlewareHandler = async (c, next) => {
    const outcome = await overload.run();
    if (outcome === 'rejected') {
      return c.html(messagePage('Hệ thống đang quá tải', 'Hệ thống đang quá tải, vui lòng thử lại sau ít phút.'), 503, { 'Retry-After': '5' });
    }
    if (outcome === 'timed-out') {
      return c.html(messagePage('Hết thời gian chờ', 'Hệ thống phản hồi quá chậm, vui lòng thử lại sau.'), 504);
    }
    await next();
  };
  app.use('*', overloaded);

  /** The visitor's session; a new one (and its cookie) only when `create` is set. */
  function session(c: Context, create: boolean): Session {
    const sid = getCookie(c, SESSION_COOKIE);
    const found = sid === undefined ? undefined : sessions.get(sid);
    if (found && sid !== undefined) {
      sessions.delete(sid);
      sessions.set(sid, found);
      return found;
    }
    const fresh: Session = { values: {}, done: 0 };
    if (!create) return fresh;
    if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value as string);
    const newSid = crypto.randomUUID();
    sessions.set(newSid, fresh);
    setCookie(c, SESSION_COOKIE, newSid, { httpOnly: true, sameSite: 'Lax', path: '/' });
    return fresh;
  }
  const firstMissing = (s: Session) => (s.done < STEPS.length ? `/apply/step/${s.done + 1}` : '/apply/review');

  app.get('/', (c) => c.html(homePage()));
  app.get('/apply', (c) => c.redirect('/apply/step/1', 303));
  app.get('/apply/step/:step{[1-3]}', (c) => {
    const step = Number(c.req.param('step'));
    const s = session(c, false);
    if (step > s.done + 1) return c.redirect(firstMissing(s), 303);
    return c.html(stepPage(step, s.values, {}));
  });
  app.post('/apply/step/:step{[1-3]}', async (c) => {
    const step = Number(c.req.param('step'));
    const s = session(c, true);
    if (step > s.done + 1) return c.redirect(firstMissing(s), 303);
    const form = await c.req.parseBody();
    const values: Record<string, string> = {};
    for (const f of STEPS[step - 1]!.fields) {
      const value = form[f.name];
      values[f.name] = typeof value === 'string' ? value.trim() : '';
    }
    const errors = checkStep(step, values);
    if (Object.keys(errors).length > 0) return c.html(stepPage(step, values, errors), 422);
    Object.assign(s.values, values);
    s.done = Math.max(s.done, step);
    return c.redirect(step < STEPS.length ? `/apply/step/${step + 1}` : '/apply/review', 303);
  });
  app.get('/apply/review', (c) => {
    const s = session(c, false);
    if (s.done < STEPS.length) return c.redirect(firstMissing(s), 303);
    return c.html(reviewPage(s.values));
  });
  /** Application numbers by Idempotency-Key: a submission sent again (by Sảnh's forwarder, or a retry) is not filed twice. */
  const filed = new Map<string, string>();
  app.post('/apply/submit', (c) => {
    const key = c.req.header('idempotency-key');
    const known = key ? filed.get(key) : undefined;
    if (known) return c.html(submittedPage(known), 200, { 'Sanh-Session': 'end', 'Sanh-Application-Number': known });
    const s = session(c, false);
    if (s.done < STEPS.length) return c.redirect(firstMissing(s), 303);
    applications += 1;
    const applicationNumber = `HS-${YEAR}-${String(applications).padStart(6, '0')}`;
    if (key) filed.set(key, applicationNumber);
    s.values = {};
    s.done = 0;
    return c.html(submittedPage(applicationNumber), 200, { 'Sanh-Session': 'end', 'Sanh-Application-Number': applicationNumber });
  });
  app.get('/status/:applicationNumber', (c) => {
    const applicationNumber = c.req.param('applicationNumber');
    const match = new RegExp(`^HS-${YEAR}-(\\d{6})$`).exec(applicationNumber);
    const n = match ? Number(match[1]) : 0;
    if (n < 1 || n > applications) {
      return c.html(messagePage('Không tìm thấy hồ sơ', `Không có hồ sơ nào mang số ${applicationNumber}.`), 404);
    }
    return c.html(statusPage(applicationNumber));
  });
  app.notFound((c) => c.html(messagePage('Không tìm thấy trang', 'Trang bạn yêu cầu không tồn tại.'), 404));

  return { app, setCapacity: overload.setCapacity, stats: overload.stats, resetStats: overload.resetStats };
}
