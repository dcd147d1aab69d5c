import { describe, expect, it } from 'vitest';
import { Visitor, inProcess } from '../../tests/helpers/visitor.js';
import { createDemoPortal } from './app.js';
import { startDemoPortal } from './server.js';

const form = (values: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(values).toString(),
});

describe('demo portal', () => {
  it('takes a citizen through the three steps, review and submission, ending the Sảnh session', async () => {
    const { app } = createDemoPortal({ serviceMs: 1 });
    const citizen = new Visitor(inProcess(app));
    expect((await citizen.page('/apply')).headers.get('location')).toBe('/apply/step/1');
    const step1 = await citizen.page('/apply/step/1');
    expect(await step1.text()).toContain('data-sanh-draft="residence-application"');
    let answer = await citizen.request('/apply/step/1', form({ fullName: 'Nguyễn Văn A', birthDate: '1950-03-02', nationalId: '001050012345' }));
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('/apply/step/2');
    answer = await citizen.request('/apply/step/2', form({ province: 'Hà Nội', district: 'Ba Đình', address: '1 Hoàng Diệu' }));
    expect(answer.headers.get('location')).toBe('/apply/step/3');
    answer = await citizen.request('/apply/step/3', form({ documents: 'Giấy xác nhận chỗ ở hợp pháp', phone: '0912345678' }));
    expect(answer.headers.get('location')).toBe('/apply/review');
    const review = await (await citizen.page('/apply/review')).text();
    expect(review).toContain('Nguyễn Văn A');
    expect(review).toContain('1 Hoàng Diệu');
    const done = await citizen.request('/apply/submit', { method: 'POST' });
    expect(done.status).toBe(200);
    expect(done.headers.get('sanh-session')).toBe('end');
    expect(await done.text()).toMatch(/HS-2026-000001/);
    expect((await citizen.page('/apply/review')).headers.get('location')).toBe('/apply/step/1');
    expect(await (await citizen.page('/status/HS-2026-000001')).text()).toContain('Đã tiếp nhận');
    expect((await citizen.page('/status/HS-2026-000002')).status).toBe(404);
  });

  it('keeps its session in an HttpOnly, SameSite=Lax cookie and serves proper Vietnamese pages', async () => {
    const { app } = createDemoPortal({ serviceMs: 1 });
    const answer = await app.request('/apply/step/1', form({ fullName: 'Lê C', birthDate: '1990-01-01', nationalId: '001090000001' }));
    expect(answer.headers.get('set-cookie')).toMatch(/^demo_sid=[^;]+; Path=\/; HttpOnly; SameSite=Lax$/);
    const home = await app.request('/');
    const page = await home.text();
    expect(page).toContain('<html lang="vi">');
    expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1"/>');
    expect(page).toContain('href="/apply"');
    const missing = await app.request('/no/such/page');
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('Không tìm thấy trang');
  });

  it('keeps entered values and explains what is wrong', async () => {
    const { app } = createDemoPortal({ serviceMs: 1 });
    const citizen = new Visitor(inProcess(app));
    const answer = await citizen.request('/apply/step/1', form({ fullName: 'Trần Thị B', birthDate: 'yesterday', nationalId: '123' }));
    expect(answer.status).toBe(422);
    const page = await answer.text();
    expect(page).toContain('value="Trần Thị B"');
    expect(page).toContain('Ngày sinh không hợp lệ.');
    expect(page).toContain('Số định danh cá nhân gồm đúng 12 chữ số.');
  });

  it('sends a citizen who skips a step back to it', async () => {
    const { app } = createDemoPortal({ serviceMs: 1 });
    const citizen = new Visitor(inProcess(app));
    expect((await citizen.page('/apply/step/3')).headers.get('location')).toBe('/apply/step/1');
    expect((await citizen.request('/apply/submit', { method: 'POST' })).headers.get('location')).toBe('/apply/step/1');
  });

  it('refuses work past its queue, times out slow work, and grows when given capacity', async () => {
    const portal = createDemoPortal({ capacity: 1, queueLimit: 1, serviceMs: 200 });
    const answers = await Promise.all(Array.from({ length: 5 }, () => portal.app.request('/')));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    expect(statuses.filter((s) => s === 503)).toHaveLength(3);
    expect(answers.find((a) => a.status === 503)?.headers.get('retry-after')).toBe('5');
    expect(portal.stats()).toMatchObject({ served: 2, rejected: 3, inFlight: 0, queued: 0 });

    portal.setCapacity(5);
    const more = await Promise.all(Array.from({ length: 5 }, () => portal.app.request('/')));
    expect(more.every((a) => a.status === 200)).toBe(true);

    const queued = createDemoPortal({ capacity: 1, queueLimit: 4, serviceMs: 50 });
    const pending = Array.from({ length: 3 }, () => queued.app.request('/'));
    expect(queued.stats()).toMatchObject({ inFlight: 1, queued: 2 });
    queued.setCapacity(3);
    expect(queued.stats()).toMatchObject({ inFlight: 3, queued: 0, capacity: 3 });
    expect((await Promise.all(pending)).map((a) => a.status)).toEqual([200, 200, 200]);

    const slow = createDemoPortal({ capacity: 1, serviceMs: 200, timeoutMs: 100 });
    expect((await slow.app.request('/')).status).toBe(504);
    expect(slow.stats().timedOut).toBe(1);
  });

  it('answers health and stats outside the overload model, and serves with an empty queue when idle', async () => {
    const portal = createDemoPortal({ capacity: 1, queueLimit: 0, serviceMs: 1000 });
    const busy = portal.app.request('/');
    expect((await portal.app.request('/')).status).toBe(503);
    expect(await (await portal.app.request('/healthz')).text()).toBe('ok');
    expect(await (await portal.app.request('/_demo/stats')).json()).toMatchObject({ inFlight: 1, rejected: 1 });
    expect((await busy).status).toBe(200);
    expect(() => createDemoPortal({ capacity: 0 })).toThrow(RangeError);
  });

  it('reports latency percentiles of every outcome and starts afresh on reset', async () => {
    const portal = createDemoPortal({ capacity: 1, queueLimit: 1, serviceMs: 100 });
    await Promise.all(Array.from({ length: 3 }, () => portal.app.request('/')));
    const stats = portal.stats();
    expect(stats).toMatchObject({ served: 2, rejected: 1 });
    expect(stats.latencyMs.count).toBe(3);
    expect(stats.latencyMs.p50).toBeGreaterThanOrEqual(80);
    expect(stats.latencyMs.p95).toBeGreaterThanOrEqual(stats.latencyMs.p50 ?? Infinity);
    expect(stats.latencyMs.p95).toBeGreaterThanOrEqual(160);
    const reset = await portal.app.request('/_demo/stats/reset', { method: 'POST' });
    expect(await reset.json()).toMatchObject({ served: 0, rejected: 0, timedOut: 0, latencyMs: { count: 0, p50: null, p95: null } });
  });

  it('validates the capacity knob', async () => {
    const portal = createDemoPortal();
    const bad = await portal.app.request('/_demo/capacity', { method: 'POST', body: JSON.stringify({ capacity: 0 }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_capacity' } });
    for (const body of ['{"capacity":2.5}', '{"capacity":10001}', '{"capacity":"3"}', 'not json']) {
      expect((await portal.app.request('/_demo/capacity', { method: 'POST', body })).status).toBe(400);
    }
    const good = await portal.app.request('/_demo/capacity', { method: 'POST', body: JSON.stringify({ capacity: 3 }) });
    expect(await good.json()).toMatchObject({ capacity: 3 });
  });

  it('serves over real HTTP', async () => {
    const running = await startDemoPortal({ port: 0 });
    try {
      const response = await fetch(`${running.url}/`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('Đăng ký thường trú');
    } finally {
      await running.close();
    }
  });
});
