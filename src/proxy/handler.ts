import type { Handler } from 'hono';
import type { SanhEnv } from '../platform/http.js';
import type { OriginClient } from './port.js';
import type { Readable } from 'node:stream';

/** How the runtime tells the proxy about the visitor's connection and raw body. */
export interface ConnectionInfo {
  clientIp(c: Parameters<Handler<SanhEnv>>[0]): string | undefined;
  /** The raw Node request stream when running on Node (faster than the web stream). */
  rawBody?(c: Parameters<Handler<SanhEnv>>[0]): Readable | undefined;
}

/** The proxy handler: forwards whatever reaches it to the origin. */
export function proxyHandler(origin: OriginClient, connection: ConnectionInfo): Handler<SanhEnv> {
  return async function proxy(c) {
    const url = new URL(c.req.url);
    const extra = c.get('sanhOriginHeaders');
    let headers = c.req.raw.headers;
    if (extra) {
      headers = new Headers(headers);
      for (const [name, value] of Object.entries(extra)) headers.set(name, value);
    }
    return origin.forward({
      method: c.req.method,
      pathAndQuery: `${url.pathname}${url.search}`,
      headers,
      body: c.get('sanhBody') ?? connection.rawBody?.(c) ?? c.req.raw.body,
      forwarding: { clientIp: connection.clientIp(c), proto: url.protocol.replace(':', ''), host: c.req.header('host') },
      ...(c.get('sanhRoom') ? { room: c.get('sanhRoom') as string } : {}),
    });
  };
}
