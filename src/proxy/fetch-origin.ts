import { SanhError } from '../platform/errors.js';
import { originRequestHeaders, visitorResponseHeaders } from './headers.js';
import type { OriginClient } from './port.js';
import { tracedOrigin } from './traced-origin.js';

/**
 * The origin client for runtimes whose only HTTP client is `fetch` (Cloudflare Workers). Bodies
 * are streamed; redirects are passed to the visitor, not followed. Each request is traced (`tracedOrigin`).
 */
export function createFetchOriginClient(options: { url: string; timeoutSeconds: number }): OriginClient {
  const base = new URL(options.url);
  const basePath = base.pathname.replace(/\/$/, '');
  const client: OriginClient = {
    async forward(request) {
      const method = request.method.toUpperCase();
      const sent = method === 'GET' || method === 'HEAD' ? null : request.body;
      const body = sent instanceof ReadableStream ? sent : sent instanceof Uint8Array ? new Uint8Array(sent) : null;
      let answer: Response;
      try {
        answer = await fetch(`${base.origin}${basePath}${request.pathAndQuery}`, {
          method,
          headers: originRequestHeaders(request.headers, request.forwarding, request.traceHeaders),
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(options.timeoutSeconds * 1000),
        });
      } catch (error) {
        request.onSettled?.();
        if (error instanceof Error && error.name === 'TimeoutError') {
          throw new SanhError('origin_timeout', 'The portal did not answer in time.', { cause: error, retryAfterSeconds: 10 });
        }
        throw new SanhError('origin_unreachable', 'The portal could not be reached.', { cause: error, retryAfterSeconds: 10 });
      }
      const raw: Record<string, string | string[]> = {};
      answer.headers.forEach((value, name) => {
        if (name !== 'set-cookie') raw[name] = value;
      });
      const cookies = answer.headers.getSetCookie();
      if (cookies.length > 0) raw['set-cookie'] = cookies;
      // Workers hold no connection pool of ours: the request is over for the lanes once answered.
      request.onSettled?.();
      return new Response(answer.body, { status: answer.status, headers: visitorResponseHeaders(raw) });
    },
    async close() {},
  };
  return tracedOrigin(client, options.url);
}
