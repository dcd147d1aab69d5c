/**
 * The admin listener of a Node instance (API, dashboard, `/metrics`): never on the public port.
 * Started by `startNodeSanh`, whose closer stack it pushes the dashboard and the listener on.
 */
import type { AddressInfo } from 'node:net';
import type { AdaptiveController } from '../adaptive/controller.js';
import type { OriginStats } from '../adaptive/origin-stats.js';
import { createAdminApp } from '../admin/app.js';
import { createDashboard } from '../admin/dashboard/routes.js';
import { roomFigures } from '../admin/figures.js';
import type { LiveSettings } from '../admin/live.js';
import { createAdminMetrics } from '../admin/metrics.js';
import type { AdminToken } from '../admin/tokens.js';
import type { SanhConfig } from '../config/schema.js';
import type { Drafts } from '../drafts/index.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { Submissions } from '../submissions/index.js';
import type { HttpServerStats } from '../telemetry/http-server-stats.js';
import type { WaitingRoom } from '../waiting-room/index.js';
import type { Closers } from './closers.js';
import type { DrainableListener } from './drain.js';
import { listen, listening } from './listen.js';
import type { SanhStores } from './stores.js';

/** Where the admin listener listens, who may use it, and the dashboard's pace. */
export interface AdminListenerOptions {
  port: number;
  hostname: string;
  tokens: readonly AdminToken[];
  dashboard?: { sampleMs?: number; pushMs?: number };
}

/** The running parts of the instance the admin listener reads and changes. */
export interface AdminListenerParts {
  config: SanhConfig;
  stores: SanhStores;
  waitingRoom: WaitingRoom;
  drafts?: Drafts;
  submissions: Submissions;
  liveSettings: LiveSettings;
  originStats: OriginStats;
  adaptive: AdaptiveController;
  httpServerStats: HttpServerStats;
  logger: Logger;
  clock: Clock;
}

/** Starts the dashboard and the admin listener, each pushed on `opened` as it opens. */
export async function startAdminListener(
  admin: AdminListenerOptions,
  parts: AdminListenerParts,
  opened: Closers,
): Promise<{ listener: DrainableListener; url: string }> {
  const { config, stores, waitingRoom, drafts, submissions, liveSettings, clock, logger } = parts;
  /** What a room's figures are read from besides the snapshot (the API, the dashboard, the metrics). */
  const figureSources = { backlog: (room: string) => submissions.forwarder.backlog(room), originStats: parts.originStats, adaptive: parts.adaptive };
  const dashboard = createDashboard({
    tokens: admin.tokens,
    rooms: config.rooms,
    figures: (room) => roomFigures(room, waitingRoom.snapshots, figureSources),
    settings: liveSettings,
    sessions: stores.settings,
    clock,
    ...(drafts ? { draftsSavedTotal: () => drafts.stats.savedTotal() } : {}),
    logger,
    ...(admin.dashboard ?? {}),
  });
  opened.push(() => dashboard.stop());
  dashboard.start();
  const adminApp = createAdminApp({
    dashboard,
    tokens: admin.tokens,
    rooms: config.rooms,
    snapshots: waitingRoom.snapshots,
    ...figureSources,
    deadLetters: submissions.deadLetters,
    settings: liveSettings,
    settingsStore: stores.settings,
    staffPasses: waitingRoom.staffPasses,
    clock,
    metrics: createAdminMetrics({
      rooms: config.rooms,
      snapshots: waitingRoom.snapshots,
      counters: waitingRoom.counters,
      ...figureSources,
      waits: waitingRoom.waits,
      ...(drafts ? { drafts: drafts.stats } : {}),
      storeErrors: stores.storeErrors,
      httpServerStats: parts.httpServerStats,
      clock,
      storeUp: () => waitingRoom.storeHealth.state().status === 'ok',
    }),
    logger,
  });
  const server = await listen({ fetch: adminApp.fetch, port: admin.port, hostname: admin.hostname });
  const listener = listening(server, opened);
  const host = admin.hostname.includes(':') ? `[${admin.hostname}]` : admin.hostname;
  return { listener, url: `http://${host}:${(server.address() as AddressInfo).port}` };
}
