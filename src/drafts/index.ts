import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { readCookie, type RawBody, type SanhEnv } from '../platform/http.js';
import { silentLogger } from '../platform/logger.js';
import { OWNER_COOKIE, type DraftAccess, type DraftAttachments, type DraftSealer } from './access.js';
import { draftScriptHandler } from './client/script.js';
import { draftScriptInjector } from './inject.js';
import { createDraftLimiter } from './limits.js';
import { draftRoutes } from './routes.js';
import { createDraftService, draftNotFound, type DraftService, type DraftServiceOptions } from './service.js';

/** What the drafts domain is built from: the service's parts, and the HTTP edge's. */
export interface DraftsOptions extends Omit<DraftServiceOptions, 'attachments'> {
  /** The client's address (after trusted proxies); default unknown. */
  clientAddress?: (c: Context) => string | undefined;
  /** The raw request body where the runtime has one (Node), read without building a web Request. */
  rawBody?: RawBody;
  /** Builds the attachments (tus) from the drafts' owner checks and sealer; default: no attachments. */
  attachments?: (access: DraftAccess, sealer: DraftSealer) => DraftAttachments;
}

/** The drafts domain, ready to mount. */
export interface Drafts {
  /** Mount at `/_sanh`: `/drafts/*` (API, resume page, uploads) and `/draft.js`. */
  routes: Hono<SanhEnv>;
  /** Adds the draft script to the portal's pages listed in `drafts.inject`; undefined when none are. */
  injector: MiddlewareHandler<SanhEnv> | undefined;
  access: DraftAccess;
  service: DraftService;
  attachments: DraftAttachments | undefined;
  /** What this instance did, for the metrics and the dashboard. */
  stats: DraftStats;
  close(): Promise<void>;
}

/** Draft figures of this instance. */
export interface DraftStats {
  /** Draft writes this instance accepted since it started (new drafts and saves). */
  savedTotal(): number;
}

/** The service with the draft writes it accepts (creations and saves) counted. */
function countingSaves(service: DraftService): { service: DraftService; stats: DraftStats } {
  let saved = 0;
  return {
    service: {
      ...service,
      async create(...args) {
        const view = await service.create(...args);
        saved += 1;
        return view;
      },
      async write(...args) {
        const view = await service.write(...args);
        saved += 1;
        return view;
      },
    },
    stats: { savedTotal: () => saved },
  };
}

/** Builds the drafts domain from its dependencies (the one place its parts are wired together). */
export function createDrafts(options: DraftsOptions): Drafts {
  const logger = options.logger ?? silentLogger;
  let attachments: DraftAttachments | undefined;
  const { clientAddress: _address, rawBody: _raw, attachments: buildAttachments, ...parts } = options;
  const { service, stats } = countingSaves(
    createDraftService({
      ...parts,
      logger,
      limiter: options.limiter ?? createDraftLimiter(options.config, { logger }),
      attachments: () => attachments,
    }),
  );
  const access: DraftAccess = {
    async ownedDraft(c, draftId) {
      const owner = await service.existingOwner(readCookie(c.req.header('cookie'), OWNER_COOKIE));
      if (!owner) throw draftNotFound();
      return service.ownedDraft(owner, draftId);
    },
  };
  attachments = buildAttachments?.(access, service.sealer);
  const drafts = draftRoutes({
    service,
    config: options.config,
    clientAddress: options.clientAddress ?? (() => undefined),
    ...(options.rawBody ? { rawBody: options.rawBody } : {}),
  });
  if (attachments) drafts.route('/', attachments.routes);
  const routes = new Hono<SanhEnv>();
  routes.get('/draft.js', draftScriptHandler);
  routes.route('/drafts', drafts);
  return {
    routes,
    injector: options.config.inject.length > 0 ? draftScriptInjector(options.config.inject) : undefined,
    access,
    service,
    attachments,
    stats,
    async close() {
      await attachments?.close();
    },
  };
}
