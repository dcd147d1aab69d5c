import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DRAFT_OVERHEAD_BYTES, type DraftQuota, type DraftStore, type NewDraft, type ResumeAttempt, type SealedField } from './store.js';

/** An adapter under test, and how to let go of it. */
export interface OpenedDraftStore {
  store: DraftStore;
  close?: () => Promise<void>;
}

const LIMITS = { maxBytes: 100, maxFields: 4 };
const DAY = 86_400_000;
const sealed = (text: string, bytes = text.length): SealedField => ({ sealed: `k.${text}`, bytes });

/**
 * What every DraftStore adapter must do. Runs on the real clock (Redis expires keys on its
 * own), so the expiry case uses a short life and waits past it.
 */
export function draftStoreContract(adapter: string, open: () => Promise<OpenedDraftStore>): void {
  describe(`draft store contract: ${adapter}`, () => {
    let opened: OpenedDraftStore;
    let store: DraftStore;
    let run: string;
    let counter = 0;
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    function newDraft(overrides: Partial<NewDraft> = {}): NewDraft {
      counter += 1;
      return {
        id: `${run}-d${counter}`,
        formId: 'residence',
        locator: `${run}L${counter}`,
        codeHash: 'k1.code',
        sealedCode: 'k1.sealed-code',
        ownerHash: 'owner-a',
        returnTo: '/apply/step/1',
        fields: { fullName: sealed('Hoa'), phone: sealed('0912') },
        ttlMs: DAY,
        limits: LIMITS,
        ...overrides,
      };
    }
    const attempt = (overrides: Partial<ResumeAttempt> = {}): ResumeAttempt => ({
      codeHashes: ['k0.other', 'k1.code'],
      answerHashes: [],
      answerPolicy: 'off',
      ownerHash: 'owner-b',
      maxFailures: 3,
      maxOwners: 3,
      lockMs: DAY,
      ...overrides,
    });

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
      run = Math.random().toString(36).slice(2, 10);
    });
    afterEach(async () => {
      await opened.close?.();
    });

    it('creates a draft at revision 1 that only its owner reads', async () => {
      const draft = newDraft();
      const created = await store.create(draft);
      expect(created.created).toBe(true);
      if (!created.created) return;
      expect(created.meta).toMatchObject({
        id: draft.id,
        formId: 'residence',
        revision: 1,
        bytes: 7,
        fieldCount: 2,
        returnTo: '/apply/step/1',
        answerSet: false,
        locator: draft.locator,
      });
      expect(created.meta.expiresAt - created.meta.updatedAt).toBe(DAY);
      const read = await store.read(draft.id, 'owner-a');
      expect(read?.fields).toEqual({ fullName: 'k.Hoa', phone: 'k.0912' });
      expect(read?.meta.sealedCode).toBe('k1.sealed-code');
      expect(await store.read(draft.id, 'owner-x')).toBeUndefined();
      expect(await store.readMeta(draft.id, 'owner-x')).toBeUndefined();
      expect((await store.readMeta(draft.id, 'owner-a'))?.revision).toBe(1);
      expect(await store.read(`${run}-nothing`, 'owner-a')).toBeUndefined();
    });

    it('refuses a locator that a live draft holds, and finds the draft by its locator', async () => {
      const first = newDraft();
      expect((await store.create(first)).created).toBe(true);
      expect(await store.create(newDraft({ locator: first.locator }))).toEqual({ created: false, reason: 'locator-taken' });
      expect(await store.locate(first.locator)).toBe(first.id);
      expect(await store.locate(`${run}-none`)).toBeUndefined();
    });

    it('refuses to create past the limits, and frees the locator', async () => {
      const big = newDraft({ fields: { a: sealed('x'.repeat(101)) } });
      expect(await store.create(big)).toEqual({ created: false, reason: 'too-large' });
      const many = newDraft({ fields: { a: sealed('1'), b: sealed('2'), c: sealed('3'), d: sealed('4'), e: sealed('5') } });
      expect(await store.create(many)).toEqual({ created: false, reason: 'too-many-fields' });
      expect(await store.locate(big.locator)).toBeUndefined();
      expect((await store.create(newDraft({ locator: big.locator }))).created).toBe(true);
    });

    it('merges changed fields, deletes nulls, and replaces everything on a full write', async () => {
      const draft = newDraft();
      await store.create(draft);
      const merged = await store.write(draft.id, 'owner-a', {
        baseRevision: 1,
        replace: false,
        fields: { phone: null, district: sealed('Đống Đa', 10) },
        ttlMs: DAY,
        limits: LIMITS,
      });
      expect(merged).toMatchObject({ ok: true, saved: { revision: 2, bytes: 13, fieldCount: 2 } });
      expect((await store.read(draft.id, 'owner-a'))?.fields).toEqual({ fullName: 'k.Hoa', district: 'k.Đống Đa' });
      const replaced = await store.write(draft.id, 'owner-a', { baseRevision: 2, replace: true, fields: { only: sealed('1') }, ttlMs: DAY, limits: LIMITS });
      expect(replaced).toMatchObject({ ok: true, saved: { revision: 3, bytes: 1, fieldCount: 1 } });
      expect((await store.read(draft.id, 'owner-a'))?.fields).toEqual({ only: 'k.1' });
    });

    it('refuses a write based on an old revision and says which revision is current', async () => {
      const draft = newDraft();
      await store.create(draft);
      const change = { baseRevision: 1, replace: false, fields: { a: sealed('1') }, ttlMs: DAY, limits: LIMITS };
      expect((await store.write(draft.id, 'owner-a', change)).ok).toBe(true);
      expect(await store.write(draft.id, 'owner-a', change)).toEqual({ ok: false, reason: 'stale', revision: 2 });
      expect((await store.read(draft.id, 'owner-a'))?.meta.revision).toBe(2);
    });

    it('writes and deletes thousands of fields in one change', async () => {
      const draft = newDraft();
      await store.create(draft);
      const wide = { maxBytes: 1_000_000, maxFields: 5_000 };
      const fields = Object.fromEntries(Array.from({ length: 4_998 }, (_, i) => [`f${i}`, sealed('v')]));
      expect(await store.write(draft.id, 'owner-a', { baseRevision: 1, replace: false, fields, ttlMs: DAY, limits: wide })).toMatchObject({
        ok: true,
        saved: { fieldCount: 5_000, bytes: 4_998 + 7 },
      });
      const removals = Object.fromEntries(Object.keys(fields).map((name) => [name, null]));
      expect(await store.write(draft.id, 'owner-a', { baseRevision: 2, replace: false, fields: removals, ttlMs: DAY, limits: wide })).toMatchObject({
        ok: true,
        saved: { fieldCount: 2, bytes: 7 },
      });
      expect(await store.write(draft.id, 'owner-a', { baseRevision: 3, replace: true, fields, ttlMs: DAY, limits: wide })).toMatchObject({
        ok: true,
        saved: { fieldCount: 4_998 },
      });
    });

    it('lets exactly one of two writes on the same revision win', async () => {
      const draft = newDraft();
      await store.create(draft);
      const outcomes = await Promise.all(
        ['x', 'y', 'z'].map((value) =>
          store.write(draft.id, 'owner-a', { baseRevision: 1, replace: false, fields: { a: sealed(value) }, ttlMs: DAY, limits: LIMITS }),
        ),
      );
      expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
      expect(outcomes.filter((o) => !o.ok && o.reason === 'stale')).toHaveLength(2);
    });

    it('keeps the limits across merges: total bytes and field count', async () => {
      const draft = newDraft();
      await store.create(draft);
      const write = (fields: Record<string, SealedField | null>, baseRevision: number) =>
        store.write(draft.id, 'owner-a', { baseRevision, replace: false, fields, ttlMs: DAY, limits: LIMITS });
      expect(await write({ big: sealed('x'.repeat(94)) }, 1)).toEqual({ ok: false, reason: 'too-large', bytes: 101 });
      expect(await write({ fullName: sealed('x'.repeat(96)) }, 1)).toMatchObject({ ok: true, saved: { bytes: 100 } });
      expect(await write({ a: sealed(''), b: sealed(''), c: sealed('') }, 2)).toEqual({ ok: false, reason: 'too-many-fields', fieldCount: 5 });
      expect(await write({ a: sealed(''), b: sealed(''), phone: null }, 2)).toMatchObject({ ok: true, saved: { fieldCount: 3, revision: 3 } });
    });

    it('does not let a non-owner write, delete or set an answer', async () => {
      const draft = newDraft();
      await store.create(draft);
      expect(await store.write(draft.id, 'owner-x', { baseRevision: 1, replace: true, fields: {}, ttlMs: DAY, limits: LIMITS })).toEqual({
        ok: false,
        reason: 'missing',
      });
      expect(await store.remove(draft.id, 'owner-x')).toEqual({ removed: false, reason: 'missing' });
      expect(await store.setAnswer(draft.id, 'owner-x', 'k1.answer')).toBe(false);
      expect((await store.read(draft.id, 'owner-a'))?.meta).toMatchObject({ revision: 1, answerSet: false });
    });

    it('deletes a draft and its locator, at a given revision when one is given', async () => {
      const draft = newDraft();
      await store.create(draft);
      expect(await store.remove(draft.id, 'owner-a', 7)).toEqual({ removed: false, reason: 'stale', revision: 1 });
      expect(await store.remove(draft.id, 'owner-a', 1)).toEqual({ removed: true, locator: draft.locator });
      expect(await store.read(draft.id, 'owner-a')).toBeUndefined();
      expect(await store.locate(draft.locator)).toBeUndefined();
      expect(await store.remove(draft.id, 'owner-a')).toEqual({ removed: false, reason: 'missing' });
    });

    it('binds a new owner on the right code and counts wrong ones until the code is locked', async () => {
      const draft = newDraft();
      await store.create(draft);
      expect(await store.resume(draft.id, attempt({ codeHashes: ['k1.wrong'] }))).toEqual({ ok: false, reason: 'wrong-code', failures: 1 });
      expect(await store.resume(draft.id, attempt({ codeHashes: ['k1.wrong'] }))).toEqual({ ok: false, reason: 'wrong-code', failures: 2 });
      const resumed = await store.resume(draft.id, attempt());
      expect(resumed).toMatchObject({ ok: true, meta: { id: draft.id, revision: 1 } });
      expect((await store.read(draft.id, 'owner-b'))?.fields.fullName).toBe('k.Hoa');
      expect(await store.read(draft.id, 'owner-a')).toBeDefined();
      for (let i = 1; i <= 3; i++)
        expect(await store.resume(draft.id, attempt({ codeHashes: ['k1.wrong'] }))).toEqual({ ok: false, reason: 'wrong-code', failures: i });
      expect(await store.resume(draft.id, attempt({ ownerHash: 'owner-c' }))).toEqual({ ok: false, reason: 'locked' });
      expect(await store.read(draft.id, 'owner-c')).toBeUndefined();
      expect(await store.resume(`${run}-gone`, attempt())).toEqual({ ok: false, reason: 'missing' });
    });

    it('opens a locked code again once lockMs has passed since the last wrong attempt', async () => {
      const draft = newDraft();
      await store.create(draft);
      const lockMs = 300;
      for (let i = 1; i <= 3; i++)
        expect(await store.resume(draft.id, attempt({ codeHashes: ['k1.wrong'], lockMs }))).toMatchObject({ reason: 'wrong-code', failures: i });
      expect(await store.resume(draft.id, attempt({ lockMs }))).toEqual({ ok: false, reason: 'locked' });
      await sleep(350);
      expect(await store.resume(draft.id, attempt({ codeHashes: ['k1.wrong'], lockMs }))).toEqual({ ok: false, reason: 'wrong-code', failures: 1 });
      expect(await store.resume(draft.id, attempt({ lockMs }))).toMatchObject({ ok: true });
    });

    it('asks for the answer the citizen chose, as the form says', async () => {
      const draft = newDraft();
      await store.create(draft);
      expect(await store.resume(draft.id, attempt({ answerPolicy: 'required' }))).toEqual({ ok: false, reason: 'answer-not-set', failures: 1 });
      expect(await store.resume(draft.id, attempt({ answerPolicy: 'optional' }))).toMatchObject({ ok: true });
      expect(await store.setAnswer(draft.id, 'owner-a', 'k1.answer')).toBe(true);
      expect((await store.readMeta(draft.id, 'owner-a'))?.answerSet).toBe(true);
      expect(await store.resume(draft.id, attempt({ answerPolicy: 'required', ownerHash: 'owner-c' }))).toEqual({
        ok: false,
        reason: 'wrong-answer',
        failures: 1,
      });
      expect(await store.resume(draft.id, attempt({ answerPolicy: 'optional', answerHashes: ['k1.nope'], ownerHash: 'owner-c' }))).toEqual({
        ok: false,
        reason: 'wrong-answer',
        failures: 2,
      });
      expect(await store.resume(draft.id, attempt({ answerPolicy: 'off', ownerHash: 'owner-d' }))).toMatchObject({ ok: true });
      expect(await store.resume(draft.id, attempt({ answerPolicy: 'required', answerHashes: ['k0.x', 'k1.answer'], ownerHash: 'owner-c' }))).toMatchObject({
        ok: true,
      });
      expect(await store.read(draft.id, 'owner-c')).toBeDefined();
    });

    it('tells the form of a draft to anyone, and nothing of a missing one', async () => {
      const draft = newDraft();
      await store.create(draft);
      expect(await store.formOf(draft.id)).toBe('residence');
      expect(await store.formOf(`${run}-none`)).toBeUndefined();
    });

    it('renews the code for an owner: the old code stops working, failures start again', async () => {
      const draft = newDraft();
      await store.create(draft);
      await store.resume(draft.id, attempt({ codeHashes: ['k1.wrong'] }));
      const code = { locator: `${run}NEW`, codeHash: 'k1.new', sealedCode: 'k1.sealed-new' };
      expect(await store.renewCode(draft.id, 'owner-x', code, DAY)).toEqual({ renewed: false, reason: 'missing' });
      const other = newDraft();
      await store.create(other);
      expect(await store.renewCode(draft.id, 'owner-a', { ...code, locator: other.locator }, DAY)).toEqual({ renewed: false, reason: 'locator-taken' });
      const renewed = await store.renewCode(draft.id, 'owner-a', code, DAY);
      expect(renewed).toMatchObject({ renewed: true, meta: { locator: code.locator, sealedCode: 'k1.sealed-new' } });
      expect(await store.locate(draft.locator)).toBeUndefined();
      expect(await store.locate(code.locator)).toBe(draft.id);
      expect(await store.resume(draft.id, attempt())).toEqual({ ok: false, reason: 'wrong-code', failures: 1 });
      expect(await store.resume(draft.id, attempt({ codeHashes: ['k1.new'] }))).toMatchObject({ ok: true });
    });

    it('keeps at most maxOwners, letting the earliest bound go first', async () => {
      const draft = newDraft();
      await store.create(draft);
      for (const owner of ['owner-b', 'owner-c']) {
        expect((await store.resume(draft.id, attempt({ ownerHash: owner }))).ok).toBe(true);
        await sleep(5);
      }
      expect(await store.read(draft.id, 'owner-a')).toBeDefined();
      expect((await store.resume(draft.id, attempt({ ownerHash: 'owner-d' }))).ok).toBe(true);
      expect(await store.read(draft.id, 'owner-a')).toBeUndefined();
      for (const owner of ['owner-b', 'owner-c', 'owner-d']) expect(await store.read(draft.id, owner)).toBeDefined();
    });

    it('reseals only values that are unchanged, without a new revision', async () => {
      const draft = newDraft();
      await store.create(draft);
      const replaced = await store.reseal(draft.id, { fullName: { from: 'k.Hoa', to: 'k2.Hoa' }, phone: { from: 'k.stale', to: 'k2.0912' } });
      expect(replaced).toBe(1);
      const read = await store.read(draft.id, 'owner-a');
      expect(read?.fields).toEqual({ fullName: 'k2.Hoa', phone: 'k.0912' });
      expect(read?.meta.revision).toBe(1);
    });

    it('says when to extend the locator, and extends it', async () => {
      const draft = newDraft({ ttlMs: 400 });
      await store.create(draft);
      await sleep(150);
      const write = await store.write(draft.id, 'owner-a', { baseRevision: 1, replace: false, fields: {}, ttlMs: 400, limits: LIMITS });
      expect(write).toMatchObject({ ok: true, refreshLocator: true });
      const again = await store.write(draft.id, 'owner-a', { baseRevision: 2, replace: false, fields: {}, ttlMs: 400, limits: LIMITS });
      expect(again).toMatchObject({ ok: true, refreshLocator: false });
      await store.refreshLocator(draft.locator, draft.id, 400);
      await sleep(300);
      expect(await store.locate(draft.locator)).toBe(draft.id);
    });

    it('keeps the resume code working as long as the draft lives, however its saves fall', async () => {
      // Checked after the first expiry (1,000 ms) and 300 ms before the renewed one: a slow machine only makes the check later.
      const draft = newDraft({ ttlMs: 1_000 });
      await store.create(draft);
      await sleep(400);
      expect((await store.write(draft.id, 'owner-a', { baseRevision: 1, replace: false, fields: {}, ttlMs: 1_000, limits: LIMITS })).ok).toBe(true);
      await sleep(700);
      expect(await store.readMeta(draft.id, 'owner-a')).toBeDefined();
      expect(await store.locate(draft.locator)).toBe(draft.id);
    });

    it('forgets a draft once its time is up, unless a write moved it', async () => {
      const kept = newDraft({ ttlMs: 400 });
      const lost = newDraft({ ttlMs: 400 });
      await store.create(kept);
      await store.create(lost);
      await sleep(250);
      expect((await store.write(kept.id, 'owner-a', { baseRevision: 1, replace: false, fields: {}, ttlMs: 400, limits: LIMITS })).ok).toBe(true);
      await sleep(250);
      expect(await store.read(lost.id, 'owner-a')).toBeUndefined();
      expect(await store.resume(lost.id, attempt())).toEqual({ ok: false, reason: 'missing' });
      expect(await store.read(kept.id, 'owner-a')).toBeDefined();
      await sleep(450);
      expect(await store.read(kept.id, 'owner-a')).toBeUndefined();
    });

    /** A quota: creator `a`, a budget that holds `budget` bytes (each draft is charged its bytes plus DRAFT_OVERHEAD_BYTES). */
    const quota = (overrides: Partial<DraftQuota> = {}): DraftQuota => ({
      creator: `${run}-a`,
      maxLivePerCreator: 1_000,
      budgetBytes: 1_000_000,
      ...overrides,
    });
    const CHARGE = 7 + DRAFT_OVERHEAD_BYTES;

    it('refuses a creator more than maxLivePerCreator live drafts, says when one frees, and counts others apart', async () => {
      const drafts = [newDraft({ quota: quota({ maxLivePerCreator: 2 }) }), newDraft({ quota: quota({ maxLivePerCreator: 2 }) })];
      for (const draft of drafts) expect((await store.create(draft)).created).toBe(true);
      const third = newDraft({ quota: quota({ maxLivePerCreator: 2 }) });
      const refused = await store.create(third);
      expect(refused).toMatchObject({ created: false, reason: 'creator-full' });
      if (refused.created || refused.reason !== 'creator-full') return;
      expect(refused.retryAfterMs).toBeGreaterThan(DAY - 60_000);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(DAY + 2_000);
      expect(await store.locate(third.locator)).toBeUndefined();
      expect((await store.create(newDraft({ quota: quota({ creator: `${run}-b`, maxLivePerCreator: 2 }) }))).created).toBe(true);
      expect((await store.remove(drafts[0]!.id, 'owner-a')).removed).toBe(true);
      expect((await store.create(newDraft({ locator: third.locator, quota: quota({ maxLivePerCreator: 2 }) }))).created).toBe(true);
      expect(await store.usage()).toEqual({ bytes: 3 * CHARGE, drafts: 3 });
    });

    it('refuses creations and growing writes past the byte budget, and never touches what was saved', async () => {
      const budgetBytes = 2 * CHARGE + 30;
      const [first, second] = [newDraft({ quota: quota({ budgetBytes }) }), newDraft({ quota: quota({ budgetBytes }) })];
      expect((await store.create(first)).created).toBe(true);
      expect((await store.create(second)).created).toBe(true);
      const third = newDraft({ quota: quota({ budgetBytes }) });
      expect(await store.create(third)).toEqual({ created: false, reason: 'over-budget', usedBytes: 2 * CHARGE });
      expect(await store.locate(third.locator)).toBeUndefined();
      const change = (revision: number, fields: Record<string, SealedField | null>, replace = false) => ({
        baseRevision: revision,
        replace,
        fields,
        ttlMs: DAY,
        limits: LIMITS,
        budgetBytes,
      });
      expect(await store.write(first.id, 'owner-a', change(1, { district: sealed('x'.repeat(30)) }))).toMatchObject({
        ok: true,
        saved: { revision: 2, bytes: 37 },
      });
      expect(await store.write(first.id, 'owner-a', change(2, { street: sealed('y') }))).toEqual({ ok: false, reason: 'over-budget', usedBytes: budgetBytes });
      expect(await store.write(second.id, 'owner-a', change(1, { fullName: sealed('Hoa Sen') }))).toEqual({
        ok: false,
        reason: 'over-budget',
        usedBytes: budgetBytes,
      });
      expect(await store.read(first.id, 'owner-a')).toMatchObject({
        meta: { revision: 2, bytes: 37 },
        fields: { fullName: 'k.Hoa', phone: 'k.0912', district: `k.${'x'.repeat(30)}` },
      });
      expect(await store.read(second.id, 'owner-a')).toMatchObject({ meta: { revision: 1, bytes: 7 }, fields: { fullName: 'k.Hoa', phone: 'k.0912' } });
      // Changes that do not grow a draft always pass: the same size, smaller, deletions.
      expect((await store.write(second.id, 'owner-a', change(1, { fullName: sealed('Lan') }))).ok).toBe(true);
      expect((await store.write(first.id, 'owner-a', change(2, { fullName: sealed('Hoa Sen') }, true))).ok).toBe(true);
      expect(await store.usage()).toEqual({ bytes: 2 * CHARGE - 7 + 7, drafts: 2 });
      expect((await store.remove(second.id, 'owner-a')).removed).toBe(true);
      expect(await store.usage()).toEqual({ bytes: CHARGE, drafts: 1 });
      expect((await store.create(newDraft({ locator: third.locator, quota: quota({ budgetBytes }) }))).created).toBe(true);
    });

    it('lets exactly as many racing creations in as the budget holds', async () => {
      const budgetBytes = 3 * CHARGE;
      const outcomes = await Promise.all(Array.from({ length: 8 }, () => store.create(newDraft({ quota: quota({ budgetBytes }) }))));
      expect(outcomes.filter((outcome) => outcome.created)).toHaveLength(3);
      expect(outcomes.filter((outcome) => !outcome.created && outcome.reason === 'over-budget')).toHaveLength(5);
      expect(await store.usage()).toEqual({ bytes: 3 * CHARGE, drafts: 3 });
    });

    it("stops counting a draft once it expires: its bytes and its creator's place come back", async () => {
      const short = quota({ maxLivePerCreator: 1, budgetBytes: CHARGE });
      expect((await store.create(newDraft({ ttlMs: 300, quota: short }))).created).toBe(true);
      expect(await store.create(newDraft({ quota: short }))).toMatchObject({ created: false, reason: 'creator-full' });
      expect(await store.create(newDraft({ quota: { ...short, creator: `${run}-b` } }))).toMatchObject({ created: false, reason: 'over-budget' });
      await sleep(1_500);
      expect(await store.usage()).toEqual({ bytes: 0, drafts: 0 });
      expect((await store.create(newDraft({ quota: short }))).created).toBe(true);
    });
  });
}
