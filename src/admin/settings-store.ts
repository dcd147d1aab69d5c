import type { RoomOverrides } from './settings.js';

/** One change in the audit log. */
export interface AuditEntry {
  at: string;
  /** The admin token's id. */
  by: string;
  room: string;
  action: string;
  before: unknown;
  after: unknown;
}

/** All rooms' live overrides and their version (bumped by every change). */
export interface StoredSettings {
  version: number;
  rooms: Record<string, RoomOverrides>;
}

/**
 * Where operators' live room settings are kept: the live truth over the config file, shared by
 * every instance (Redis), with the audit log beside them.
 */
export interface SettingsStore {
  load(): Promise<StoredSettings>;
  /** The version only: what instances poll to notice a change. */
  version(): Promise<number>;
  /**
   * Replaces one room's overrides (empty: none) and appends the audit entry, in one step, if the
   * store is still at `expectedVersion`: the new version, or `stale` (nothing written).
   */
  save(room: string, overrides: RoomOverrides, audit: AuditEntry, expectedVersion: number): Promise<number | 'stale'>;
  /** Appends an audit entry of something that is not a settings change (a staff pass issued); the version stays. */
  record(audit: AuditEntry): Promise<void>;
  /** The newest audit entries first. */
  audit(limit: number): Promise<AuditEntry[]>;
}

/** The most audit entries kept. */
export const AUDIT_KEEP = 10_000;

/** Settings in this process's memory (one instance; gone on restart). */
export function createMemorySettingsStore(): SettingsStore {
  let version = 0;
  const rooms: Record<string, RoomOverrides> = {};
  const log: AuditEntry[] = [];
  const append = (audit: AuditEntry) => {
    log.unshift(audit);
    log.length = Math.min(log.length, AUDIT_KEEP);
  };
  return {
    load: async () => ({ version, rooms: structuredClone(rooms) }),
    version: async () => version,
    async save(room, overrides, audit, expectedVersion) {
      if (expectedVersion !== version) return 'stale';
      if (Object.keys(overrides).length === 0) delete rooms[room];
      else rooms[room] = structuredClone(overrides);
      append(audit);
      version += 1;
      return version;
    },
    record: async (audit) => append(audit),
    audit: async (limit) => log.slice(0, limit),
  };
}
