/**
 * A fast origin: node:http answering a small HTML page, keep-alive. Paths under `/end` also
 * answer `Sanh-Session: end`, the way a portal ends a visitor's session after a submission.
 */
import { createServer } from 'node:http';

const body = Buffer.from(`<!doctype html><title>portal</title><p>${'x'.repeat(400)}</p>`);
createServer((req, res) => {
  const headers: Record<string, string | number> = { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length };
  if (req.url?.startsWith('/end')) headers['sanh-session'] = 'end';
  res.writeHead(200, headers);
  res.end(body);
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`listening ${process.env.PORT}`));
