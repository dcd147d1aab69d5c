/** Baseline: a minimal node:http keep-alive reverse proxy to ORIGIN_URL. */
import { Agent, createServer, request } from 'node:http';

const origin = new URL(process.env.ORIGIN_URL ?? '');
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
createServer((req, res) => {
  const upstream = request({ host: origin.hostname, port: origin.port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => {
    res.statusCode = 502;
    res.end();
  });
  req.pipe(upstream);
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`listening ${process.env.PORT}`));
