/**
 * Instructions per queued visitor's status poll, counted by valgrind (repeatable on a shared
 * machine): the real app in-process on a memory store, a visitor seated in a full room polling
 * `/_sanh/status?room=main` as the waiting page does. Run it under callgrind with N polls and with
 * none, and divide the difference by N (compare two commits, never quote it alone):
 *
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/n.out node --single-threaded --import tsx bench/status-instructions.ts 2000
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/0.out node --single-threaded --import tsx bench/status-instructions.ts 0
 *
 * See `bench/hot-path-instructions.ts` for the admitted visitor's request.
 */
import { createApp } from '../src/app.js';
import { parseConfig } from '../src/config/load.js';
import { parseKeyRing } from '../src/platform/keyring.js';
import { silentLogger } from '../src/platform/logger.js';
import { nodeMac } from '../src/platform/node-mac.js';
import type { OriginClient } from '../src/proxy/port.js';
import { createMemoryWaitingRoomStore } from '../src/waiting-room/memory-store.js';
import { createWaitingRoom } from '../src/waiting-room/index.js';

const n = Number(process.argv[2] ?? 1000);
const config = parseConfig({
  rooms: [{ id: 'main', match: ['/'], maxActive: 1, admitPerMinute: 60, clientLimits: { statusPerMinute: 100_000_000, joinPerMinute: 100_000_000 } }],
});
const waitingRoom = createWaitingRoom({
  rooms: config.rooms,
  store: createMemoryWaitingRoomStore(),
  keyRing: parseKeyRing(`k:${'s'.repeat(40)}`),
  mac: nodeMac,
});
const origin: OriginClient = { forward: async () => new Response('portal'), close: async () => undefined };
const app = createApp({ waitingRoom, origin, logger: silentLogger });
await waitingRoom.snapshots.refresh();
const cookieOf = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
await (await app.request('/apply', { headers: { accept: 'text/html' } })).arrayBuffer();
const seated = await app.request('/apply', { headers: { accept: 'text/html' } });
if (seated.headers.get('sanh-state') !== 'queued') throw new Error(`expected to be queued, got ${seated.headers.get('sanh-state')}`);
const cookie = cookieOf(seated);
await seated.arrayBuffer();
await waitingRoom.snapshots.refresh();
for (let i = 0; i < n; i++) {
  const r = await app.fetch(new Request('http://sanh.test/_sanh/status?room=main', { headers: { cookie, accept: 'application/json' } }));
  if (r.status !== 200 || r.headers.get('sanh-state') !== 'queued') throw new Error(`poll ${i}: ${r.status} ${r.headers.get('sanh-state')}`);
  await r.arrayBuffer();
}
await waitingRoom.stop();
console.log('done', n);
