import { Hono, type MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { checkStep, STEPS } from './form.js';
import { createOverload, type OverloadStats } from './overload.js';
import { Field, html, Page } from './pages.js';

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

/** The demo portal: its Hono app and its capacity knob. */
export interface DemoPortal {
  app: Hono;
  setCapacity(capacity: number): void;
  stats(): OverloadStats;
}

const FORM_ID = 'residence-application';
type Session = { values: Record<string, string>; done: number };

/**
 * A small Vietnamese e-services portal with a three-step residence registration, a review page
 * and a final submission that ends the visitor's Sảnh session (`Sanh-Session: end`). Every page
 * goes through an overload model, so it slows down and fails like a real overloaded portal.
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
  app.post('/_demo/capacity', async (c) => {
    const body = (await c.req.json().catch(() => undefined)) as { capacity?: unknown } | undefined;
    const next = body?.capacity;
    if (typeof next !== 'number' || !Number.isInteger(next) || next < 1 || next > 10_000) {
      return c.json({ error: { code: 'invalid_capacity', message: 'capacity must be an integer from 1 to 10000' } }, 400);
    }
    overload.setCapacity(next);
    return c.json(overload.stats());
  });

  const overloaded: MiddlewareHandler = async (c, next) => {
    const outcome = await overload.run();
    if (outcome === 'rejected') {
      return c.html(html(<Page title="Hệ thống đang quá tải">Hệ thống đang quá tải, vui lòng thử lại sau ít phút.</Page>), 503, { 'Retry-After': '5' });
    }
    if (outcome === 'timed-out') {
      return c.html(html(<Page title="Hết thời gian chờ">Hệ thống phản hồi quá chậm, vui lòng thử lại.</Page>), 504);
    }
    await next();
  };
  app.use('*', overloaded);

  function session(c: Parameters<MiddlewareHandler>[0]): Session {
    let sid = getCookie(c, 'demo_sid');
    if (!sid || !sessions.has(sid)) {
      sid = crypto.randomUUID();
      sessions.set(sid, { values: {}, done: 0 });
      setCookie(c, 'demo_sid', sid, { httpOnly: true, sameSite: 'Lax', path: '/' });
    }
    return sessions.get(sid) as Session;
  }

  function stepPage(step: number, values: Record<string, string>, errors: Record<string, string>) {
    const spec = STEPS[step - 1]!;
    return html(
      <Page title="Đăng ký thường trú">
        <p class="steps">{`${spec.title} (bước ${step}/${STEPS.length})`}</p>
        <form method="post" action={`/apply/step/${step}`} data-sanh-draft={FORM_ID}>
          {spec.fields.map((f) => (
            <Field name={f.name} label={f.label} type={f.type} multiline={f.multiline} value={values[f.name]} error={errors[f.name]} />
          ))}
          <button type="submit">{step < STEPS.length ? 'Tiếp tục' : 'Xem lại hồ sơ'}</button>
        </form>
      </Page>,
    );
  }

  app.get('/', (c) =>
    c.html(
      html(
        <Page title="Dịch vụ công trực tuyến">
          <p>Chọn thủ tục bạn muốn thực hiện:</p>
          <ul>
            <li>
              <a href="/apply">Đăng ký thường trú</a>
            </li>
            <li>Cấp đổi giấy phép lái xe (tạm ngừng)</li>
            <li>Đăng ký khai sinh (tạm ngừng)</li>
          </ul>
        </Page>,
      ),
    ),
  );
  app.get('/apply', (c) => c.redirect('/apply/step/1', 303));
  app.get('/apply/step/:step{[1-3]}', (c) => {
    const step = Number(c.req.param('step'));
    const s = session(c);
    if (step > s.done + 1) return c.redirect(`/apply/step/${s.done + 1}`, 303);
    return c.html(stepPage(step, s.values, {}));
  });
  app.post('/apply/step/:step{[1-3]}', async (c) => {
    const step = Number(c.req.param('step'));
    const s = session(c);
    if (step > s.done + 1) return c.redirect(`/apply/step/${s.done + 1}`, 303);
    const form = await c.req.parseBody();
    const values: Record<string, string> = {};
    for (const f of STEPS[step - 1]!.fields) values[f.name] = typeof form[f.name] === 'string' ? (form[f.name] as string) : '';
    const errors = checkStep(step, values);
    if (Object.keys(errors).length > 0) return c.html(stepPage(step, values, errors), 422);
    Object.assign(s.values, values);
    s.done = Math.max(s.done, step);
    return c.redirect(step < STEPS.length ? `/apply/step/${step + 1}` : '/apply/review', 303);
  });
  app.get('/apply/review', (c) => {
    const s = session(c);
    if (s.done < STEPS.length) return c.redirect(`/apply/step/${s.done + 1}`, 303);
    return c.html(
      html(
        <Page title="Xem lại hồ sơ">
          <dl>
            {STEPS.flatMap((spec) => spec.fields).map((f) => (
              <>
                <dt>{f.label}</dt>
                <dd>{s.values[f.name]}</dd>
              </>
            ))}
          </dl>
          <form method="post" action="/apply/submit" data-sanh-draft={FORM_ID}>
            <button type="submit">Nộp hồ sơ</button>
          </form>
        </Page>,
      ),
    );
  });
  app.post('/apply/submit', (c) => {
    const s = session(c);
    if (s.done < STEPS.length) return c.redirect(`/apply/step/${s.done + 1}`, 303);
    applications += 1;
    const number = `HS-2026-${String(applications).padStart(6, '0')}`;
    s.values = {};
    s.done = 0;
    return c.html(
      html(
        <Page title="Nộp hồ sơ thành công">
          <p>Hồ sơ của bạn đã được tiếp nhận. Số hồ sơ:</p>
          <p class="number" id="application-number">
            {number}
          </p>
          <p>
            <a href={`/status/${number}`}>Tra cứu tình trạng hồ sơ</a>
          </p>
        </Page>,
      ),
      200,
      { 'Sanh-Session': 'end' },
    );
  });
  app.get('/status/:number', (c) =>
    c.html(
      html(
        <Page title={`Hồ sơ ${c.req.param('number')}`}>
          <p>Tình trạng: Đã tiếp nhận.</p>
        </Page>,
      ),
    ),
  );
  app.notFound((c) => c.html(html(<Page title="Không tìm thấy trang">Trang bạn yêu cầu không tồn tại.</Page>), 404));

  return { app, setCapacity: overload.setCapacity, stats: overload.stats };
}
