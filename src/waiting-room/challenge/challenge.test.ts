import { describe, expect, it } from 'vitest';
import { Visitor, inProcess } from '../../../tests/helpers/visitor.js';
import { parseConfig } from '../../config/load.js';
import { manualClock } from '../../platform/clock.js';
import { solvePuzzle } from './puzzle.js';
import { gatedPortal, memoryWaitingRoom } from '../../../tests/helpers/waiting-room-app.js';

/** The challenge as the waiting room wires it: its gate asks, its `/_sanh` routes answer. */
function setUp() {
  const clock = manualClock(Date.UTC(2026, 11, 1, 2, 0, 0));
  const config = parseConfig({
    rooms: [
      {
        id: 'main',
        match: ['/'],
        maxActive: 100,
        admitPerMinute: 6000,
        challenge: { enabled: true, difficultyBits: 8, noScriptWaitSeconds: 5, ttlSeconds: 60 },
      },
    ],
  });
  const waitingRoom = memoryWaitingRoom(config.rooms, clock);
  const app = gatedPortal(waitingRoom);
  return () => new Visitor(inProcess(app));
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
  body: new URLSearchParams(fields).toString(),
});

describe('join challenge in the waiting room', () => {
  it('asks newcomers to solve first; a solved challenge joins once, and a copy of its proof does not', async () => {
    const visitor = setUp();
    const person = visitor();
    const first = await person.page('/apply?x=1');
    expect(first.status).toBe(403);
    expect(first.headers.get('sanh-state')).toBe('challenge');
    const token = /name="token" value="([^"]+)"/.exec(await first.text())?.[1] ?? '';
    const solved = await person.request('/_sanh/challenge', form({ token, counter: await solvePuzzle(token, 8), return: '/apply?x=1' }));
    expect(solved.status).toBe(303);
    const proof = person.jar.get('sanh_proof_main') as string;

    const copy = visitor();
    copy.jar.set('sanh_proof_main', proof);
    expect((await person.page('/apply?x=1')).headers.get('sanh-state')).toBe('admitted');
    expect(person.jar.has('sanh_proof_main')).toBe(false);
    expect((await copy.page('/apply')).status).toBe(403);
    expect((await person.page('/next')).headers.get('sanh-state')).toBe('admitted');
  });

  it('tells JSON clients what is needed', async () => {
    const response = await setUp()().request('/api/x', { headers: { accept: 'application/json' } });
    expect(response.status).toBe(403);
    const body = (await response.json()) as { error: { code: string }; challengeUrl: string };
    expect(body.error.code).toBe('challenge_required');
    expect(body.challengeUrl).toMatch(/^\/_sanh\/challenge\?room=main&return=%2Fapi%2Fx&token=[\w.-]+$/);
  });
});
