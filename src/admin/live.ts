import { eventProblems, type RoomConfig } from '../config/schema.js';
import { SanhError } from '../platform/errors.js';
import { systemClock, type Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import {
  applySettings,
  effectiveSettings,
  namedProblems,
  fileSettingsOf,
  liveSettingsOf,
  mergeOverrides,
  patchProblems,
  type FileSettings,
  type LiveField,
  type RoomOverrides,
} from './settings.js';
import type { SettingsStore } from './settings-store.js';
import { endedByModeChange } from '../adaptive/auto-activation.js';
import { maskedSecrets, withSecretsKept } from './secrets.js';

/** A room's settings as the API shows them (bypass secrets masked). */
export interface RoomSettingsView {
  room: string;
  /** What the config file says. */
  file: Pick<RoomConfig, LiveField>;
  /** What operators changed (the store's live truth). */
  overrides: RoomOverrides;
  /** What is in force: the file's, then the overrides. */
  effective: Pick<RoomConfig, LiveField>;
  version: number;
}

/** A change refused for its problems, each named by its field. */
function refused(problems: string[]): SanhError {
  return new SanhError('invalid_settings', `The change was refused: ${problems.join('; ')}`, { details: { problems } });
}

/** Refuses events that do not fit together (overlaps, order of instants), named as the config file's are. */
function refuseEventProblems(events: RoomConfig['events']): void {
  const problems = namedProblems(eventProblems(events));
  if (problems.length > 0) throw refused(problems);
}

/** Live room settings: loaded at start, changed through the admin API, followed from the store by every instance. */
export interface LiveSettings {
  /** Loads and applies the stored overrides (before the first request), then follows the store. */
  start(): Promise<void>;
  stop(): void;
  view(roomId: string): RoomSettingsView;
  /** Validates and stores a change, applies it here at once; other instances follow within `pollMs`. */
  change(roomId: string, patch: unknown, by: string, action: string): Promise<RoomSettingsView>;
  /** Forgets every override of a room but its revoked staff passes: back to the file. */
  reset(roomId: string, by: string): Promise<RoomSettingsView>;
  /**
   * A change made from the room's newest state (`room` as applied, `stored` its overrides), again
   * after each lost compare-and-set, validated like `change`: `make` returning undefined means
   * nothing to do, and nothing is stored (undefined). For Sảnh's own changes (auto-activation).
   */
  update(
    roomId: string,
    make: (room: RoomConfig, stored: RoomOverrides) => Record<string, unknown> | undefined,
    by: string,
    action: string,
  ): Promise<RoomSettingsView | undefined>;
}

/**
 * Live settings over the config's room objects. Every part of Sảnh reads a room's limits and mode
 * from the same objects on each use, so changing them in place takes effect at once. Each
 * instance polls the store's version every `pollMs` (500 ms) and applies what changed. Audit
 * entries and auto-activation's end are stamped with `clock` (the process's injected clock).
 */
export function createLiveSettings(options: {
  rooms: readonly RoomConfig[];
  store: SettingsStore;
  logger: Logger;
  pollMs?: number;
  clock?: Clock;
}): LiveSettings {
  const { rooms, store, logger } = options;
  const clock = options.clock ?? systemClock;
  const files = new Map<string, FileSettings>(rooms.map((room) => [room.id, fileSettingsOf(room, room.admitBurstDerived !== true)]));
  let overrides: Record<string, RoomOverrides> = {};
  let version = -1;
  let timer: ReturnType<typeof setInterval> | undefined;
  let following = false;

  const roomOf = (id: string) => {
    const room = rooms.find((r) => r.id === id);
    if (!room) throw new SanhError('not_found', `There is no room "${id}".`);
    return room;
  };
  function apply(next: Record<string, RoomOverrides>, nextVersion: number): void {
    overrides = next;
    version = nextVersion;
    for (const room of rooms) applySettings(room, effectiveSettings(files.get(room.id) as FileSettings, overrides[room.id] ?? {}));
  }
  /** True while reading the settings fails: the failure is logged once (warn), repeats at debug. */
  let unreadable = false;
  async function follow(): Promise<void> {
    if (following) return;
    following = true;
    try {
      const stored = await store.version();
      unreadable = false;
      if (stored === version) return;
      const loaded = await store.load();
      if (loaded.version === version) return;
      // A load that started before a change this instance made itself is older than what it applied
      // (skip it: the next poll loads the newer state); a store that came back empty is older for good.
      if (loaded.version < version && (await store.version()) >= version) return;
      apply(loaded.rooms, loaded.version);
      logger.info('room settings changed by an operator were applied', { version: loaded.version });
    } catch (error) {
      if (unreadable) logger.debug?.('live room settings could not be read; the ones in force stay', { error: String(error) });
      else logger.warn('live room settings could not be read; the ones in force stay', { error: String(error) });
      unreadable = true;
    } finally {
      following = false;
    }
  }
  function view(roomId: string): RoomSettingsView {
    const room = roomOf(roomId);
    const { admitBurstFromFile: _derived, ...file } = files.get(room.id) as FileSettings;
    return {
      room: room.id,
      file: maskedSecrets(file),
      overrides: maskedSecrets(overrides[room.id] ?? {}),
      effective: maskedSecrets(liveSettingsOf(room)),
      version,
    };
  }
  /**
   * Stores a room's next overrides, made from the newest overrides by `next`: when another change
   * landed first (on any instance), reloads and makes them again from that, so no change is lost;
   * `next` returning undefined: nothing to store.
   */
  async function save(
    room: RoomConfig,
    next: (current: RoomOverrides) => RoomOverrides | undefined,
    by: string,
    action: string,
  ): Promise<RoomSettingsView | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const before = liveSettingsOf(room);
      const wanted = next(overrides[room.id] ?? {});
      if (wanted === undefined) return undefined;
      const effective = effectiveSettings(files.get(room.id) as FileSettings, wanted);
      if (effective.admitBurst < 1) throw new SanhError('invalid_settings', 'admitBurst must be at least 1.');
      refuseEventProblems(effective.events);
      let saved: number | 'stale';
      try {
        saved = await store.save(
          room.id,
          wanted,
          { at: new Date(clock()).toISOString(), by, room: room.id, action, before: maskedSecrets(before), after: maskedSecrets(effective) },
          version,
        );
        if (saved === 'stale') {
          const loaded = await store.load();
          apply(loaded.rooms, loaded.version);
          continue;
        }
      } catch (error) {
        throw new SanhError('store_unavailable', 'The change could not be stored; nothing was changed.', { cause: error, retryAfterSeconds: 5 });
      }
      apply({ ...overrides, [room.id]: wanted }, saved);
      logger.info('room settings changed', { room: room.id, by, action, version: saved });
      return view(room.id);
    }
    throw new SanhError('store_unavailable', 'Other changes kept landing first; nothing was changed. Please try again.', { retryAfterSeconds: 1 });
  }

  return {
    async start() {
      timer = setInterval(() => void follow(), options.pollMs ?? 500);
      (timer as { unref?: () => void }).unref?.();
      const loaded = await store.load();
      apply(loaded.rooms, loaded.version);
    },
    stop() {
      if (timer) clearInterval(timer);
    },
    view,
    async change(roomId, patch, by, action) {
      const room = roomOf(roomId);
      const checked = patchProblems(withSecretsKept(patch, room.bypass?.secrets ?? [], files.get(room.id)?.bypass?.secrets ?? []));
      if ('problems' in checked) throw refused(checked.problems);
      // Setting the mode during an auto-activation ends it: the mode is the operator's from then on.
      return (
        (await save(room, (current) => mergeOverrides(current, endedByModeChange(current.autoActivation, checked.patch, by, clock())), by, action)) ??
        view(room.id)
      );
    },
    async reset(roomId, by) {
      // Revoked staff passes stay revoked: going back to the file must not let them in again.
      return (await save(roomOf(roomId), (current) => (current.revokedPasses ? { revokedPasses: current.revokedPasses } : {}), by, 'reset')) ?? view(roomId);
    },
    async update(roomId, make, by, action) {
      const room = roomOf(roomId);
      return save(
        room,
        (current) => {
          const patch = make(room, current);
          if (patch === undefined) return undefined;
          const checked = patchProblems(patch);
          if ('problems' in checked) throw refused(checked.problems);
          return mergeOverrides(current, checked.patch);
        },
        by,
        action,
      );
    },
  };
}
