import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import type { RoomConfig } from '../config/schema.js';
import { renderWaitingPage, type WaitingPageProps } from './page.js';
import { closedReloadSeconds, renderClosedPage } from './pages/closed.js';
import { countdownBeatSeconds, renderCountdownPage } from './pages/countdown.js';
import type { QueueStatus } from './visit.js';

const room: RoomConfig = parseConfig({
  rooms: [{ id: 'residence', name: { vi: 'Đăng ký thường trú', en: 'Residence registration' }, match: ['/apply'], maxActive: 1, admitPerMinute: 1 }],
}).rooms[0]!;

/** 07:59:30 on 1 December 2026 in Vietnam. */
const NOW = Date.parse('2026-12-01T07:59:30+07:00');

function status(position: number | null, ahead: number | null = position === null ? null : position - 1): QueueStatus {
  return { position, ahead, etaSeconds: position === null ? null : position * 30, pollAfterSeconds: 7, updatedAt: NOW };
}

function waiting(overrides: Partial<WaitingPageProps> = {}): string {
  return renderWaitingPage({ lang: 'vi', room, status: status(3), returnTo: '/apply?x=1', otherLangUrl: '/apply?x=1&lang=en', ...overrides });
}

/** The text of the element with this id (tags dropped), or undefined. */
function textOf(html: string, id: string): string | undefined {
  const match = new RegExp(`<(\\w+)[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</\\1>`).exec(html);
  return match?.[2]?.replace(/<[^>]+>/g, '').trim();
}

function scriptData(html: string, id: string): Record<string, unknown> {
  const match = new RegExp(`<script type="application/json" id="${id}">([^<]*)</script>`).exec(html);
  return JSON.parse(match?.[1] ?? 'null') as Record<string, unknown>;
}

