/**
 * Instructions per admitted visitor's proxied request, counted by valgrind (repeatable on a shared
 * machine, unlike requests per second): the real app in-process, a memory store, a real undici
 * origin client to a tiny node:http origin in the same process. Run it under callgrind twice, with
 * N requests and with none, and divide the difference by N:
 *
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/n.out node --import tsx bench/hot-path-instructions.ts 2000
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/0.out node --import tsx bench/hot-path-instructions.ts 0
 *
 * The figure includes the origin's own handling and JIT warm-up: compare two commits, never quote
 * it alone. The app is wired as the Node entry wires it: every answer measured into the admin
 * metrics' `http_server_request_duration_seconds`. Counts vary less between runs with V8 on one
 * thread (`node --single-threaded ...`): no concurrent JIT or GC threads for callgrind to count.
 * After editing a source file, run once uncounted: tsx's first run transpiles it, and callgrind
 * counts that too (hundreds of millions of instructions). The measuring layer alone, exactly:
 * `bench/measured-fetch-instructions.ts`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/app.js';
import { createAdminMetrics } from '../src/admin/metrics.js';
import { createHttpServerStats } from '../src/telemetry/http-server-stats.js';
import { parseConfig } from '../src/config/load.js';
import { parseKeyRing } from '../src/platform/keyring.js';
import { silentLogger } from '../src/platform/logger.js';
import { createUndiciOriginClient } from '../src/proxy/origin.js';
import { createMemoryWaitingRoomStore } from '../src/waiting-room/memory-store.js';
import { createWaitingRoom } from '../src/waiting-room/index.js';
import { nodeMac } from '../src/platform/node-mac.js';
const n = Number(process.argv[2] ?? 1000);
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<p>ok</p>');
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const config = parseConfig({ rooms: [{ id: 'main', match: ['/'], maxActive: 1000, admitPerMinute: 60000 }] });
const waitingRoom = createWaitingRoom({
  rooms: config.rooms,
  store: createMemoryWaitingRoomStore(),
  keyRing: parseKeyRing(`k:${'h'.repeat(40)}`),
  mac: nodeMac,
});
const origin = createUndiciOriginClient({ url, timeoutSeconds: 10 });
const httpServerStats = createHttpServerStats();
createAdminMetrics({ rooms: config.rooms, snapshots: waitingRoom.snapshots, counters: waitingRoom.counters, backlog: () => undefined, httpServerStats });
const app = createApp({ waitingRoom, origin, logger: silentLogger, httpServerStats });
await waitingRoom.snapshots.refresh();
const first = await app.request('/apply', { headers: { accept: 'text/html' } });
const cookie = first.headers
  .getSetCookie()
  .map((c) => c.split(';')[0])
  .join('; ');
await first.arrayBuffer();
for (let i = 0; i < n; i++) {
  const r = await app.request('/apply/step/1', { headers: { cookie, accept: 'text/html' } });
  if (r.headers.get('sanh-state') !== 'admitted') throw new Error('not admitted');
  await r.arrayBuffer();
}
await origin.close();
await waitingRoom.stop();
server.close();
console.log('done', n);
