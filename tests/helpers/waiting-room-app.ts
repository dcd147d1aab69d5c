import { Hono } from 'hono';
import type { RoomConfig } from '../../src/config/schema.js';
import type { Clock } from '../../src/platform/clock.js';
import { errorMapper, type SanhEnv } from '../../src/platform/http.js';
import { parseKeyRing } from '../../src/platform/keyring.js';
import { silentLogger } from '../../src/platform/logger.js';
import { createWaitingRoom, type WaitingRoom } from '../../src/waiting-room/index.js';
import { createMemoryWaitingRoomStore } from '../../src/waiting-room/memory-store.js';

/** The key ring of in-process waiting-room tests (any key: tokens never leave the test). */
const TEST_KEYS = parseKeyRing(`test:${'w'.repeat(40)}`);

/** A waiting room for `rooms` on the memory store and `clock`, silent, with the test key ring. */
export function memoryWaitingRoom(rooms: readonly RoomConfig[], clock: Clock): WaitingRoom {
  return createWaitingRoom({ rooms, store: createMemoryWaitingRoomStore({ clock }), keyRing: TEST_KEYS, clock, logger: silentLogger });
}

/**
 * The waiting room in front of a portal that answers "portal" to every method: the room's
 * `/_sanh` routes, its gate and the one error mapper, as the app wires them (without the proxy).
 */
export function gatedPortal(waitingRoom: WaitingRoom): Hono<SanhEnv> {
  const app = new Hono<SanhEnv>();
  app.onError(errorMapper(silentLogger));
  app.route('/_sanh', waitingRoom.routes);
  app.use('*', waitingRoom.gate);
  app.all('*', (c) => c.text('portal'));
  return app;
}
