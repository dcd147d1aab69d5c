import { describe, expect, it } from 'vitest';
import { Visitor, inProcess } from '../../tests/helpers/visitor.js';
import { createApp } from '../app.js';
import { parseConfig } from '../config/load.js';
import { parseKeyRing } from '../platform/keyring.js';
import { silentLogger } from '../platform/logger.js';
import type { OriginClient } from '../proxy/port.js';
import { createMemoryWaitingRoomStore } from '../waiting-room/memory-store.js';
import { createWaitingRoom } from '../waiting-room/index.js';
import { createAdaptiveController } from './controller.js';
import { adaptiveBurst } from './core.js';
import { createOriginStats } from './origin-stats.js';

const origin: OriginClient = { forward: async () => new Response('portal page'), close: async () => undefined };

describe('adaptive admission keeps admitted visitors first', () => {
  it('cuts new admissions when the origin struggles, never the visitors already admitted', async () => {
    const config = parseConfig({
      rooms: [
        {
          id: 'main',
          match: ['/'],
          maxActive: 1_000,
          admitPerMinute: 6_000,
          adaptive: { enabled: true, minSamples: 5, minPerMinute: 1, decreaseFactor: 0.1, maxErrorRate: 0.05 },
        },
      ],
    });
    const room = config.rooms[0]!;
    const stats = createOriginStats();
    const controller = createAdaptiveController({ rooms: config.rooms, stats, logger: silentLogger });
    const waitingRoom = createWaitingRoom({ rooms: config.rooms, store: createMemoryWaitingRoomStore(), keyRing: parseKeyRing(`k:${'p'.repeat(40)}`) });
    const app = createApp({ waitingRoom, origin, logger: silentLogger });
    await waitingRoom.snapshots.refresh();

    const admitted = Array.from({ length: 5 }, () => new Visitor(inProcess(app)));
    for (const visitor of admitted) expect((await visitor.page('/apply')).headers.get('sanh-state')).toBe('admitted');

    for (let interval = 0; interval < 4; interval++) {
      for (let i = 0; i < 20; i++) stats.record('main', 50, 'error');
      expect(controller.tick('main')?.verdict).not.toBe('increase');
    }
    expect(room.adaptivePerMinute).toBeLessThanOrEqual(room.admitPerMinute / 100);

    const arrivals = Array.from({ length: 30 }, () => new Visitor(inProcess(app)));
    const states = await Promise.all(arrivals.map(async (visitor) => (await visitor.page('/apply')).headers.get('sanh-state')));
    const burst = adaptiveBurst(room.admitBurst, room.admitPerMinute, room.adaptivePerMinute!);
    expect(burst).toBeLessThan(10);
    expect(states.filter((state) => state === 'admitted').length).toBeLessThanOrEqual(burst + 1);
    expect(states.filter((state) => state === 'queued').length).toBeGreaterThanOrEqual(30 - burst - 1);
    for (let round = 0; round < 3; round++) {
      for (const visitor of admitted) expect((await visitor.page('/apply/step/2')).headers.get('sanh-state')).toBe('admitted');
    }
    controller.stop();
    await waitingRoom.stop();
  });
});
