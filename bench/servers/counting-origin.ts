/**
 * A counting origin for the `submissions` scenario: node:http answering 200 to `POST
 * /apply/submit` (any other path: 404), recording each arrival's time, `Idempotency-Key`,
 * `Sanh-Receipt` and the form's `ma_ho_so` field. `GET /_counts` answers what it saw: arrivals,
 * distinct keys, duplicates (arrivals beyond the first per key), keys that are not a quoted
 * 64-hex string, distinct receipts and bodies, the receipts seen and every arrival time (epoch
 * ms, sub-millisecond) and arrivals per port it was reached on. It listens on PORT and on each
 * port of ALSO_PORTS (comma-separated), so that each Sảnh instance can be given its own port and
 * its share of the deliveries counted. It keeps no rate of its own: the rate it sees is the rate
 * it was sent.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

const perKey = new Map<string, number>();
const receipts = new Set<string>();
const bodies = new Set<string>();
const times: number[] = [];
const perPort: Record<string, number> = {};
let malformedKeys = 0;
let missingKeys = 0;

const now = () => performance.timeOrigin + performance.now();

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'GET' && req.url === '/_counts') {
    const duplicates = [...perKey.values()].reduce((sum, n) => sum + n - 1, 0);
    const body = JSON.stringify({
      arrivals: times.length,
      distinctKeys: perKey.size,
      duplicates,
      missingKeys,
      malformedKeys,
      distinctReceipts: receipts.size,
      distinctBodies: bodies.size,
      perPort,
      receipts: [...receipts],
      times,
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    if (req.method !== 'POST' || req.url !== '/apply/submit') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    times.push(now());
    const port = String(req.socket.localPort);
    perPort[port] = (perPort[port] ?? 0) + 1;
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string') missingKeys += 1;
    else {
      if (!/^"[0-9a-f]{64}"$/.test(key)) malformedKeys += 1;
      perKey.set(key, (perKey.get(key) ?? 0) + 1);
    }
    const receipt = req.headers['sanh-receipt'];
    if (typeof receipt === 'string') receipts.add(receipt);
    const file = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('ma_ho_so');
    if (file) bodies.add(file);
    const answer = Buffer.from('<!doctype html><title>Đã nhận hồ sơ</title><p>Hồ sơ đã được tiếp nhận.</p>');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': answer.length, 'sanh-application-number': `HS-${times.length}` });
    res.end(answer);
  });
}

for (const port of (process.env.ALSO_PORTS ?? '').split(',').filter(Boolean)) createServer(handle).listen(Number(port), '127.0.0.1');
createServer(handle).listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`listening ${process.env.PORT}`));
