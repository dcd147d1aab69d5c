import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { until } from '../../tests/helpers/until.js';
import type { AuditEntry, SettingsStore } from './settings-store.js';

/** An adapter under test (empty: a store of its own), and how to let go of it. */
export interface OpenedSettingsStore {
  store: SettingsStore;
  /** A second handle on the same stored settings, as another instance has. */
  other: SettingsStore;
  close?: () => Promise<void>;
}

function entry(action: string, room = 'main'): AuditEntry {
  return { at: '2030-01-02T03:04:05.000Z', by: 'ops', room, action, before: null, after: { action } };
}

/** What every SettingsStore adapter must do (memory, Redis standalone, Redis Cluster). */
export function settingsStoreContract(adapter: string, open: () => Promise<OpenedSettingsStore>): void {
  describe(`settings store contract: ${adapter}`, () => {
    let opened: OpenedSettingsStore;
    beforeEach(async () => {
      opened = await open();
    });
    afterEach(async () => {
      await opened.close?.();
    });

    it('starts empty at version 0', async () => {
      expect(await opened.store.load()).toEqual({ version: 0, rooms: {} });
      expect(await opened.store.version()).toBe(0);
      expect(await opened.store.audit(10)).toEqual([]);
    });

    it("saves a room's overrides with their audit entry, bumping the version another instance sees", async () => {
      const { store, other } = opened;
      expect(await store.save('main', { maxActive: 7, mode: 'paused' }, entry('settings'), 0)).toBe(1);
      expect(await store.save('side', { admitPerMinute: 90, bypass: { paths: ['/health'] } }, entry('settings', 'side'), 1)).toBe(2);
      expect(await other.version()).toBe(2);
      expect(await other.load()).toEqual({
        version: 2,
        rooms: { main: { maxActive: 7, mode: 'paused' }, side: { admitPerMinute: 90, bypass: { paths: ['/health'] } } },
      });
      expect((await other.audit(10)).map((e) => `${e.room}:${e.action}`)).toEqual(['side:settings', 'main:settings']);
    });

    it('writes nothing when the version has moved on (stale)', async () => {
      const { store, other } = opened;
      expect(await store.save('main', { maxActive: 3 }, entry('settings'), 0)).toBe(1);
      expect(await other.save('main', { maxActive: 9 }, entry('late'), 0)).toBe('stale');
      expect(await store.load()).toEqual({ version: 1, rooms: { main: { maxActive: 3 } } });
      expect((await store.audit(10)).map((e) => e.action)).toEqual(['settings']);
    });

    it("drops a room's overrides when saved empty", async () => {
      const { store } = opened;
      await store.save('main', { maxActive: 3 }, entry('settings'), 0);
      expect(await store.save('main', {}, entry('reset'), 1)).toBe(2);
      expect(await store.load()).toEqual({ version: 2, rooms: {} });
    });

    it('records audit entries without a version change, newest first, up to the limit asked', async () => {
      const { store } = opened;
      for (const action of ['pass-1', 'pass-2', 'pass-3']) await store.record(entry(action));
      expect(await store.version()).toBe(0);
      expect((await store.audit(2)).map((e) => e.action)).toEqual(['pass-3', 'pass-2']);
      expect((await store.audit(0)).length).toBe(0);
    });

    it('remembers a signed-out session for another instance until its time is up, and only that one', async () => {
      const { store, other } = opened;
      expect(await other.sessionRevoked('session-aaaaaaaaaaaaaaaa')).toBe(false);
      await store.revokeSession('session-aaaaaaaaaaaaaaaa', 3_600_000);
      await store.revokeSession('session-short-bbbbbbbbbbbb', 30);
      expect(await other.sessionRevoked('session-aaaaaaaaaaaaaaaa')).toBe(true);
      expect(await other.sessionRevoked('session-cccccccccccccccc')).toBe(false);
      expect(await store.version()).toBe(0);
      await until(async () => !(await other.sessionRevoked('session-short-bbbbbbbbbbbb')), { ms: 2_000, what: 'the short revocation to expire' });
      expect(await other.sessionRevoked('session-aaaaaaaaaaaaaaaa')).toBe(true);
    });
  });
}
