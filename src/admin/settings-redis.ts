import type { RedisClient } from '../redis/connection.js';
import { adminKeys } from '../redis/keys.js';
import { loadScript } from '../redis/scripts.js';
import type { RoomOverrides } from './settings.js';
import { AUDIT_KEEP, type AuditEntry, type SettingsStore } from './settings-store.js';

const saveSettings = loadScript(new URL('./lua/', import.meta.url), 'save-settings');

/**
 * Live settings in Redis, shared by every instance (the keys share the hash tag `{admin}`).
 * Signed-out dashboard sessions are keys that expire with the session (Redis's own TTL, a duration).
 */
export function createRedisSettingsStore(client: RedisClient, keyPrefix = 'sanh'): SettingsStore {
  const keys = adminKeys(keyPrefix);
  return {
    async load() {
      const [version, rooms] = await Promise.all([client.get(keys.version), client.hgetall(keys.settings)]);
      const parsed: Record<string, RoomOverrides> = {};
      for (const [room, json] of Object.entries(rooms)) parsed[room] = JSON.parse(json) as RoomOverrides;
      return { version: Number(version ?? 0), rooms: parsed };
    },
    version: async () => Number((await client.get(keys.version)) ?? 0),
    async save(room, overrides, audit, expectedVersion) {
      const json = Object.keys(overrides).length === 0 ? '' : JSON.stringify(overrides);
      const saved = Number(
        await saveSettings.run(client, [keys.settings, keys.version, keys.audit], [room, json, JSON.stringify(audit), AUDIT_KEEP, expectedVersion]),
      );
      return saved < 0 ? 'stale' : saved;
    },
    async record(audit) {
      const replies = await client
        .multi()
        .lpush(keys.audit, JSON.stringify(audit))
        .ltrim(keys.audit, 0, AUDIT_KEEP - 1)
        .exec();
      const failed = replies?.find(([error]) => error);
      if (failed) throw failed[0];
    },
    async audit(limit) {
      if (limit <= 0) return [];
      return (await client.lrange(keys.audit, 0, Math.max(0, limit - 1))).map((line) => JSON.parse(line) as AuditEntry);
    },
    async revokeSession(sessionId, keepMs) {
      await client.set(keys.revokedSession(sessionId), '1', 'PX', Math.max(1, Math.ceil(keepMs)));
    },
    sessionRevoked: async (sessionId) => (await client.exists(keys.revokedSession(sessionId))) === 1,
  };
}
