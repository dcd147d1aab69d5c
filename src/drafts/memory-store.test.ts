import { describe, expect, it } from 'vitest';
import { manualClock } from '../platform/clock.js';
import { createMemoryDraftStore } from './memory-store.js';
import { draftStoreContract } from './store.contract.js';

draftStoreContract('memory', async () => {
  const store = createMemoryDraftStore();
  return { store, close: () => store.close() };
});

describe('memory draft store', () => {
  it('keeps at most maxDrafts, dropping the least recently changed', async () => {
    const clock = manualClock();
    const store = createMemoryDraftStore({ clock, maxDrafts: 2 });
    const draft = (id: string) => ({
      id,
      formId: 'f',
      locator: `L${id}`,
      codeHash: 'h',
      sealedCode: 's',
      ownerHash: 'o',
      returnTo: undefined,
      fields: {},
      ttlMs: 60_000,
      limits: { maxBytes: 10, maxFields: 1 },
    });
    await store.create(draft('a'));
    await store.create(draft('b'));
    await store.write('a', 'o', { baseRevision: 1, replace: false, fields: {}, ttlMs: 60_000, limits: { maxBytes: 10, maxFields: 1 } });
    await store.create(draft('c'));
    expect(await store.read('b', 'o')).toBeUndefined();
    expect(await store.read('a', 'o')).toBeDefined();
    expect(await store.read('c', 'o')).toBeDefined();
    await store.close();
  });
});
