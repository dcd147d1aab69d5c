import { describe, expect, it } from 'vitest';
import { createStoreErrorCounts } from './store-errors.js';

describe('store error counts', () => {
  it('count failed operations by domain and pass every answer and fault on unchanged', async () => {
    const counts = createStoreErrorCounts();
    const store = counts.wrap('drafts', {
      durable: true,
      read: async (id: string) => `draft ${id}`,
      write: async () => {
        throw new Error('READONLY');
      },
      close(): void {
        throw new Error('already closed');
      },
    });
    expect(store.durable).toBe(true);
    expect(await store.read('a')).toBe('draft a');
    await expect(store.write()).rejects.toThrow('READONLY');
    await expect(store.write()).rejects.toThrow('READONLY');
    expect(() => store.close()).toThrow('already closed');
    expect(counts.totals()).toEqual(new Map([['drafts', 3]]));
    const other = counts.wrap('waiting-room', { join: async () => Promise.reject(new Error('down')) });
    await expect(other.join()).rejects.toThrow('down');
    expect(counts.totals().get('waiting-room')).toBe(1);
  });
});
