/** A fast origin: node:http answering a small HTML page, keep-alive. */
import { createServer } from 'node:http';

const body = Buffer.from(`<!doctype html><title>portal</title><p>${'x'.repeat(400)}</p>`);
createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length });
  res.end(body);
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`listening ${process.env.PORT}`));
