import { describe, expect, it } from 'vitest';
import { manualClock } from '../../platform/clock.js';
import { createMemoryOnceStore } from './once-store.js';
import { onceStoreContract } from './once-store.contract.js';

onceStoreContract('memory', async () => ({ store: createMemoryOnceStore() }));

describe('memory once store', () => {
  it('forgets a key exactly when its time is up', async () => {
    const clock = manualClock(1_000);
    const once = createMemoryOnceStore({ clock });
    expect(await once.useOnce('a', 1_000)).toBe(true);
    clock.advance(999);
    expect(await once.useOnce('a', 1_000)).toBe(false);
    clock.advance(1);
    expect(await once.useOnce('a', 1_000)).toBe(true);
    expect(await once.useOnce('a', 1_000)).toBe(false);
  });

  it('stays within its bound, dropping the oldest marks first', async () => {
    const once = createMemoryOnceStore({ clock: manualClock(), maxEntries: 3 });
    for (const key of ['a', 'b', 'c', 'd']) expect(await once.useOnce(key, 60_000)).toBe(true);
    expect(await once.useOnce('d', 60_000)).toBe(false);
    expect(await once.useOnce('c', 60_000)).toBe(false);
    expect(await once.useOnce('a', 60_000)).toBe(true);
  });

  it('drops expired marks as new ones come, so a quiet flood leaves little behind', async () => {
    const clock = manualClock();
    const once = createMemoryOnceStore({ clock, maxEntries: 1_000 });
    for (let i = 0; i < 500; i++) await once.useOnce(`old${i}`, 10);
    clock.advance(20);
    for (let i = 0; i < 999; i++) await once.useOnce(`new${i}`, 60_000);
    // Every old mark was swept, so 999 new ones fit without forgetting the first of them.
    expect(await once.useOnce('new0', 60_000)).toBe(false);
  });
});