describe('waiting page', () => {
  it('shows the place, who is ahead, the wait and the update time, with the element ids the poller updates', () => {
    const html = waiting();
    expect(html).toMatch(/^<!doctype html><html lang="vi">/);
    expect(html).toContain('<title>Bạn đang trong hàng chờ · Đăng ký thường trú</title>');
    expect(textOf(html, 'sanh-pos')).toBe('3');
    expect(textOf(html, 'sanh-ahead')).toBe('Có 2 người trước bạn.');
    expect(textOf(html, 'sanh-eta')).toBe('khoảng 2 phút');
    expect(textOf(html, 'sanh-time')).toBe('07:59:30');
    expect(html).toContain('<noscript><meta http-equiv="refresh" content="7"/></noscript>');
    expect(html).toContain('<a href="/apply?x=1&amp;lang=en" hreflang="en" lang="en">English</a>');
    expect(html).not.toContain('id="sanh-notice"');
    expect(html).toMatch(/id="sanh-nostore" hidden=""/);
    expect(scriptData(html, 'sanh-cfg')).toMatchObject({ status: '/_sanh/status?room=residence', back: '/apply?x=1', poll: 7 });
  });

  it('says "next" and "1 person" in both languages', () => {
    expect(textOf(waiting({ status: status(1) }), 'sanh-ahead')).toBe('Bạn là người tiếp theo.');
    expect(textOf(waiting({ status: status(2) }), 'sanh-ahead')).toBe('Có 1 người trước bạn.');
    const en = (s: QueueStatus) => waiting({ lang: 'en', status: s });
    expect(textOf(en(status(1)), 'sanh-ahead')).toBe('You are next.');
    expect(textOf(en(status(2)), 'sanh-ahead')).toBe('1 person is ahead of you.');
    expect(textOf(en(status(5)), 'sanh-ahead')).toBe('4 people are ahead of you.');
    expect(en(status(5))).toMatch(/<html lang="en">[\s\S]*<h1>You are in line<\/h1>/);
    expect(en(status(5))).toContain('hreflang="vi" lang="vi">Tiếng Việt</a>');
  });

  it('shows a dash, no "ahead" sentence and the store notice while the place is unknown', () => {
    const html = waiting({ status: status(null) });
    expect(textOf(html, 'sanh-pos')).toBe('—');
    expect(textOf(html, 'sanh-ahead')).toBe('');
    expect(textOf(html, 'sanh-eta')).toBe('chưa xác định được');
    expect(html).toMatch(/<div class="notice" id="sanh-nostore">/);
  });

  it('says plainly that a paused service lets nobody in and the place is kept, with the operator message escaped', () => {
    const html = waiting({ notice: { kind: 'paused', message: 'Bảo trì đến 9 giờ <b>sáng</b>.' } });
    const notice = textOf(html, 'sanh-notice');
    expect(notice).toContain('Dịch vụ đang tạm dừng.');
    expect(notice).toContain('Lúc này chưa ai được vào.');
    expect(notice).toContain('Bạn vẫn giữ chỗ trong hàng.');
    expect(html).toContain('<p>Bảo trì đến 9 giờ &lt;b&gt;sáng&lt;/b&gt;.</p>');
    expect(textOf(html, 'sanh-eta')).toBe('chưa xác định được');
    expect(html).not.toContain('Lúc này có nhiều người cùng dùng dịch vụ.');
    expect(waiting()).toContain('Lúc này có nhiều người cùng dùng dịch vụ.');
    const en = waiting({ lang: 'en', notice: { kind: 'paused' } });
    expect(textOf(en, 'sanh-notice')).toBe('The service is paused.Nobody is being let in right now.You keep your place in line.');
  });

  it('explains queue-all and store-unavailable', () => {
    expect(textOf(waiting({ notice: { kind: 'queue-all' } }), 'sanh-notice')).toContain('mọi người đều vào qua hàng chờ');
    const html = waiting({ lang: 'en', status: status(null), notice: { kind: 'store-unavailable' } });
    expect(html).not.toContain('id="sanh-notice"');
    expect(textOf(html, 'sanh-nostore')).toBe('We cannot read the figures of the line right now.Keep this page open.Your place is kept.');
    expect(html).toMatch(/id="sanh-nostore">/);
  });

  it('keeps script data from closing its element', () => {
    const html = waiting({ returnTo: '/apply?</script><script>alert(1)</script>' });
    expect(html).not.toContain('</script><script>alert(1)');
    expect(scriptData(html, 'sanh-cfg').back).toBe('/apply?</script><script>alert(1)</script>');
  });

  it("fills the room's template, values escaped, the script where {{sanhScript}} is", () => {
    const templateHtml =
      '<!doctype html><html lang="{{lang}}"><title>{{title}} - {{roomName}}</title><p>{{notice}}</p>' +
      '<b id="sanh-pos">{{position}}</b> <i>{{aheadCount}}</i> <span id="sanh-ahead">{{ahead}}</span> {{eta}} {{updated}} ' +
      '<a href="{{otherLangUrl}}" hreflang="{{otherLang}}">{{otherLangLabel}}</a> <a href="{{returnTo}}">{{pollAfterSeconds}}</a> {{statusUrl}}' +
      '<footer>{{sanhScript}}</footer></html>';
    const html = waiting({ room: { ...room, templateHtml }, notice: { kind: 'paused', message: 'A & B' } });
    expect(html).toContain('<html lang="vi"><title>Bạn đang trong hàng chờ - Đăng ký thường trú</title>');
    expect(html).toContain('<p>Dịch vụ đang tạm dừng. Lúc này chưa ai được vào. Bạn vẫn giữ chỗ trong hàng. A &amp; B</p>');
    expect(html).toContain('<b id="sanh-pos">3</b> <i>2</i> <span id="sanh-ahead">Có 2 người trước bạn.</span> chưa xác định được 07:59:30 ');
    expect(html).toContain('<a href="/apply?x=1&amp;lang=en" hreflang="en">English</a> <a href="/apply?x=1">7</a> /_sanh/status?room=residence');
    expect(html).toMatch(
      /<footer><noscript><meta http-equiv="refresh" content="7"\/><\/noscript><script type="application\/json" id="sanh-cfg">.*<\/script><script>\(function\(\)\{.*<\/script><\/footer>/s,
    );
    const unknown = waiting({ room: { ...room, templateHtml }, status: status(null), notice: { kind: 'store-unavailable' } });
    expect(unknown).toContain('<p>Lúc này chưa xem được số liệu của hàng chờ. Hãy để trang này mở. Chỗ của bạn vẫn được giữ.</p>');
    expect(unknown).toContain('<b id="sanh-pos">—</b> <i>—</i> <span id="sanh-ahead"></span>');
  });

  it('refuses a template that was never checked and is invalid', () => {
    expect(() => waiting({ room: { ...room, templateHtml: '<p>{{eta}}</p>' } })).toThrow(/must contain \{\{position\}\}/);
  });
});

describe('closed page', () => {
  const reopensAt = Date.parse('2026-12-02T08:00:00+07:00');

  it('says the service is closed, with the operator message and the reopening in Vietnam time', () => {
    const html = renderClosedPage({ lang: 'vi', room, message: 'Hệ thống đang nâng cấp.', reopensAt, otherLangUrl: '/apply?lang=en', now: NOW, jitterMs: 0 });
    expect(html).toContain('<h1>Dịch vụ đang tạm đóng</h1>');
    expect(html).toContain('<p>Hệ thống đang nâng cấp.</p>');
    expect(html).toContain('Dự kiến mở lại lúc 08:00 ngày 02/12/2026.');
    expect(html).toContain('Trang sẽ tự tải lại khi dịch vụ mở lại.');
    expect(html).toContain('<noscript><meta http-equiv="refresh" content="3600"/></noscript>');
    expect(scriptData(html, 'sanh-reload')).toEqual({ after: 3600 });
    const en = renderClosedPage({ lang: 'en', room, reopensAt, otherLangUrl: '/apply?lang=vi', now: NOW, jitterMs: 0 });
    expect(en).toContain('We expect to reopen at 08:00 on 2 December 2026 (Vietnam time).');
    expect(en).not.toContain('class="notice"');
  });

  it('says "today" for a reopening later the same day', () => {
    const html = renderClosedPage({ lang: 'vi', room, reopensAt: NOW + 30 * 60_000, otherLangUrl: '/', now: NOW, jitterMs: 0 });
    expect(html).toContain('Dự kiến mở lại lúc 08:29 hôm nay.');
    expect(scriptData(html, 'sanh-reload')).toEqual({ after: 1800 });
  });

  it('asks to come back later when no reopening is ahead, and reloads every few minutes', () => {
    for (const at of [undefined, NOW - 1000]) {
      const html = renderClosedPage({ lang: 'en', room, reopensAt: at, otherLangUrl: '/', now: NOW, jitterMs: 2500 });
      expect(html).toContain('Please come back later.');
      expect(html).toContain('It reloads by itself every few minutes.');
      expect(scriptData(html, 'sanh-reload')).toEqual({ after: 303 });
    }
  });

  it('reloads at the reopening plus jitter, at most an hour ahead', () => {
    expect(closedReloadSeconds(NOW, NOW + 10_000, 4_999)).toBe(15);
    expect(closedReloadSeconds(NOW, NOW + 86_400_000, 0)).toBe(3600);
    expect(closedReloadSeconds(NOW, undefined, 0)).toBe(300);
  });
});

describe('pre-queue countdown page', () => {
  const opensAt = Date.parse('2026-12-01T08:00:00+07:00');
  const base = {
    lang: 'vi' as const,
    room,
    opensAt,
    now: NOW,
    entry: 'K7Q2-9XWD',
    statusUrl: '/_sanh/status?room=residence',
    returnTo: '/apply/step/1',
    otherLangUrl: '/apply/step/1?lang=en',
    jitterMs: 1500,
  };

  it('says when the service opens, that a fair lottery places early arrivals, and that there is no need to hurry', () => {
    const html = renderCountdownPage(base);
    expect(html).toContain('<h1>Dịch vụ mở lúc 08:00 hôm nay</h1>');
    expect(html).toContain('bốc thăm công bằng');
    expect(html).toContain('Bạn không cần vội. Bạn không cần tải lại trang.');
    expect(textOf(html, 'sanh-left')).toBe('00:00:30');
    expect(textOf(html, 'sanh-entry')).toBe('K7Q2-9XWD');
    expect(html).toContain('<a href="/_sanh/lottery?room=residence">Xem kết quả bốc thăm</a>');
    expect(html).not.toContain('SHA-256');
    expect(html).toContain('<noscript><meta http-equiv="refresh" content="32"/></noscript>');
    expect(scriptData(html, 'sanh-cd')).toEqual({
      left: 30,
      jitter: 1.5,
      beat: 60,
      days: ['ngày', 'ngày'],
      status: '/_sanh/status?room=residence',
      back: '/apply/step/1',
    });
  });

  it('shows the commitment and the date of a later opening, in English too', () => {
    const commitment = 'a1'.repeat(32);
    const html = renderCountdownPage({ ...base, lang: 'en', opensAt: opensAt + 2 * 86_400_000 + 3_600_000, commitment });
    expect(html).toContain('<h1>This service opens at 09:00 on 3 December 2026</h1>');
    expect(html).toContain(`<p class="code">${commitment}</p>`);
    expect(textOf(html, 'sanh-left')).toBe('2 days 01:00:30');
    expect(html).toContain('<noscript><meta http-equiv="refresh" content="60"/></noscript>');
    expect(html).toContain('hreflang="vi" lang="vi">Tiếng Việt</a>');
  });

  it("asks for status at a third of the room's abandonment time, 10 to 60 s", () => {
    expect(countdownBeatSeconds({ ...room, abandonAfterSeconds: 30 })).toBe(10);
    expect(countdownBeatSeconds({ ...room, abandonAfterSeconds: 90 })).toBe(30);
    expect(countdownBeatSeconds(room)).toBe(60);
  });
});

describe('page sizes', () => {
  it('keeps every page well under 20 KB', () => {
    const pages = [
      waiting({ notice: { kind: 'paused', message: 'x'.repeat(1000) } }),
      renderClosedPage({ lang: 'vi', room, message: 'x'.repeat(1000), reopensAt: NOW + 1, otherLangUrl: '/', now: NOW }),
      renderCountdownPage({
        lang: 'vi',
        room,
        opensAt: NOW + 1,
        now: NOW,
        entry: 'x'.repeat(40),
        commitment: 'f'.repeat(64),
        statusUrl: '/s',
        returnTo: '/',
        otherLangUrl: '/',
      }),
    ];
    for (const html of pages) expect(Buffer.byteLength(html)).toBeLessThan(20 * 1024);
  });
});
