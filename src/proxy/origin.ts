import { Readable } from 'node:stream';
import { Agent, errors as undiciErrors } from 'undici';
import { SanhError } from '../platform/errors.js';
import { originRequestHeaders, visitorResponseHeaders } from './headers.js';
import type { OriginClient } from './port.js';

export type { OriginClient, OriginRequest } from './port.js';

/**
 * Wraps a Node stream as a web stream with back-pressure. Unlike `Readable.toWeb` on Node 20, a
 * visitor who goes away mid-answer (the web stream is cancelled) ends the origin stream instead of
 * crashing the process on the next chunk.
 */
export function webStreamOf(body: Readable): ReadableStream<Uint8Array> {
  let finished = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      body.on('data', (chunk: Buffer) => {
        if (finished) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 0) <= 0) body.pause();
      });
      body.once('end', () => {
        if (finished) return;
        finished = true;
        controller.close();
      });
      body.once('error', (error) => {
        if (finished) return;
        finished = true;
        controller.error(error);
      });
    },
    pull() {
      body.resume();
    },
    cancel() {
      finished = true;
      body.destroy();
    },
  });
}

/** Answers up to this size with a known length are read whole: one write instead of a stream. */
const SMALL_BODY_BYTES = 64 * 1024;

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

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
 * The Node origin client: undici with a pooled keep-alive agent. Request and response bodies are
 * streamed, never buffered; content encodings pass through untouched.
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

  return {
    async forward(request) {
      const method = request.method.toUpperCase();
      const hasBody = request.body !== null && method !== 'GET' && method !== 'HEAD';
      let body: Readable | null = null;
      if (hasBody && request.body) body = request.body instanceof Readable ? request.body : Readable.fromWeb(request.body as import('node:stream/web').ReadableStream);
      try {
        const answer = await agent.request({
          origin: base.origin,
          path: `${basePath}${request.pathAndQuery}`,
          method: method as 'GET',
          headers: originRequestHeaders(request.headers, request.forwarding),
          body,
        });
        const headers = visitorResponseHeaders(answer.headers);
        if (method === 'HEAD' || NULL_BODY_STATUS.has(answer.statusCode)) {
          answer.body.resume();
          return new Response(null, { status: answer.statusCode, headers });
        }
        const length = Number(answer.headers['content-length'] ?? Number.NaN);
        if (length <= SMALL_BODY_BYTES) {
          return new Response(new Uint8Array(await answer.body.arrayBuffer()), { status: answer.statusCode, headers });
        }
        return new Response(webStreamOf(answer.body), { status: answer.statusCode, headers });
      } catch (error) {
        if (isTimeout(error)) throw new SanhError('origin_timeout', 'The portal did not answer in time.', { cause: error, retryAfterSeconds: 10 });
        throw new SanhError('origin_unreachable', 'The portal could not be reached.', { cause: error, retryAfterSeconds: 10 });
      }
    },
    async close() {
      await agent.close();
    },
  };
}
