import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { DraftsConfig } from '../config/drafts.js';
import { SanhError } from '../platform/errors.js';
import { cookieHeader, isHttps, readBodyText, readCookie, requestLang, safeLocalPath, type RawBody, type SanhEnv } from '../platform/http.js';
import { clientKey } from '../waiting-room/bypass.js';
import { OWNER_COOKIE, OWNER_COOKIE_PATH } from './access.js';
import { parseBoundedJson } from './json.js';
import { RESUME_PROBLEMS, renderResumePage } from './pages/resume.js';
import { draftNotFound, type DraftService, type DraftView, type Owner } from './service.js';

/** What the drafts' HTTP edge is built from. */
export interface DraftRoutesDeps {
  service: DraftService;
  config: DraftsConfig;
  /** The client's address (after trusted proxies), for the per-address limits. */
  clientAddress: (c: Context) => string | undefined;
  /** The raw request body where the runtime has one (Node), read without building a web Request. */
  rawBody?: RawBody;
}

/** A draft id as `randomId(16)` makes them. */
const ID = ':id{[A-Za-z0-9_-]{22}}';
const OWNER_COOKIE_MAX_AGE = 400 * 86_400;
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const NO_STORE = { 'cache-control': 'no-store' } as const;

/**
 * Refuses state-changing requests made by other sites: the owner cookie must not act on another
 * site's behalf. Browsers that send `Sec-Fetch-Site` are taken at their word (only `cross-site`
 * is refused), so a proxy that rewrites `Host` does not matter; for older ones, an `Origin`
 * whose host is neither `Host` nor `X-Forwarded-Host` is refused.
 */
export function sameSiteWrites(): MiddlewareHandler<SanhEnv> {
  return async function sameSiteOnly(c, next) {
    if (UNSAFE.has(c.req.method) && isForeign(c)) throw new SanhError('forbidden', "Drafts can only be changed from this site's own pages.");
    await next();
  };
}

function isForeign(c: Context): boolean {
  const fetchSite = c.req.header('sec-fetch-site');
  if (fetchSite !== undefined) return fetchSite === 'cross-site';
  const origin = c.req.header('origin');
  if (origin === undefined) return false;
  if (origin === 'null') return true;
  try {
    const host = new URL(origin).host;
    return host !== c.req.header('host') && host !== c.req.header('x-forwarded-host');
  } catch {
    return true;
  }
}

/** The revision an `If-Match` header names (`"3"`, `W/"3"` or `3`); undefined when absent or not one. */
export function revisionOf(ifMatch: string | undefined): number | undefined {
  const match = ifMatch === undefined ? null : /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(ifMatch);
  return match ? Number(match[1]) : undefined;
}

