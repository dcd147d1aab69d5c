/** Starting the Node HTTP listeners (public, admin) so that a failed start can close them. */
import { Server as HttpServer } from 'node:http';
import { serve, type ServerType } from '@hono/node-server';
import type { Closers } from './closers.js';
import { drainable, type DrainableListener } from './drain.js';

/** The Node HTTP server behind a `serve()` answer (`serve` makes a plain HTTP/1.1 server unless told otherwise). */
export function httpServer(server: ServerType): HttpServer {
  if (!(server instanceof HttpServer)) throw new Error('Sảnh on Node expects an HTTP/1.1 listener');
  return server;
}

/** Starts a listener; rejects when it cannot bind (the port in use, not allowed, a bad host). */
export function listen(serveOptions: Parameters<typeof serve>[0]): Promise<ServerType> {
  return new Promise<ServerType>((resolve, reject) => {
    const s = serve(serveOptions, () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/**
 * Makes a started listener drainable and pushes its close on `opened`: stops it at once,
 * cutting what is open (after a graceful drain, nothing is left to cut).
 */
export function listening(server: ServerType, opened: Closers): DrainableListener {
  const listener = drainable(httpServer(server));
  opened.push(async () => {
    const closed = listener.drain();
    listener.cut();
    await closed;
  });
  return listener;
}
