import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { DraftsConfig } from '../config/drafts.js';
import type { AeadFactory } from '../platform/aead.js';
import type { Clock } from '../platform/clock.js';
import { readCookie, type RawBody, type SanhEnv } from '../platform/http.js';
import type { KeyRing } from '../platform/keyring.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import type { MacFactory } from '../platform/mac.js';
import { OWNER_COOKIE, type DraftAccess, type DraftAttachments, type DraftSealer } from './access.js';
import { draftScriptHandler } from './client/script.js';
import { draftScriptInjector } from './inject.js';
import { createDraftLimiter, type DraftLimiter } from './limits.js';
import { draftRoutes } from './routes.js';
import { createDraftService, type DraftService } from './service.js';
import type { DraftStore } from './store.js';

/** What the drafts domain is built from. */
export interface DraftsOptions {
  config: DraftsConfig;
  store: DraftStore;
  keyRing: KeyRing;
  clock?: Clock;
  logger?: Logger;
  /** How resume codes and answers are MACed: default Web Crypto; on Node, `nodeMac` is cheaper. */
  mac?: MacFactory;
  /** How draft values are sealed: default Web Crypto; on Node, `nodeAead` is cheaper. */
  aead?: AeadFactory;
  /** The client's address (after trusted proxies); default unknown. */
  clientAddress?: (c: Context) => string | undefined;
  /** The raw request body where the runtime has one (Node), read without building a web Request. */
  rawBody?: RawBody;
  /** Per-client limits; default in this instance's memory. */
  limiter?: DraftLimiter;
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
  close(): Promise<void>;
}

/** Builds the drafts domain from its dependencies (the one place its parts are wired together). */
export function createDrafts(options: DraftsOptions): Drafts {
  const logger = options.logger ?? silentLogger;
  let attachments: DraftAttachments | undefined;
  const service = createDraftService({
    config: options.config,
    store: options.store,
    keyRing: options.keyRing,
    logger,
    limiter: options.limiter ?? createDraftLimiter(options.config, { logger }),
    attachments: () => attachments,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.mac ? { mac: options.mac } : {}),
    ...(options.aead ? { aead: options.aead } : {}),
  });
  const access: DraftAccess = {
    async ownedDraft(c, draftId) {
      return service.ownedDraft(await service.owner(readCookie(c.req.header('cookie'), OWNER_COOKIE)), draftId);
    },
  };
  attachments = options.attachments?.(access, service.sealer);
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
    async close() {
      await attachments?.close();
    },
  };
}
