import type { RoomConfig } from '../config/schema.js';
import { SanhError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import { applySettings, effectiveSettings, fileSettingsOf, liveSettingsOf, mergeOverrides, patchProblems, type FileSettings, type LiveField, type RoomOverrides } from './settings.js';
import type { SettingsStore } from './settings-store.js';

/** A room's settings as the API shows them. */
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

/** Live room settings: loaded at start, changed through the admin API, followed from the store by every instance. */
export interface LiveSettings {
  /** Loads and applies the stored overrides (before the first request), then follows the store. */
  start(): Promise<void>;
  stop(): void;
  view(roomId: string): RoomSettingsView;
  /** Validates and stores a change, applies it here at once; other instances follow within `pollMs`. */
  change(roomId: string, patch: unknown, by: string, action: string): Promise<RoomSettingsView>;
  /** Forgets every override of a room: back to the file. */
  reset(roomId: string, by: string): Promise<RoomSettingsView>;
}

/**
 * Live settings over the config's room objects. Every part of Sảnh reads a room's limits and mode
 * from the same objects on each use, so changing them in place takes effect at once. Each
 * instance polls the store's version every `pollMs` (500 ms) and applies what changed.
 */
export function createLiveSettings(options: { rooms: readonly RoomConfig[]; store: SettingsStore; logger: Logger; pollMs?: number }): LiveSettings {
  const { rooms, store, logger } = options;
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
  async function follow(): Promise<void> {
    if (following) return;
    following = true;
    try {
      const stored = await store.version();
      if (stored === version) return;
      const loaded = await store.load();
      if (loaded.version === version) return;
      // A load that started before a change this instance made itself is older than what it applied
      // (skip it: the next poll loads the newer state); a store that came back empty is older for good.
      if (loaded.version < version && (await store.version()) >= version) return;
      apply(loaded.rooms, loaded.version);
      logger.info('room settings changed by an operator were applied', { version: loaded.version });
    } catch (error) {
      logger.warn('live room settings could not be read; the ones in force stay', { error: String(error) });
    } finally {
      following = false;
    }
  }
  function view(roomId: string): RoomSettingsView {
    const room = roomOf(roomId);
    const { admitBurstFromFile: _derived, ...file } = files.get(room.id) as FileSettings;
    return { room: room.id, file, overrides: overrides[room.id] ?? {}, effective: liveSettingsOf(room), version };
  }
  /**
   * Stores a room's next overrides, made from the newest overrides by `next`: when another change
   * landed first (on any instance), reloads and makes them again from that, so no change is lost.
   */
  async function save(room: RoomConfig, next: (current: RoomOverrides) => RoomOverrides, by: string, action: string): Promise<RoomSettingsView> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const before = liveSettingsOf(room);
      const wanted = next(overrides[room.id] ?? {});
      const effective = effectiveSettings(files.get(room.id) as FileSettings, wanted);
      if (effective.admitBurst < 1) throw new SanhError('invalid_settings', 'admitBurst must be at least 1.');
      let saved: number | 'stale';
      try {
        saved = await store.save(room.id, wanted, { at: new Date().toISOString(), by, room: room.id, action, before, after: effective }, version);
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
      const checked = patchProblems(patch);
      if ('problems' in checked) throw new SanhError('invalid_settings', `The change was refused: ${checked.problems.join('; ')}`, { details: { problems: checked.problems } });
      return save(room, (current) => mergeOverrides(current, checked.patch), by, action);
    },
    async reset(roomId, by) {
      return save(roomOf(roomId), () => ({}), by, 'reset');
    },
  };
}
