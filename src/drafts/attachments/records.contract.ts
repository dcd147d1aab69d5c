import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UploadRecord, UploadRecords } from './records.js';

/** An adapter under test, and how to let go of it. */
export interface OpenedUploadRecords {
  records: UploadRecords;
  /** Makes the draft exist where the adapter looks for it (Redis: its meta key). */
  openDraft?: (draftId: string) => Promise<void>;
  close?: () => Promise<void>;
}

const LIMITS = { maxFiles: 3, maxTotalBytes: 1_000 };

/** What every UploadRecords adapter must do. */
export function uploadRecordsContract(adapter: string, open: () => Promise<OpenedUploadRecords>): void {
  describe(`upload records contract: ${adapter}`, () => {
    let opened: OpenedUploadRecords;
    let records: UploadRecords;
    let run: string;
    let counter = 0;

    async function draft(): Promise<string> {
      counter += 1;
      const id = `${run}-d${counter}`;
      await opened.openDraft?.(id);
      return id;
    }
    function upload(draftId: string, overrides: Partial<UploadRecord> = {}): UploadRecord {
      counter += 1;
      return {
        id: `u${counter}`,
        draftId,
        name: 'giay-xac-nhan.pdf',
        type: 'application/pdf',
        size: 100,
        offset: 0,
        metadata: 'filename Z2lheS14YWMtbmhhbi5wZGY=,filetype YXBwbGljYXRpb24vcGRm',
        createdAt: 1_000 + counter,
        updatedAt: 1_000 + counter,
        expiresAt: 90_000,
        sealing: { keyId: 'k1', iv: 'AAAAAAAAAAAAAAAAAAAAAA' },
        ...overrides,
      };
    }

    beforeEach(async () => {
      opened = await open();
      records = opened.records;
      run = Math.random().toString(36).slice(2, 10);
    });
    afterEach(async () => {
      await opened.close?.();
    });

    it('creates, reads back and lists oldest first', async () => {
      const d = await draft();
      const later = upload(d, { createdAt: 5_000 });
      const earlier = upload(d, { createdAt: 2_000 });
      expect(await records.create(later, LIMITS)).toEqual({ created: true });
      expect(await records.create(earlier, LIMITS)).toEqual({ created: true });
      expect(await records.get(d, later.id)).toEqual(later);
      expect((await records.list(d)).map((r) => r.id)).toEqual([earlier.id, later.id]);
      expect(await records.get(d, 'nope')).toBeUndefined();
      expect(await records.list(await draft())).toEqual([]);
    });

    it("keeps drafts apart: another draft's upload id is not found", async () => {
      const a = await draft();
      const b = await draft();
      const record = upload(a);
      await records.create(record, LIMITS);
      expect(await records.get(b, record.id)).toBeUndefined();
      expect((await records.advance(b, record.id, 0, { offset: 10, updatedAt: 1, expiresAt: 2 })).advanced).toBe(false);
      expect(await records.remove(b, record.id)).toBe(false);
      expect(await records.get(a, record.id)).toEqual(record);
    });

    it('refuses a file past maxFiles and bytes past maxTotalBytes, counting incomplete uploads', async () => {
      const d = await draft();
      expect(await records.create(upload(d, { size: 600 }), LIMITS)).toEqual({ created: true });
      expect(await records.create(upload(d, { size: 401 }), LIMITS)).toEqual({ created: false, reason: 'too-many-bytes', files: 1, bytes: 600 });
      expect(await records.create(upload(d, { size: 400 }), LIMITS)).toEqual({ created: true });
      expect(await records.create(upload(d, { size: 0 }), LIMITS)).toEqual({ created: true });
      expect(await records.create(upload(d, { size: 0 }), LIMITS)).toEqual({ created: false, reason: 'too-many-files', files: 3, bytes: 1_000 });
    });

    it('lets only as many racing creations through as fit', async () => {
      const d = await draft();
      const outcomes = await Promise.all(Array.from({ length: 10 }, () => records.create(upload(d, { size: 10 }), LIMITS)));
      expect(outcomes.filter((o) => o.created)).toHaveLength(3);
      expect(await records.list(d)).toHaveLength(3);
    });

    it('advances only from the stored offset (compare-and-set)', async () => {
      const d = await draft();
      const record = upload(d);
      await records.create(record, LIMITS);
      const moved = await records.advance(d, record.id, 0, { offset: 40, updatedAt: 2_000, expiresAt: 92_000 });
      expect(moved).toEqual({ advanced: true, record: { ...record, offset: 40, updatedAt: 2_000, expiresAt: 92_000 } });
      const stale = await records.advance(d, record.id, 0, { offset: 30, updatedAt: 2_500, expiresAt: 92_500 });
      expect(stale).toEqual({ advanced: false, record: { ...record, offset: 40, updatedAt: 2_000, expiresAt: 92_000 } });
      const done = await records.advance(d, record.id, 40, { offset: 100, updatedAt: 3_000, expiresAt: 93_000, completedAt: 3_000, sha256: 'abc=' });
      expect(done.advanced).toBe(true);
      expect(await records.get(d, record.id)).toMatchObject({ offset: 100, completedAt: 3_000, sha256: 'abc=', name: record.name, sealing: record.sealing });
      expect(await records.advance(d, 'gone', 0, { offset: 1, updatedAt: 1, expiresAt: 1 })).toEqual({ advanced: false, record: undefined });
    });

    it('lets exactly one of many racing advances from one offset win', async () => {
      const d = await draft();
      const record = upload(d);
      await records.create(record, LIMITS);
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, (_, i) => records.advance(d, record.id, 0, { offset: 10 + i, updatedAt: 2_000 + i, expiresAt: 90_000 })),
      );
      const winners = outcomes.filter((o) => o.advanced);
      expect(winners).toHaveLength(1);
      expect((await records.get(d, record.id))?.offset).toBe(winners[0]?.record?.offset);
    });

    it('lets one writer claim an upload at its offset; others are refused until it advances or lets go', async () => {
      const d = await draft();
      const record = upload(d);
      await records.create(record, LIMITS);
      expect(await records.claim(d, record.id, 0, 'w1', 60_000)).toEqual({ claimed: true });
      expect(await records.claim(d, record.id, 0, 'w2', 60_000)).toMatchObject({ claimed: false, reason: 'busy', record: { offset: 0 } });
      expect(await records.claim(d, record.id, 5, 'w2', 60_000)).toMatchObject({ claimed: false, reason: 'moved', record: { offset: 0 } });
      expect(await records.claim(d, 'gone', 0, 'w2', 60_000)).toEqual({ claimed: false, reason: 'missing' });
      // Only the claim's writer advances it, which lets go of the claim.
      expect((await records.advance(d, record.id, 0, { offset: 10, updatedAt: 2_000, expiresAt: 92_000 }, 'w2')).advanced).toBe(false);
      expect((await records.advance(d, record.id, 0, { offset: 10, updatedAt: 2_000, expiresAt: 92_000 }, 'w1')).advanced).toBe(true);
      expect(await records.claim(d, record.id, 10, 'w2', 60_000)).toEqual({ claimed: true });
      await records.release(d, record.id, 'w1');
      expect(await records.claim(d, record.id, 10, 'w3', 60_000)).toMatchObject({ claimed: false, reason: 'busy' });
      await records.release(d, record.id, 'w2');
      expect(await records.claim(d, record.id, 10, 'w3', 60_000)).toEqual({ claimed: true });
    });

    it('lets exactly one of many racing claims at one offset in, and frees a claim once its lease is up', async () => {
      const d = await draft();
      const record = upload(d);
      await records.create(record, LIMITS);
      const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => records.claim(d, record.id, 0, `w${i}`, 150)));
      expect(outcomes.filter((outcome) => outcome.claimed)).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await records.claim(d, record.id, 0, 'late', 60_000)).toEqual({ claimed: true });
    });

    it('removes one record, or only at an expected offset, and frees its room', async () => {
      const d = await draft();
      const a = upload(d, { size: 500 });
      const b = upload(d, { size: 500 });
      await records.create(a, LIMITS);
      await records.create(b, LIMITS);
      expect(await records.remove(d, a.id, { ifOffset: 7 })).toBe(false);
      expect(await records.remove(d, a.id, { ifOffset: 0 })).toBe(true);
      expect(await records.remove(d, a.id)).toBe(false);
      expect(await records.get(d, a.id)).toBeUndefined();
      expect(await records.create(upload(d, { size: 500 }), LIMITS)).toEqual({ created: true });
    });

    it('removes every record of a draft, returning them, and leaves other drafts alone', async () => {
      const d = await draft();
      const other = await draft();
      const a = upload(d);
      const b = upload(d);
      const kept = upload(other);
      for (const record of [a, b]) await records.create(record, LIMITS);
      await records.create(kept, LIMITS);
      expect((await records.removeAll(d)).map((r) => r.id)).toEqual([a.id, b.id]);
      expect(await records.list(d)).toEqual([]);
      expect(await records.removeAll(d)).toEqual([]);
      expect(await records.get(other, kept.id)).toEqual(kept);
    });

    it('keeps offsets and sizes past 4 GiB exactly', async () => {
      const d = await draft();
      const big = upload(d, { size: 8 * 1024 ** 3 + 3 });
      await records.create(big, { maxFiles: 1, maxTotalBytes: 16 * 1024 ** 3 });
      const at = 5 * 1024 ** 3 + 1;
      expect((await records.advance(d, big.id, 0, { offset: at, updatedAt: 1, expiresAt: 2 })).advanced).toBe(true);
      expect((await records.advance(d, big.id, at, { offset: big.size, updatedAt: 1, expiresAt: 2 })).advanced).toBe(true);
      expect((await records.get(d, big.id))?.offset).toBe(big.size);
    });
  });
}
