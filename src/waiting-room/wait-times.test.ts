import { describe, expect, it } from 'vitest';
import { Visitor, inProcess } from '../../tests/helpers/visitor.js';
import { createApp } from '../app.js';
import { parseConfig } from '../config/load.js';
import { parseKeyRing } from '../platform/keyring.js';
import { silentLogger } from '../platform/logger.js';
import type { OriginClient } from '../proxy/port.js';
import { createMemoryWaitingRoomStore } from './memory-store.js';
import { createWaitingRoom } from './index.js';

const origin: OriginClient = {
  forward: async (request) => new Response('page', { headers: request.pathAndQuery === '/done' ? { 'sanh-session': 'end' } : {} }),
  close: async () => undefined,
};

describe('waits of visitors admitted from the line', () => {
  it('are observed once per admission, also when two tabs of the visitor claim the same turn', async () => {
    const config = parseConfig({ rooms: [{ id: 'main', match: ['/'], maxActive: 1, admitPerMinute: 6_000 }] });
    const waitingRoom = createWaitingRoom({ rooms: config.rooms, store: createMemoryWaitingRoomStore(), keyRing: parseKeyRing(`k:${'w'.repeat(40)}`) });
    const app = createApp({ waitingRoom, origin, logger: silentLogger });
    const waits: [string, number][] = [];
    waitingRoom.waits.listen((room, seconds) => waits.push([room, seconds]));
    await waitingRoom.snapshots.refresh();

    const first = new Visitor(inProcess(app));
    const second = new Visitor(inProcess(app));
    expect((await first.page('/apply')).headers.get('sanh-state')).toBe('admitted');
    expect((await second.page('/apply')).headers.get('sanh-state')).toBe('queued');
    const otherTab = new Visitor(inProcess(app));
    for (const [name, value] of second.jar) otherTab.jar.set(name, value);
    await first.page('/done');
    await waitingRoom.snapshots.refresh();

    const states = await Promise.all([second.page('/apply'), otherTab.page('/apply')].map(async (answer) => (await answer).headers.get('sanh-state')));
    expect(states).toEqual(['admitted', 'admitted']);
    expect(waits).toHaveLength(1);
    expect(waits[0]![0]).toBe('main');
    await waitingRoom.stop();
  });
});
