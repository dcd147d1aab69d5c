import { describe, expect, it } from 'vitest';
import { Visitor, inProcess } from '../../tests/helpers/visitor.js';
import { parseConfig } from '../config/load.js';
import { manualClock } from '../platform/clock.js';
import { cookieValues, readCookie } from '../platform/http.js';
import { gatedPortal, memoryWaitingRoom } from '../../tests/helpers/waiting-room-app.js';

/** One room of two places; in-process visitors all come from one (unknown) address. */
function setUp() {
  const clock = manualClock(Date.UTC(2026, 10, 22, 3, 0, 0));
  const config = parseConfig({ rooms: [{ id: 'main', match: ['/'], maxActive: 2, admitPerMinute: 600, clientLimits: { statusPerMinute: 30 } }] });
  const waitingRoom = memoryWaitingRoom(config.rooms, clock);
  const app = gatedPortal(waitingRoom);
  return { app, visitor: (name?: string) => new Visitor(inProcess(app), name) };
}

describe('cookie values', () => {
  it('reads a quoted value as one value, so a name inside it is never a cookie', () => {
    const header = 'x="a; sanh_pass_main=junk"; sanh_pass_main=real; y=1';
    expect(cookieValues(header, 'sanh_pass_main')).toEqual(['real']);
    expect(readCookie(header, 'sanh_pass_main')).toBe('real');
    expect(cookieValues('a=1; a=2;a=3', 'a')).toEqual(['1', '2', '3']);
    expect(cookieValues('a; =x; a="q"', 'a')).toEqual(['"q"']);
    // An unterminated quote ends at the next semicolon, like any value: it never swallows the cookies after it.
    expect(cookieValues('a="unterminated; b=2', 'b')).toEqual(['2']);
    expect(cookieValues('a="unterminated; b=2', 'a')).toEqual(['"unterminated']);
  });
});

describe('the room cookies a visitor brings', () => {
  it('a junk pass sent before the valid one neither seats the visitor on the waiting page nor deletes the pass', async () => {
    const { app, visitor } = setUp();
    const person = visitor('p');
    expect((await person.page('/apply')).headers.get('sanh-state')).toBe('admitted');
    const pass = person.jar.get('sanh_pass_main') ?? '';
    const response = await app.request('/apply/next', { headers: { cookie: `sanh_pass_main=junk.1.2; sanh_pass_main=${pass}`, accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('sanh-state')).toBe('admitted');
    expect(response.headers.getSetCookie().filter((c) => c.startsWith('sanh_pass_main=;') || c.includes('Max-Age=0'))).toEqual([]);
  });

  it("a pass written inside another cookie's quoted value does not count", async () => {
    const { app, visitor } = setUp();
    const person = visitor('p');
    await person.page('/apply');
    await visitor('q').page('/apply');
    const pass = person.jar.get('sanh_pass_main') ?? '';
    const response = await app.request('/apply', { headers: { cookie: `note="x; sanh_pass_main=${pass}"`, accept: 'text/html' } });
    expect(response.headers.get('sanh-state')).toBe('queued');
  });

  it('made-up ticket values are counted by address, not each as a new poller', async () => {
    const { app, visitor } = setUp();
    const codes: number[] = [];
    for (let i = 0; i < 40; i++) {
      const response = await app.request('/_sanh/status?room=main', { headers: { cookie: `sanh_ticket_main=junk${i}.x.y`, accept: 'application/json' } });
      codes.push(response.status);
    }
    expect(codes.slice(0, 30).every((code) => code === 200)).toBe(true);
    expect(codes.slice(30).every((code) => code === 429)).toBe(true);
    const honest = visitor('h');
    await honest.page('/apply');
    await visitor('h2').page('/apply');
    const seated = visitor('h3');
    expect((await seated.page('/apply')).headers.get('sanh-state')).toBe('queued');
    expect((await seated.status('main')).state).toBe('queued');
  });
});
