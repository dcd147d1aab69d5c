import type { RoomConfig } from '../config/schema.js';
import type { Backlog } from '../submissions/store.js';
import { estimateWaitSeconds } from '../waiting-room/eta.js';
import type { SnapshotLoop } from '../waiting-room/snapshots.js';

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
}

/** The figures of a room. */
export function roomFigures(room: RoomConfig, snapshots: SnapshotLoop, backlog: (room: string) => Backlog | undefined): RoomFigures {
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
  };
}
