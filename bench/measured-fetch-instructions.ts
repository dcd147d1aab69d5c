/**
 * Instructions the public listener's measuring layer adds to a request (`measuredFetch` into the
 * admin metrics' `http_server_request_duration_seconds`), counted by valgrind without the rest of
 * the request's noise: a fetch answering a ready Response, with the layer and without, N times and
 * none. (measured N − measured 0) − (bare N − bare 0), divided by N:
 *
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/m.out node --single-threaded --import tsx bench/measured-fetch-instructions.ts 20000 measured
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/m0.out node --single-threaded --import tsx bench/measured-fetch-instructions.ts 0 measured
 *   (the same with `bare`)
 */
import { parseConfig } from '../src/config/load.js';
import { createAdminMetrics } from '../src/admin/metrics.js';
import { createHttpServerStats, measuredFetch } from '../src/telemetry/http-server-stats.js';

const n = Number(process.argv[2] ?? 1000);
const measured = process.argv[3] !== 'bare';
const config = parseConfig({ rooms: [{ id: 'main', match: ['/'], maxActive: 1, admitPerMinute: 1 }] });
const httpServerStats = createHttpServerStats();
const snapshots = { view: () => undefined, refresh: async () => undefined, start: () => undefined, stop: () => undefined };
createAdminMetrics({ rooms: config.rooms, snapshots, counters: { passthrough: new Map(), bypass: new Map() }, backlog: () => undefined, httpServerStats });
// An admitted visitor's proxied answer, as the gate leaves it.
const response = new Response('<p>ok</p>', { headers: new Headers({ 'content-type': 'text/html', 'sanh-room': 'main', 'sanh-state': 'admitted' }) });
const request = new Request('http://localhost/apply/step/1');
const bare = async (_request: Request) => response;
const fetch = measured ? measuredFetch(bare, httpServerStats) : bare;
let ok = 0;
for (let i = 0; i < n; i++) if ((await fetch(request)).status === 200) ok += 1;
console.log('done', n, measured ? 'measured' : 'bare', ok);
