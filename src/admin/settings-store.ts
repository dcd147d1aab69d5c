import { systemClock, type Clock } from '../platform/clock.js';
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
  /**
   * Ends a dashboard session everywhere: remembered for `keepMs` (until the session would have
   * expired anyway), so its cookie applies nothing even if replayed to another instance.
   */
  revokeSession(sessionId: string, keepMs: number): Promise<void>;
  /** Whether a dashboard session was signed out. */
  sessionRevoked(sessionId: string): Promise<boolean>;
}

/** The most signed-out sessions an in-memory store remembers at once (the oldest are forgotten first: their cookies expire soonest). */
export const MEMORY_REVOKED_SESSIONS_KEEP = 10_000;

/** The most audit entries kept. */
export const AUDIT_KEEP = 10_000;

/**
 * Settings in this process's memory (one instance; gone on restart). Signed-out sessions are
 * kept until their time is up by `clock` (the process's).
 *
 * Mirrored by `src/admin/lua/save-settings.lua` (`save`): change both, then run
 * `src/admin/settings-store.contract.ts` (`vitest run src/admin/settings-store.test.ts tests/integration/settings-store.test.ts`).
 */
export function createMemorySettingsStore(options: { clock?: Clock } = {}): SettingsStore {
  const clock = options.clock ?? systemClock;
  /** Session id -> when it may be forgotten, in revocation order. */
  const revoked = new Map<string, number>();
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
    async revokeSession(sessionId, keepMs) {
      const now = clock();
      for (const [id, until] of revoked) if (until <= now) revoked.delete(id);
      while (revoked.size >= MEMORY_REVOKED_SESSIONS_KEEP) revoked.delete(revoked.keys().next().value as string);
      revoked.delete(sessionId);
      revoked.set(sessionId, now + Math.max(1, keepMs));
    },
    async sessionRevoked(sessionId) {
      const until = revoked.get(sessionId);
      return until !== undefined && until > clock();
    },
  };
}
