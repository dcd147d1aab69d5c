import type { Readable } from 'node:stream';
import type { ForwardingContext } from './headers.js';

/** A request on its way to the origin. */
export interface OriginRequest {
  method: string;
  /** Path and query, e.g. `/apply/step/1?x=1`. */
  pathAndQuery: string;
  headers: Headers;
  /** The request body: a Node stream (fast path on Node), a web stream, or bytes already read. */
  body: Readable | ReadableStream<Uint8Array> | Uint8Array | null;
  forwarding: ForwardingContext;
  /** The room whose gate let the request through, for the origin's health per room (adaptive admission). */
  room?: string;
  /** The W3C trace context to send instead of the visitor's (`traceparent`, `tracestate`), when traced. */
  traceHeaders?: Record<string, string>;
  /**
   * Called once when the origin request is over: the answer fully read or failed, or never sent.
   * The proxy's origin lanes count a connection held until then (`proxy/limits.ts`).
   */
  onSettled?: () => void;
}

/** The proxy's port to the origin: streams a request there and its answer back. */
export interface OriginClient {
  /** The origin's answer, streamed. Throws SanhError `origin_unreachable` or `origin_timeout`. */
  forward(request: OriginRequest): Promise<Response>;
  close(): Promise<void>;
}
