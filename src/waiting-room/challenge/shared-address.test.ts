import { describe, expect, it } from 'vitest';
import { Visitor, inProcess } from '../../../tests/helpers/visitor.js';
import { parseConfig } from '../../config/load.js';
import { manualClock } from '../../platform/clock.js';
import { solvePuzzle } from './puzzle.js';
import { gatedPortal, memoryWaitingRoom } from '../../../tests/helpers/waiting-room-app.js';

const ALLOWANCE = 20;

/**
 * A room that asks nobody for the challenge, with a join allowance of 20 a minute per address;
 * every visitor here comes from the same address (in-process requests carry none).
 */
function setUp() {
  const clock = manualClock(Date.UTC(2026, 11, 1, 2, 0, 0));
  const config = parseConfig({
    rooms: [
      {
        id: 'main',
        match: ['/'],
        maxActive: 1,
        admitPerMinute: 60,
        clientLimits: { joinPerMinute: ALLOWANCE },
        challenge: { enabled: false, difficultyBits: 6, noScriptWaitSeconds: 5, ttlSeconds: 60 },
      },
    ],
  });
  const waitingRoom = memoryWaitingRoom(config.rooms, clock);
  const app = gatedPortal(waitingRoom);
  return { clock, visitor: () => new Visitor(inProcess(app)) };
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
  body: new URLSearchParams(fields).toString(),
});

function puzzleOf(html: string): { token: string; bits: number } {
  const token = /name="token" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const bits = Number(/&quot;bits&quot;:(\d+)|"bits":(\d+)/.exec(html)?.slice(1).find(Boolean));
  return { token, bits };
}

describe('many citizens behind one shared address', () => {
  it('all get a place in arrival order: past the allowance they pass a check that grows harder, and nobody is refused or accused', async () => {
    const { visitor } = setUp();
    const places: number[] = [];
    const bits: number[] = [];
    for (let i = 0; i < 3 * ALLOWANCE; i++) {
      const citizen = visitor();
      let answer = await citizen.page('/apply');
      expect(answer.status).not.toBe(429);
      if (answer.status === 403) {
        const html = await answer.text();
        expect(html).toContain('Bạn không làm gì sai cả.');
        expect(html).not.toMatch(/quá nhiều yêu cầu/);
        const puzzle = puzzleOf(html);
        bits.push(puzzle.bits);
        const solved = await citizen.request(
          '/_sanh/challenge',
          form({ token: puzzle.token, counter: await solvePuzzle(puzzle.token, puzzle.bits), return: '/apply' }),
        );
        expect(solved.status).toBe(303);
        answer = await citizen.page('/apply');
      }
      const state = answer.headers.get('sanh-state');
      expect(['admitted', 'queued']).toContain(state);
      places.push(state === 'admitted' ? 0 : ((await citizen.status('main')).position ?? -1));
    }
    expect(places).toEqual(Array.from({ length: 3 * ALLOWANCE }, (_, i) => i));
    expect(bits).toHaveLength(2 * ALLOWANCE);
    expect(bits.slice(0, 10)).toEqual(Array(10).fill(7));
    expect(bits.at(-1)).toBe(10);
  });

  it('a script joining without solving gets the allowance and then only checks, never a 429', async () => {
    const { visitor } = setUp();
    const states = new Map<string, number>();
    for (let i = 0; i < 150; i++) {
      const answer = await visitor().page('/apply');
      const key = `${answer.status} ${answer.headers.get('sanh-state')}`;
      states.set(key, (states.get(key) ?? 0) + 1);
    }
    expect(Object.fromEntries(states)).toEqual({ '200 admitted': 1, '503 queued': ALLOWANCE - 1, '403 challenge': 150 - ALLOWANCE });
  });

  it('without JavaScript, a citizen past the allowance waits instead, longer the further past it the address is', async () => {
    const { clock, visitor } = setUp();
    for (let i = 0; i < ALLOWANCE + 11; i++) await visitor().page('/apply');
    const citizen = visitor();
    const html = await (await citizen.page('/apply')).text();
    expect(html).toContain('hãy đợi 10 giây');
    const { token } = puzzleOf(html);
    const early = await citizen.request('/_sanh/challenge', form({ token, nojs: '1', return: '/apply' }));
    expect(early.status).toBe(403);
    clock.advance(10_000);
    const waited = await citizen.request('/_sanh/challenge', form({ token, nojs: '1', return: '/apply' }));
    expect(waited.status).toBe(303);
    expect((await citizen.page('/apply')).headers.get('sanh-state')).toBe('queued');
  });

  it('a proof earned by waiting must be of the level now (waits run side by side); one earned by work may be a level below', async () => {
    const { clock, visitor } = setUp();
    for (let i = 0; i < ALLOWANCE; i++) await visitor().page('/apply');
    const waiter = visitor();
    const worker = visitor();
    const waited = puzzleOf(await (await waiter.page('/apply')).text());
    const worked = puzzleOf(await (await worker.page('/apply')).text());
    expect([waited.bits, worked.bits]).toEqual([7, 7]);
    for (let i = 0; i < ALLOWANCE / 2; i++) {
      const citizen = visitor();
      const puzzle = puzzleOf(await (await citizen.page('/apply')).text());
      await citizen.request('/_sanh/challenge', form({ token: puzzle.token, counter: await solvePuzzle(puzzle.token, puzzle.bits), return: '/apply' }));
      expect((await citizen.page('/apply')).headers.get('sanh-state')).toBe('queued');
    }
    clock.advance(10_000);
    expect((await waiter.request('/_sanh/challenge', form({ token: waited.token, nojs: '1', return: '/apply' }))).status).toBe(303);
    const refused = await waiter.page('/apply');
    expect(refused.status).toBe(403);
    expect(puzzleOf(await refused.text()).bits).toBe(8);
    expect(
      (await worker.request('/_sanh/challenge', form({ token: worked.token, counter: await solvePuzzle(worked.token, worked.bits), return: '/apply' }))).status,
    ).toBe(303);
    expect((await worker.page('/apply')).headers.get('sanh-state')).toBe('queued');
  });

  it('asking for puzzles counts nothing, and a proof banked while few had joined is refused once many did', async () => {
    const { visitor } = setUp();
    const bot = visitor();
    const banked = puzzleOf(await (await bot.page('/_sanh/challenge?room=main&return=/apply')).text());
    expect(banked.bits).toBe(6);
    for (let i = 0; i < 50; i++) expect(puzzleOf(await (await visitor().page('/_sanh/challenge?room=main&return=/apply')).text()).bits).toBe(6);
    for (let i = 0; i < ALLOWANCE + 11; i++) {
      const citizen = visitor();
      let answer = await citizen.page('/apply');
      if (answer.status === 403) {
        const puzzle = puzzleOf(await answer.text());
        await citizen.request('/_sanh/challenge', form({ token: puzzle.token, counter: await solvePuzzle(puzzle.token, puzzle.bits), return: '/apply' }));
        answer = await citizen.page('/apply');
      }
      expect(answer.headers.get('sanh-state')).toMatch(/admitted|queued/);
    }
    const solved = await bot.request(
      '/_sanh/challenge',
      form({ token: banked.token, counter: await solvePuzzle(banked.token, banked.bits), return: '/apply' }),
    );
    expect(solved.status).toBe(303);
    const spent = await bot.page('/apply');
    expect(spent.status).toBe(403);
    expect(puzzleOf(await spent.text()).bits).toBe(8);
  });
});
