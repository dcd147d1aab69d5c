import type { RoomConfig } from '../config/schema.js';
import type { Backlog } from '../submissions/store.js';
import { estimateWaitSeconds } from '../waiting-room/eta.js';
import type { SnapshotLoop } from '../waiting-room/snapshots.js';
import type { AdaptiveController } from '../adaptive/controller.js';
import type { OriginStats } from '../adaptive/origin-stats.js';

/** What an operator sees of a room right now, from this instance's snapshot. */
export interface RoomFigures {
  id: string;
  name: RoomConfig['name'] | null;
  mode: RoomConfig['mode'];
  match: string[];
  limits: { maxActive: number; admitPerMinute: number; admitBurst: number; sessionIdleSeconds: number };
  /** Null until this instance has a snapshot of the room. */
  live: {
    /** Sessions plus slots held for called visitors. */
    active: number;
    /** Visitors in line. */
    waiting: number;
    /** Skipped or lapsed visitors who came back and wait for a slot. */
    returned: number;
    admittedTotal: number;
    abandonedTotal: number;
    /** Admissions per second while people wait (measured); null while not yet known. */
    admissionRatePerSecond: number | null;
    /** The wait a visitor arriving now would be told; null while not known. */
    waitForNewArrivalSeconds: number | null;
    updatedAt: string;
  } | null;
  /** Deferred submissions not yet delivered, as this instance last counted them; null without deferrable routes. */
  submissions: Backlog | null;
  /** The origin as this instance saw it in the last control interval (adaptive admission), and now in flight. */
  origin: { inFlight: number; requests: number | null; errors: number | null; p50Ms: number | null; p95Ms: number | null };
  /** Adaptive admission: the rate in force and why; null when the room does not adapt. */
  adaptive: { ratePerMinute: number; verdict: string | null; reason: string | null; at: string | null } | null;
  /**
   * Auto-activation: whether the room's `open` is auto-activation's now (`since`, `reason`), or was
   * until an operator set the mode (`endedBy`, `endedAt`), and since when this instance has seen the
   * origin calm; null when the room does not auto-activate and carries no mark.
   */
  autoActivation: {
    enabled: boolean;
    active: boolean;
    since: string | null;
    reason: string | null;
    endedBy: string | null;
    endedAt: string | null;
    calmSince: string | null;
  } | null;
}

/** What the figures read besides the snapshot: the origin's health and adaptive admission. */
export interface FigureSources {
  backlog(room: string): Backlog | undefined;
  originStats?: OriginStats;
  adaptive?: AdaptiveController;
}

/** The figures of a room. */
export function roomFigures(room: RoomConfig, snapshots: SnapshotLoop, sources: FigureSources): RoomFigures {
  const backlog = sources.backlog;
  const view = snapshots.view(room.id);
  const rate = view?.ratePerSecond;
  const live = view
    ? {
        active: view.snapshot.active,
        waiting: view.snapshot.waiting,
        returned: view.snapshot.returned,
        admittedTotal: view.snapshot.admittedTotal,
        abandonedTotal: view.snapshot.abandonedTotal,
        admissionRatePerSecond: rate ?? null,
        waitForNewArrivalSeconds: view.snapshot.waiting === 0 ? 0 : (estimateWaitSeconds(view.snapshot.waiting + 1, rate) ?? null),
        updatedAt: new Date(view.receivedAt).toISOString(),
      }
    : null;
  return {
    id: room.id,
    name: room.name ?? null,
    mode: room.mode,
    match: room.match,
    limits: { maxActive: room.maxActive, admitPerMinute: room.admitPerMinute, admitBurst: room.admitBurst, sessionIdleSeconds: room.sessionIdleSeconds },
    live,
    submissions: room.submissions ? (backlog(room.id) ?? null) : null,
    origin: originFigures(room.id, sources.originStats),
    adaptive: adaptiveFigures(room, sources.adaptive),
    autoActivation: autoActivationFigures(room, sources.adaptive),
  };
}

function originFigures(roomId: string, stats: OriginStats | undefined): RoomFigures['origin'] {
  const last = stats?.last(roomId);
  return {
    inFlight: stats?.inFlight(roomId) ?? 0,
    requests: last?.requests ?? null,
    errors: last?.errors ?? null,
    p50Ms: last?.p50Ms ?? null,
    p95Ms: last?.p95Ms ?? null,
  };
}

function adaptiveFigures(room: RoomConfig, controller: AdaptiveController | undefined): RoomFigures['adaptive'] {
  if (!room.adaptive?.enabled) return null;
  const state = controller?.state(room.id);
  return {
    ratePerMinute: state?.ratePerMinute ?? room.admitPerMinute,
    verdict: state?.step?.verdict ?? null,
    reason: state?.step?.reason ?? null,
    at: state?.at === undefined ? null : new Date(state.at).toISOString(),
  };
}

function autoActivationFigures(room: RoomConfig, controller: AdaptiveController | undefined): RoomFigures['autoActivation'] {
  const enabled = room.adaptive?.autoActivate?.enabled === true;
  const marker = room.autoActivation;
  if (!enabled && !marker) return null;
  const calmSince = controller?.calmSince(room.id);
  return {
    enabled,
    active: marker !== undefined && marker.endedAt === undefined,
    since: marker?.since ?? null,
    reason: marker?.reason ?? null,
    endedBy: marker?.endedBy ?? null,
    endedAt: marker?.endedAt ?? null,
    calmSince: calmSince === undefined ? null : new Date(calmSince).toISOString(),
  };
}
