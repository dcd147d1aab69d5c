import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { Visitor, inProcess } from '../../../tests/helpers/visitor.js';
import { parseConfig } from '../../config/load.js';
import { manualClock } from '../../platform/clock.js';
import { errorMapper, type SanhEnv } from '../../platform/http.js';
import { parseKeyRing } from '../../platform/keyring.js';
import { silentLogger } from '../../platform/logger.js';
import { createWaitingRoom } from '../index.js';
import { createMemoryWaitingRoomStore } from '../memory-store.js';
import { createMemoryOnceStore } from './once-store.js';
import { leadingZeroBits, solves } from './puzzle.js';

const T0 = Date.UTC(2026, 11, 1, 2, 0, 0);

function setUp() {
  const clock = manualClock(T0);
  const config = parseConfig({
    rooms: [{ id: 'main', match: ['/'], maxActive: 100, admitPerMinute: 6000, challenge: { enabled: true, difficultyBits: 8, noScriptWaitSeconds: 5, ttlSeconds: 60 } }],
  });
  const waitingRoom = createWaitingRoom({ rooms: config.rooms, store: createMemoryWaitingRoomStore({ clock }), keyRing: parseKeyRing(`k:${'c'.repeat(40)}`), clock, logger: silentLogger });
  const app = new Hono<SanhEnv>();
  app.onError(errorMapper(silentLogger));
  app.route('/_sanh', waitingRoom.routes);
  app.use('*', waitingRoom.gate);
  app.get('*', (c) => c.text('portal'));
  return { app, clock, visitor: () => new Visitor(inProcess(app)) };
}

function puzzleOf(html: string): string {
  const match = /name="token" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('no puzzle on the page');
  return match[1];
}

async function solve(token: string, bits: number): Promise<string> {
  for (let counter = 0; ; counter++) if (await solves(token, String(counter), bits)) return String(counter);
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
  body: new URLSearchParams(fields).toString(),
});

describe('join challenge', () => {
  it('counts leading zero bits', () => {
    expect(leadingZeroBits(Uint8Array.from([0, 0, 0x0f]))).toBe(20);
    expect(leadingZeroBits(Uint8Array.from([0x80]))).toBe(0);
    expect(leadingZeroBits(Uint8Array.from([0, 1]))).toBe(15);
  });

  it('asks newcomers to solve first, then lets the solver join once; replays and copies are refused', async () => {
    const { visitor } = setUp();
    const person = visitor();
    const first = await person.page('/apply?x=1');
    expect(first.status).toBe(403);
    expect(first.headers.get('sanh-state')).toBe('challenge');
    const html = await first.text();
    expect(html).toContain('role="status"');
    expect(html).toContain('<noscript>');
    expect(Buffer.byteLength(html)).toBeLessThan(20 * 1024);
    const token = puzzleOf(html);
    expect((await person.request('/_sanh/challenge', form({ room: 'main', token, counter: '999999999', return: '/apply?x=1' }))).status).toBe(403);
    const counter = await solve(token, 8);
    const solved = await person.request('/_sanh/challenge', form({ room: 'main', token, counter, return: '/apply?x=1' }));
    expect(solved.status).toBe(303);
    expect(solved.headers.get('location')).toBe('/apply?x=1');
    const proof = person.jar.get('sanh_proof_main');
    expect(proof).toBeTruthy();
    const replay = await visitor().request('/_sanh/challenge', form({ room: 'main', token, counter, return: '/' }));
    expect(replay.status).toBe(403);
    expect(await replay.text()).toContain('đã dùng rồi');

    const copy = visitor();
    copy.jar.set('sanh_proof_main', proof as string);
    const joined = await person.page('/apply?x=1');
    expect(joined.headers.get('sanh-state')).toBe('admitted');
    expect(person.jar.has('sanh_proof_main')).toBe(false);
    expect((await copy.page('/apply')).status).toBe(403);
    expect((await person.page('/next')).headers.get('sanh-state')).toBe('admitted');
  });

  it('without JavaScript, works after the wait and not before; puzzles expire', async () => {
    const { visitor, clock } = setUp();
    const person = visitor();
    const token = puzzleOf(await (await person.page('/')).text());
    const early = await person.request('/_sanh/challenge', form({ room: 'main', token, nojs: '1', return: '/' }));
    expect(early.status).toBe(403);
    expect(await early.text()).toContain('đợi thêm 5 giây');
    clock.advance(5_000);
    expect((await person.request('/_sanh/challenge', form({ room: 'main', token, nojs: '1', return: '//evil.example/' }))).headers.get('location')).toBe('/');
    const stale = puzzleOf(await (await visitor().page('/')).text());
    clock.advance(61_000);
    expect((await visitor().request('/_sanh/challenge', form({ room: 'main', token: stale, nojs: '1', return: '/' }))).status).toBe(403);
  });

  it('tells JSON clients what is needed', async () => {
    const { visitor } = setUp();
    const response = await visitor().request('/api/x', { headers: { accept: 'application/json' } });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { code: 'challenge_required' } });
  });

  it('forgets spent ids only after they expire', async () => {
    let now = 0;
    const once = createMemoryOnceStore({ clock: () => now });
    expect(await once.useOnce('a', 1000)).toBe(true);
    expect(await once.useOnce('a', 1000)).toBe(false);
    now = 1001;
    expect(await once.useOnce('a', 1000)).toBe(true);
  });
});