function mediaType(c: Context): string {
  return (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

async function jsonBody(c: Context, maxBytes: number, raw: RawBody | undefined): Promise<unknown> {
  return parseBoundedJson(await readBodyText(c, maxBytes, raw));
}

function requireJson(c: Context, types: readonly string[]): string {
  const type = mediaType(c);
  if (!types.includes(type)) throw new SanhError('unsupported_media_type', `Send the body as ${types.join(' or ')}.`);
  return type;
}

function field(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>)[name] : undefined;
}

/**
 * The drafts API and resume page, mounted at `/_sanh/drafts` (see docs/drafts.md):
 * `POST /`, `GET|PUT|DELETE /:id`, `PUT /:id/resume-answer`, `POST /:id/resume-code`,
 * `GET|POST /resume`. Owners are devices holding the `sanh_draft_owner` cookie.
 */
export function draftRoutes(deps: DraftRoutesDeps): Hono<SanhEnv> {
  const { service, config } = deps;
  const app = new Hono<SanhEnv>();
  const largestDraft = Math.max(256 * 1024, ...config.forms.map((form) => form.maxBytes));
  const maxBody = largestDraft * 2 + 64 * 1024;
  const body = (c: Context) => jsonBody(c, maxBody, deps.rawBody);

  const sameSite = sameSiteWrites();
  app.use('*', (c, next) => {
    if (!(c.req.method === 'GET' && c.req.path.endsWith('/resume')) && mediaType(c) !== 'application/x-www-form-urlencoded') c.set('errorsAsJson', true);
    return sameSite(c, next);
  });

  const cookieOf = (c: Context<SanhEnv>) => readCookie(c.req.header('cookie'), OWNER_COOKIE);
  const ownerOf = (c: Context<SanhEnv>) => service.owner(cookieOf(c));
  /** The owner of an existing draft: a device without an owner cookie owns nothing. */
  const existingOwner = async (c: Context<SanhEnv>): Promise<Owner> => {
    const owner = await service.existingOwner(cookieOf(c));
    if (!owner) throw draftNotFound();
    return owner;
  };
  const giveCookie = (c: Context<SanhEnv>, owner: Owner) => {
    if (owner.newCookie === undefined) return;
    c.header('set-cookie', cookieHeader(OWNER_COOKIE, owner.newCookie, OWNER_COOKIE_MAX_AGE, isHttps(c), OWNER_COOKIE_PATH), { append: true });
  };
  // The ETag is the draft's revision, for If-Match on writes (optimistic concurrency), not Hono's
  // `etag` middleware, which hashes a body for caching: drafts are never cached (no-store).
  const viewHeaders = (view: DraftView) => ({ ...NO_STORE, etag: `"${view.revision}"` });
  const address = (c: Context<SanhEnv>) => clientKey(deps.clientAddress(c));

  app.get('/resume', (c) => {
    const lang = requestLang(c);
    return c.html(renderResumePage({ lang, otherLangUrl: `/_sanh/drafts/resume?lang=${lang === 'vi' ? 'en' : 'vi'}` }), 200, NO_STORE);
  });

  app.post('/resume', async (c) => {
    const owner = await ownerOf(c);
    if (mediaType(c) === 'application/x-www-form-urlencoded') return resumeFromPage(c, owner);
    requireJson(c, ['application/json']);
    const attempt = await body(c);
    const view = await service.resume(owner, { code: field(attempt, 'code'), answer: field(attempt, 'answer') }, address(c));
    giveCookie(c, owner);
    return c.json(view, 200, viewHeaders(view));
  });

  async function resumeFromPage(c: Context<SanhEnv>, owner: Owner): Promise<Response> {
    const form = new URLSearchParams(await readBodyText(c, 4_096, deps.rawBody));
    const code = form.get('code') ?? '';
    const lang = requestLang(c);
    try {
      const view = await service.resume(owner, { code, answer: form.get('answer') ?? '' }, address(c));
      giveCookie(c, owner);
      return c.redirect(`${safeLocalPath(view.returnTo ?? '/')}#sanh-draft=${view.id}`, 303);
    } catch (error) {
      if (!(error instanceof SanhError)) throw error;
      const problems = RESUME_PROBLEMS[lang];
      const reason = error.details?.reason;
      const problem = (typeof reason === 'string' ? problems[reason] : undefined) ?? problems[error.code] ?? problems.fallback!;
      const headers: Record<string, string> = { ...NO_STORE, ...(error.retryAfterSeconds ? { 'retry-after': String(error.retryAfterSeconds) } : {}) };
      return c.html(
        renderResumePage({ lang, code: code.slice(0, 64), problem, otherLangUrl: `/_sanh/drafts/resume?lang=${lang === 'vi' ? 'en' : 'vi'}` }),
        error.status as 403,
        headers,
      );
    }
  }

  app.post('/', async (c) => {
    requireJson(c, ['application/json']);
    const input = await body(c);
    const owner = await ownerOf(c);
    const returnTo = field(input, 'returnTo');
    const view = await service.create(
      owner,
      {
        formId: field(input, 'formId'),
        fields: field(input, 'fields'),
        returnTo: typeof returnTo === 'string' && returnTo.startsWith('/') && returnTo.length <= 2_048 ? safeLocalPath(returnTo) : undefined,
      },
      address(c),
    );
    giveCookie(c, owner);
    return c.json(view, 201, { ...viewHeaders(view), location: `/_sanh/drafts/${view.id}` });
  });

  app.get(`/${ID}`, async (c) => {
    const view = await service.read(await existingOwner(c), c.req.param('id'));
    return c.json(view, 200, viewHeaders(view));
  });

  app.put(`/${ID}`, async (c) => {
    const type = requireJson(c, ['application/json', 'application/merge-patch+json']);
    const baseRevision = revisionOf(c.req.header('if-match'));
    if (baseRevision === undefined) {
      throw new SanhError('precondition_required', 'Say which revision this change is based on: If-Match: "<revision>" (the ETag of the draft you read).');
    }
    const owner = await existingOwner(c);
    const saved = await service.write(owner, c.req.param('id'), { baseRevision, replace: type === 'application/json', body: await body(c) });
    return c.json(saved, 200, { ...NO_STORE, etag: `"${saved.revision}"` });
  });

  app.delete(`/${ID}`, async (c) => {
    const ifMatch = c.req.header('if-match');
    const baseRevision = revisionOf(ifMatch);
    if (ifMatch !== undefined && ifMatch.trim() !== '*' && baseRevision === undefined)
      throw new SanhError('bad_request', 'If-Match must name a revision: "<revision>".');
    await service.remove(await existingOwner(c), c.req.param('id'), baseRevision);
    return c.body(null, 204, NO_STORE);
  });

  app.put(`/${ID}/resume-answer`, async (c) => {
    requireJson(c, ['application/json']);
    const input = await body(c);
    await service.setAnswer(await existingOwner(c), c.req.param('id'), field(input, 'answer'));
    return c.body(null, 204, NO_STORE);
  });

  app.post(`/${ID}/resume-code`, async (c) => {
    const view = await service.renewCode(await existingOwner(c), c.req.param('id'));
    return c.json(view, 200, viewHeaders(view));
  });

  return app;
}
