import { Readable } from 'node:stream';
import { Agent, errors as undiciErrors } from 'undici';
import { SanhError } from '../platform/errors.js';
import { originRequestHeaders } from './headers.js';
import type { OriginClient } from './port.js';
import { OriginAnswer } from './origin-answer.js';
import { tracedOrigin } from './traced-origin.js';

export type { OriginClient, OriginRequest } from './port.js';

/** True for undici errors that mean the origin took too long. */
function isTimeout(error: unknown): boolean {
  return (
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    error instanceof undiciErrors.ConnectTimeoutError ||
    (error instanceof Error && error.name === 'TimeoutError')
  );
}

/**
 * The Node origin client: undici with a pooled keep-alive agent. Request bodies are streamed;
 * answers are read by `OriginAnswer` (small ones whole, the rest streamed); content encodings
 * pass through untouched. Each request is traced (`tracedOrigin`).
 */
export function createUndiciOriginClient(options: { url: string; timeoutSeconds: number; connections?: number }): OriginClient {
  const base = new URL(options.url);
  const basePath = base.pathname.replace(/\/$/, '');
  const timeoutMs = Math.round(options.timeoutSeconds * 1000);
  const agent = new Agent({
    connections: options.connections ?? 256,
    keepAliveTimeout: 30_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { timeout: Math.min(timeoutMs, 10_000) },
  });

  const client: OriginClient = {
    async forward(request) {
      const method = request.method.toUpperCase();
      const hasBody = request.body !== null && method !== 'GET' && method !== 'HEAD';
      let body: Readable | Uint8Array | null = null;
      if (hasBody && request.body) {
        body =
          request.body instanceof Readable || request.body instanceof Uint8Array
            ? request.body
            : Readable.fromWeb(request.body as import('node:stream/web').ReadableStream);
      }
      let dispatched = false;
      try {
        const answer = new OriginAnswer(method, request.onSettled);
        agent.dispatch(
          {
            origin: base.origin,
            path: `${basePath}${request.pathAndQuery}`,
            method: method as 'GET',
            headers: originRequestHeaders(request.headers, request.forwarding, request.traceHeaders),
            body,
          },
          answer,
        );
        dispatched = true;
        return await answer.response;
      } catch (error) {
        if (!dispatched) request.onSettled?.();
        if (error instanceof SanhError) throw error;
        if (isTimeout(error)) throw new SanhError('origin_timeout', 'The portal did not answer in time.', { cause: error, retryAfterSeconds: 10 });
        throw new SanhError('origin_unreachable', 'The portal could not be reached.', { cause: error, retryAfterSeconds: 10 });
      }
    },
    async close() {
      await agent.close();
    },
  };
  return tracedOrigin(client, options.url);
}
