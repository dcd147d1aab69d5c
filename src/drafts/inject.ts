import type { MiddlewareHandler } from 'hono';
import { concatBytes } from '../platform/bytes.js';
import { SanhError } from '../platform/errors.js';
import { mutableHeaders, type SanhEnv } from '../platform/http.js';
import { prefixMatches } from '../waiting-room/rooms.js';

/** The tag added to portal pages listed in `drafts.inject`. */
export const DRAFT_SCRIPT_TAG = '<script src="/_sanh/draft.js" defer></script>';

/** Pages larger than this are passed through untouched. */
const MAX_INJECT_BYTES = 2 * 1024 * 1024;

/** The page with the draft script added before its last `</body>` (or at its end); unchanged when it has it already. */
export function withDraftScript(html: string): string {
  if (html.includes('/_sanh/draft.js')) return html;
  const at = html.toLowerCase().lastIndexOf('</body>');
  return at < 0 ? `${html}${DRAFT_SCRIPT_TAG}` : `${html.slice(0, at)}${DRAFT_SCRIPT_TAG}${html.slice(at)}`;
}

/** The first `limit` bytes of a stream, whole, or the stream put back together when it is longer. */
async function readUpTo(body: ReadableStream<Uint8Array>, limit: number): Promise<{ whole: Uint8Array } | { stream: ReadableStream<Uint8Array> }> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.byteLength;
    if (length > limit) {
      return {
        stream: new ReadableStream<Uint8Array>({
          start(controller) {
            for (const chunk of chunks) controller.enqueue(chunk);
          },
          async pull(controller) {
            const next = await reader.read();
            if (next.done) controller.close();
            else controller.enqueue(next.value);
          },
          cancel: (reason) => reader.cancel(reason),
        }),
      };
    }
  }
  return { whole: concatBytes(chunks, length) };
}

const decoder = new TextDecoder();

/**
 * Adds `<script src="/_sanh/draft.js" defer>` to the portal's HTML answers under the listed path
 * prefixes, so a portal's forms get autosave without changing the portal (its forms still opt in
 * with `data-sanh-draft`). The visitor's `Accept-Encoding` is not passed on for those pages, so
 * the portal answers uncompressed; an answer that is compressed anyway, not HTML, or over 2 MiB
 * (by its length, or as it is read) passes through untouched. A portal that fails mid-answer is
 * a 502, as anywhere else.
 */
export function draftScriptInjector(prefixes: readonly string[]): MiddlewareHandler<SanhEnv> {
  return async function injectDraftScript(c, next) {
    const listed = (c.req.method === 'GET' || c.req.method === 'POST') && prefixes.some((prefix) => prefixMatches(prefix, c.req.path));
    if (!listed) return next();
    try {
      c.req.raw.headers.delete('accept-encoding');
    } catch {
      // immutable request headers: a compressed answer then passes through untouched
    }
    await next();
    const res = c.res;
    const type = res.headers.get('content-type') ?? '';
    const length = Number(res.headers.get('content-length') ?? 0);
    if (!type.toLowerCase().startsWith('text/html') || res.headers.has('content-encoding') || length > MAX_INJECT_BYTES || res.body === null) return;
    const headers = mutableHeaders(c);
    const { status, statusText, body } = c.res;
    if (!body) return;
    let read: Awaited<ReturnType<typeof readUpTo>>;
    try {
      read = await readUpTo(body, MAX_INJECT_BYTES);
    } catch (error) {
      throw new SanhError('origin_unreachable', 'The portal stopped in the middle of its answer.', { cause: error, retryAfterSeconds: 10 });
    }
    if ('stream' in read) {
      c.res = new Response(read.stream, { status, statusText, headers });
      return;
    }
    headers.delete('content-length');
    headers.delete('etag');
    c.res = new Response(withDraftScript(decoder.decode(read.whole)), { status, statusText, headers });
  };
}
