import type { Context, Env } from 'hono';
import { DRAFT_JS } from './assets.generated.js';

/**
 * `/_sanh/draft.js`: the autosave script a portal adds to its form pages (or Sảnh injects), written
 * in `draft.js` beside this file (what it does is described there), plain ES5, minified by esbuild
 * (`npm run assets`).
 */
export const DRAFT_SCRIPT: string = DRAFT_JS;

/** FNV-1a over the UTF-16 code units: a stable, runtime-independent fingerprint of the script. */
function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}

/** The script's strong ETag (changes whenever the script does). */
export const DRAFT_SCRIPT_ETAG = `"draft-${fingerprint(DRAFT_SCRIPT)}-${DRAFT_SCRIPT.length.toString(36)}"`;

/** The gzip-compressed script's ETag (another representation, so another strong tag). */
const GZIP_ETAG = DRAFT_SCRIPT_ETAG.replace(/"$/, '-gz"');

/**
 * The script gzip-compressed, once `CompressionStream` (Node 18+, Workers, browsers) has made it
 * at start: about 6.2 KB instead of 14 KB on a phone's connection. Until then, or where the runtime
 * has none, the script is served uncompressed.
 */
let gzipped: Uint8Array<ArrayBuffer> | undefined;
if (typeof CompressionStream === 'function') {
  new Response(new Blob([DRAFT_SCRIPT]).stream().pipeThrough(new CompressionStream('gzip')))
    .arrayBuffer()
    .then((buffer) => {
      gzipped = new Uint8Array(buffer);
    })
    .catch(() => undefined);
}

/** True when an `If-None-Match` value names `etag` (or is `*`). */
function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

function acceptsGzip(acceptEncoding: string | undefined): boolean {
  return acceptEncoding !== undefined && /(^|,)\s*gzip\s*(;\s*q=(?!0(\.0*)?\s*(,|$))[\d.]+)?\s*(,|$)/i.test(acceptEncoding);
}

/**
 * `GET /_sanh/draft.js`: the script as `application/javascript`, cacheable for an hour, with its
 * ETag, gzip-compressed for clients that accept it (`Vary: Accept-Encoding`); `304` without a
 * body when `If-None-Match` names the representation. Mount it as is:
 * `routes.get('/draft.js', draftScriptHandler)`.
 */
export function draftScriptHandler<E extends Env>(c: Context<E>): Response {
  const compressed = gzipped !== undefined && acceptsGzip(c.req.header('accept-encoding')) ? gzipped : undefined;
  const etag = compressed ? GZIP_ETAG : DRAFT_SCRIPT_ETAG;
  const headers: Record<string, string> = {
    'Cache-Control': 'public, max-age=3600',
    ETag: etag,
    Vary: 'Accept-Encoding',
  };
  if (notModified(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers);
  const common = { ...headers, 'Content-Type': 'application/javascript; charset=utf-8', 'X-Content-Type-Options': 'nosniff' };
  if (compressed) return c.body(compressed, 200, { ...common, 'Content-Encoding': 'gzip' });
  return c.body(DRAFT_SCRIPT, 200, common);
}
