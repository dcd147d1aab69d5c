/**
 * The Cloudflare Workers entry (`wrangler.toml`). Bindings: ORIGIN_URL, SANH_SECRETS and
 * optionally SANH_CONFIG (the JSON configuration as a string).
 *
 * Preview: this entry keeps the line and the drafts in the isolate's memory, so each isolate has
 * its own line and drafts (no attachments: there is no file storage here).
 * A globally consistent edge line needs the Durable Objects store, which is not built yet; until
 * then run Sảnh on Node with Redis for production.
 */
import type { Context, Hono } from 'hono';
import { createApp } from '../app.js';
import { parseConfig } from '../config/load.js';
import type { SanhEnv } from '../platform/http.js';
import { parseKeyRing } from '../platform/keyring.js';
import { jsonLogger } from '../platform/logger.js';
import { createFetchOriginClient } from '../proxy/fetch-origin.js';
import { createDrafts } from '../drafts/index.js';
import { createWaitingRoom } from '../waiting-room/index.js';
import { createMemoryStores } from './stores.js';

/** Worker bindings Sảnh reads. */
export interface WorkerBindings {
  ORIGIN_URL: string;
  SANH_SECRETS: string;
  SANH_CONFIG?: string;
}

let app: Hono<SanhEnv> | undefined;

function build(env: WorkerBindings): Hono<SanhEnv> {
  const config = parseConfig(env.SANH_CONFIG ? JSON.parse(env.SANH_CONFIG) : {}, 'SANH_CONFIG');
  const logger = jsonLogger({ service: 'sanh', runtime: 'workers' });
  const keyRing = parseKeyRing(env.SANH_SECRETS);
  const clientAddress = (c: Context) => c.req.header('cf-connecting-ip');
  // The isolate's memory (the Durable Objects backend, when built, is chosen here).
  const stores = createMemoryStores({ config, logger });
  const waitingRoom = createWaitingRoom({
    rooms: config.rooms,
    ...(config.origin.pathNormalization ? { paths: config.origin.pathNormalization } : {}),
    store: stores.waitingRoom,
    keyRing,
    logger,
    snapshotIntervalMs: config.snapshotIntervalMs,
    clientAddress,
    limiter: stores.clientLimiter,
  });
  const drafts = config.drafts.enabled
    ? createDrafts({ config: config.drafts, store: stores.drafts, keyRing, logger, clientAddress, limiter: stores.draftLimiter() })
    : undefined;
  return createApp({
    waitingRoom,
    ...(drafts ? { drafts } : {}),
    origin: createFetchOriginClient({ url: env.ORIGIN_URL, timeoutSeconds: config.origin.timeoutSeconds }),
    logger,
    connection: { clientIp: (c) => c.req.header('cf-connecting-ip') },
    pageTemplates: config.rooms.flatMap((room) => (room.templateHtml ? [room.templateHtml] : [])),
  });
}

export default {
  async fetch(request: Request, env: WorkerBindings, ctx: unknown): Promise<Response> {
    app ??= build(env);
    return app.fetch(request, env, ctx as never);
  },
};
