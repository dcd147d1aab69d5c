import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { concatBytes } from '../platform/bytes.js';
import { visitorResponseHeaders } from './headers.js';

/** Answers up to this size with a known length are read whole: one write instead of a stream. */
const SMALL_BODY_BYTES = 64 * 1024;

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/**
 * An undici dispatch handler that turns the origin's answer into the visitor's `Response`,
 * without undici's stream-based body: no body for HEAD and null-body statuses, the whole body
 * for small answers of known length, otherwise a web stream with back-pressure (the origin
 * connection is paused while the visitor's stream is full; a visitor who goes away aborts the
 * origin request). `response` settles once the answer can be built, and rejects with undici's
 * error when the origin fails before that.
 */
export class OriginAnswer implements Dispatcher.DispatchHandler {
  readonly response: Promise<Response>;
  #resolve!: (response: Response) => void;
  #reject!: (error: Error) => void;
  #settled = false;
  /** The small answer being read whole. */
  #small: { status: number; headers: Headers; chunks: Buffer[]; length: number } | undefined;
  /** The streamed answer's controller, until the stream closes, errors or is cancelled. */
  #stream: ReadableStreamDefaultController<Uint8Array> | undefined;

  /**
   * `onSettled` is called once, when the answer has been read whole or the request failed
   * (undici ends every dispatch with `onResponseEnd` or `onResponseError`).
   */
  constructor(
    private readonly method: string,
    private onSettled?: () => void,
  ) {
    this.response = new Promise<Response>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  #settle(response: Response): void {
    this.#settled = true;
    this.#resolve(response);
  }

  /** Marks this a handler of undici's current API (it has nothing to do at the start). */
  onRequestStart(): void {}

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, raw: IncomingHttpHeaders): void {
    if (statusCode < 200) return;
    const headers = visitorResponseHeaders(raw);
    if (this.method === 'HEAD' || NULL_BODY_STATUS.has(statusCode)) {
      this.#settle(new Response(null, { status: statusCode, headers }));
      return;
    }
    if (Number(raw['content-length'] ?? Number.NaN) <= SMALL_BODY_BYTES) {
      this.#small = { status: statusCode, headers, chunks: [], length: 0 };
      return;
    }
    const body = new ReadableStream<Uint8Array>({
      start: (stream) => {
        this.#stream = stream;
      },
      pull: () => controller.resume(),
      cancel: (reason: unknown) => {
        this.#stream = undefined;
        controller.abort(reason instanceof Error ? reason : new Error('The visitor went away.'));
      },
    });
    this.#settle(new Response(body, { status: statusCode, headers }));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (chunk.byteLength === 0) return; // undici reports an empty chunk when the parser resumes
    if (this.#small) {
      this.#small.chunks.push(chunk);
      this.#small.length += chunk.byteLength;
      return;
    }
    const stream = this.#stream;
    if (!stream) return;
    stream.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if ((stream.desiredSize ?? 0) <= 0) controller.pause();
  }

  #over(): void {
    const settled = this.onSettled;
    this.onSettled = undefined;
    settled?.();
  }

  onResponseEnd(): void {
    this.#over();
    const small = this.#small;
    if (small) {
      this.#small = undefined;
      this.#settle(new Response(concatBytes(small.chunks, small.length), { status: small.status, headers: small.headers }));
      return;
    }
    this.#stream?.close();
    this.#stream = undefined;
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#over();
    this.#small = undefined;
    if (!this.#settled) {
      this.#settled = true;
      this.#reject(error);
      return;
    }
    this.#stream?.error(error);
    this.#stream = undefined;
  }
}
