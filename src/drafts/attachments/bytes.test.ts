import { describe, expect, it } from 'vitest';
import { uploadBytesContract, webSource } from './bytes.contract.js';
import { createMemoryUploadBytes, pump } from './bytes.js';

uploadBytesContract('memory', async () => ({ bytes: createMemoryUploadBytes() }));

describe('memory upload bytes', () => {
  it('reserves each upload length and refuses past its bound, freeing on removal', async () => {
    const bytes = createMemoryUploadBytes({ maxBytes: 1_000 });
    expect(await bytes.create({ id: 'a', draftId: 'd', size: 600 })).toEqual({ created: true });
    expect(await bytes.create({ id: 'b', draftId: 'd', size: 401 })).toEqual({ created: false, reason: 'full' });
    expect(bytes.reservedBytes()).toBe(600);
    await bytes.remove('d', 'a');
    expect(await bytes.create({ id: 'b', draftId: 'd', size: 1_000 })).toEqual({ created: true });
  });
});

describe('pump', () => {
  it('stops reading at the limit, leaving the rest of the source unread and unlocked', async () => {
    let cancelled = false;
    const source = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.enqueue(new Uint8Array(10)),
      cancel: () => {
        cancelled = true;
      },
    });
    const seen: number[] = [];
    expect(await pump(source, 25, (chunk, at) => void seen.push(at, chunk.byteLength))).toEqual({ taken: 25, ended: 'over-limit' });
    expect(seen).toEqual([0, 10, 10, 10, 20, 5]);
    expect(cancelled).toBe(false);
    expect(source.locked).toBe(false);
  });

  it('reports a failing source as interrupted, keeping the count', async () => {
    expect(await pump(webSource(new Uint8Array(100), 30, 60), 1_000, () => undefined)).toEqual({ taken: 60, ended: 'interrupted' });
  });

  it('lets a failing sink throw', async () => {
    await expect(pump(webSource(new Uint8Array(10)), 100, () => Promise.reject(new Error('disk full')))).rejects.toThrow('disk full');
  });
});
