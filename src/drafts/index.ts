import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { readCookie, type RawBody, type SanhEnv } from '../platform/http.js';
import { silentLogger } from '../platform/logger.js';
import { OWNER_COOKIE, type DraftAccess, type DraftAttachments, type DraftSealer } from './access.js';
import { draftScriptHandler } from './client/script.js';
import { draftScriptInjector } from './inject.js';
import { clientKey } from '../waiting-room/bypass.js';
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

/** What a store takes against its budget, as last read. */
export interface StorageFigures {
  usedBytes: number;
  budgetBytes: number;
}

/** Draft figures of this instance. */
export interface DraftStats {
  /** Draft writes this instance accepted since it started (new drafts and saves). */
  savedTotal(): number;
  /** The drafts' bytes against `limits.maxStoredBytes`, as last read (every 15 s); undefined before the first read. */
  storage?(): StorageFigures | undefined;
  /** The attachments' bytes against `uploads.maxStoredBytes`, as last read; undefined without attachments or before the first read. */
  attachmentStorage?(): StorageFigures | undefined;
}

/** How often the storage figures are read for the metrics (a scrape itself reads no store)... */
const STORAGE_READ_MS = 15_000;
/** ...and at most this often after saves. */
const STORAGE_READ_AFTER_SAVE_MS = 1_000;

/** The service with the draft writes it accepts (creations and saves) counted, calling `onSave` after each. */
function countingSaves(service: DraftService, onSave: () => void): { service: DraftService; stats: DraftStats } {
  let saved = 0;
  return {
    service: {
      ...service,
      async create(...args) {
        const view = await service.create(...args);
        saved += 1;
        onSave();
        return view;
      },
      async write(...args) {
        const view = await service.write(...args);
        saved += 1;
        onSave();
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
  const limiter = options.limiter ?? createDraftLimiter(options.config, { logger });
  let lastRead = 0;
  let readStorage = (): void => undefined;
  /** Reads the storage figures again, in the background, at most once a second (timing only, no decision: the wall clock is fine). */
  const readStorageSoon = () => {
    const now = performance.now();
    if (now - lastRead < STORAGE_READ_AFTER_SAVE_MS) return;
    lastRead = now;
    readStorage();
  };
  const clientAddress = options.clientAddress ?? (() => undefined);
  const { service, stats } = countingSaves(
    createDraftService({
      ...parts,
      logger,
      limiter,
      attachments: () => attachments,
    }),
    () => readStorageSoon(),
  );
  const access: DraftAccess = {
    async ownedDraft(c, draftId) {
      const owner = await service.existingOwner(readCookie(c.req.header('cookie'), OWNER_COOKIE));
      if (!owner) throw draftNotFound();
      return service.ownedDraft(owner, draftId);
    },
    clientKey: (c) => clientKey(clientAddress(c)),
    limit: (kind, key, points) => limiter.take(kind, key, points),
  };
  attachments = buildAttachments?.(access, service.sealer);
  const drafts = draftRoutes({
    service,
    config: options.config,
    clientAddress,
    ...(options.rawBody ? { rawBody: options.rawBody } : {}),
  });
  if (attachments) drafts.route('/', attachments.routes);
  let storage: StorageFigures | undefined;
  let attachmentStorage: StorageFigures | undefined;
  readStorage = () => {
    options.store.usage().then(
      (usage) => {
        storage = { usedBytes: usage.bytes, budgetBytes: options.config.limits.maxStoredBytes };
      },
      (error: Error) => logger.debug?.('draft storage figures could not be read', { error: error.message }),
    );
    attachments?.storedBytes?.().then(
      (bytes) => {
        attachmentStorage = { usedBytes: bytes, budgetBytes: options.config.uploads.maxStoredBytes };
      },
      (error: Error) => logger.debug?.('attachment storage figures could not be read', { error: error.message }),
    );
  };
  readStorage();
  lastRead = performance.now();
  const storageTimer = setInterval(readStorage, STORAGE_READ_MS);
  (storageTimer as { unref?: () => void }).unref?.();
  const routes = new Hono<SanhEnv>();
  routes.get('/draft.js', draftScriptHandler);
  routes.route('/drafts', drafts);
  return {
    routes,
    injector: options.config.inject.length > 0 ? draftScriptInjector(options.config.inject) : undefined,
    access,
    service,
    attachments,
    stats: { ...stats, storage: () => storage, attachmentStorage: () => attachmentStorage },
    async close() {
      clearInterval(storageTimer);
      await attachments?.close();
    },
  };
}
