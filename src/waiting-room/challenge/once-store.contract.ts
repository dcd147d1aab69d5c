import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OnceStore } from './once-store.js';

/** An adapter under test, and how to let go of it. */
export interface OpenedOnceStore {
  store: OnceStore;
  close?: () => Promise<void>;
}

/**
 * What every OnceStore adapter must do. Runs on the real clock (Redis expires keys on its own),
 * so durations are short and checks leave generous margins.
 */
export function onceStoreContract(adapter: string, open: () => Promise<OpenedOnceStore>): void {
  describe(`once store contract: ${adapter}`, () => {
    let opened: OpenedOnceStore;
    let key: (name: string) => string;
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    beforeEach(async () => {
      opened = await open();
      const run = Math.random().toString(36).slice(2, 10);
      key = (name) => `${run}:${name}`;
    });
    afterEach(async () => {
      await opened.close?.();
    });

    it('is true the first time and false after', async () => {
      const { store } = opened;
      expect(await store.useOnce(key('a'), 60_000)).toBe(true);
      expect(await store.useOnce(key('a'), 60_000)).toBe(false);
      expect(await store.useOnce(key('a'), 60_000)).toBe(false);
    });

    it('keeps keys apart', async () => {
      const { store } = opened;
      expect(await store.useOnce(key('puzzle:x'), 60_000)).toBe(true);
      expect(await store.useOnce(key('proof:x'), 60_000)).toBe(true);
      expect(await store.useOnce(key('puzzle:y'), 60_000)).toBe(true);
    });

    it('lets exactly one of many concurrent callers through', async () => {
      const { store } = opened;
      const outcomes = await Promise.all(Array.from({ length: 25 }, () => store.useOnce(key('race'), 60_000)));
      expect(outcomes.filter(Boolean)).toHaveLength(1);
    });

    it('remembers a key until its time is up, then forgets it', async () => {
      const { store } = opened;
      expect(await store.useOnce(key('short'), 300)).toBe(true);
      await sleep(50);
      expect(await store.useOnce(key('short'), 300)).toBe(false);
      await sleep(450);
      expect(await store.useOnce(key('short'), 300)).toBe(true);
      expect(await store.useOnce(key('short'), 300)).toBe(false);
    });

    it('takes a time under a millisecond as one millisecond', async () => {
      const { store } = opened;
      expect(await store.useOnce(key('tiny'), 0.2)).toBe(true);
      await sleep(20);
      expect(await store.useOnce(key('tiny'), 0.2)).toBe(true);
    });
  });
}
