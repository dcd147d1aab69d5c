import { systemClock, type Clock } from '../platform/clock.js';
import { applyChange, attemptResume, createState, locatorTtl, metaOf, removalOf, renewCodeOf, type DraftState } from './core.js';
import { DRAFT_OVERHEAD_BYTES, type DraftStore } from './store.js';

/**
 * The drafts in this process's memory: one instance only, gone on restart (the embedded default
 * and the Workers preview). Expired drafts are dropped when touched and by a sweep every
 * `sweepEveryMs` (unref'd, so it never holds the process open); at most `maxDrafts` (default
 * 100,000) are kept, the oldest-changed going first beyond that. Drafts created with a quota are
 * counted (their creator's live drafts, their bytes against the budget) until they go.
 *
 * Mirrored by `src/drafts/lua/`: `read`/`readMeta` by read.lua, `reseal` by reseal.lua,
 * `setAnswer` by set-answer.lua, the quota of `create` by quota-reserve.lua, `drop` by
 * quota-release.lua, the count of `write` by quota-settle.lua, `usage` by quota-view.lua (their
 * keys in includes/quota.lua; the rest by the scripts named in core.ts): change both, then run
 * `src/drafts/store.contract.ts` (`vitest run src/drafts/memory-store.test.ts tests/integration/draft-store.test.ts`).
 */
export function createMemoryDraftStore(options: { clock?: Clock; maxDrafts?: number; sweepEveryMs?: number } = {}): DraftStore {
  const clock = options.clock ?? systemClock;
  const maxDrafts = options.maxDrafts ?? 100_000;
  /** Drafts by id, in the order of their last change. */
  const drafts = new Map<string, DraftState>();
  const locators = new Map<string, { id: string; until: number }>();
  /** Counted drafts: id → creator; creator → ids; the charges of all of them together. */
  const creators = new Map<string, string>();
  const byCreator = new Map<string, Set<string>>();
  let usedBytes = 0;
  const charge = (state: DraftState) => state.bytes + DRAFT_OVERHEAD_BYTES;

  /** Forgets a draft, and stops counting it. */
  function drop(id: string): void {
    const state = drafts.get(id);
    drafts.delete(id);
    const creator = creators.get(id);
    if (creator === undefined || !state) return;
    creators.delete(id);
    usedBytes -= charge(state);
    const ids = byCreator.get(creator);
    ids?.delete(id);
    if (ids?.size === 0) byCreator.delete(creator);
  }

  function live(id: string, now = clock()): DraftState | undefined {
    const state = drafts.get(id);
    if (state && state.expiresAt <= now) {
      drop(id);
      return undefined;
    }
    return state;
  }
  const owned = (id: string, ownerHash: string) => {
    const state = live(id);
    return state?.owners.has(ownerHash) ? state : undefined;
  };
  function sweep(): void {
    const now = clock();
    for (const [id, state] of drafts) if (state.expiresAt <= now) drop(id);
    for (const [locator, entry] of locators) if (entry.until <= now) locators.delete(locator);
  }
  const timer = setInterval(sweep, options.sweepEveryMs ?? 60_000);
  (timer as { unref?: () => void }).unref?.();

  return {
    async create(draft) {
      const now = clock();
      const taken = locators.get(draft.locator);
      if (taken && taken.until > now) return { created: false, reason: 'locator-taken' };
      const state = createState(draft, now);
      if (typeof state === 'string') return { created: false, reason: state };
      const quota = draft.quota;
      if (quota) {
        const mine = [...(byCreator.get(quota.creator) ?? [])].flatMap((id) => live(id, now) ?? []);
        if (mine.length >= quota.maxLivePerCreator) {
          return { created: false, reason: 'creator-full', retryAfterMs: Math.max(1, Math.min(...mine.map((other) => other.expiresAt)) - now) };
        }
        if (usedBytes + charge(state) > quota.budgetBytes) sweep();
        if (usedBytes + charge(state) > quota.budgetBytes) return { created: false, reason: 'over-budget', usedBytes };
      }
      locators.set(draft.locator, { id: draft.id, until: now + locatorTtl(draft.ttlMs) });
      drafts.set(draft.id, state);
      if (quota) {
        creators.set(draft.id, quota.creator);
        byCreator.set(quota.creator, (byCreator.get(quota.creator) ?? new Set()).add(draft.id));
        usedBytes += charge(state);
      }
      while (drafts.size > maxDrafts) drop(drafts.keys().next().value as string);
      return { created: true, meta: metaOf(state) };
    },
    async read(id, ownerHash) {
      const state = owned(id, ownerHash);
      if (!state) return undefined;
      const fields: Record<string, string> = {};
      for (const [name, field] of state.fields) fields[name] = field.sealed;
      return { meta: metaOf(state), fields };
    },
    async readMeta(id, ownerHash) {
      const state = owned(id, ownerHash);
      return state ? metaOf(state) : undefined;
    },
    async write(id, ownerHash, change) {
      const state = owned(id, ownerHash);
      if (!state) return { ok: false, reason: 'missing' };
      const counted = creators.has(id);
      const before = state.bytes;
      const outcome = applyChange(state, change, clock(), change.budgetBytes !== undefined ? { usedBytes, budgetBytes: change.budgetBytes } : undefined);
      if (outcome.ok) {
        if (counted) usedBytes += state.bytes - before;
        drafts.delete(id);
        drafts.set(id, state);
      }
      return outcome;
    },
    async reseal(id, values) {
      const state = live(id);
      if (!state) return 0;
      let replaced = 0;
      for (const [name, { from, to }] of Object.entries(values)) {
        const field = state.fields.get(name);
        if (field?.sealed !== from) continue;
        state.fields.set(name, { sealed: to, bytes: field.bytes });
        replaced += 1;
      }
      return replaced;
    },
    async remove(id, ownerHash, baseRevision) {
      const state = owned(id, ownerHash);
      if (!state) return { removed: false, reason: 'missing' };
      const outcome = removalOf(state, baseRevision);
      if (outcome.removed) {
        drop(id);
        locators.delete(state.locator);
      }
      return outcome;
    },
    async locate(locator) {
      const entry = locators.get(locator);
      return entry && entry.until > clock() ? entry.id : undefined;
    },
    async formOf(id) {
      return live(id)?.formId;
    },
    async renewCode(id, ownerHash, code, ttlMs) {
      const state = owned(id, ownerHash);
      if (!state) return { renewed: false, reason: 'missing' };
      const now = clock();
      const taken = locators.get(code.locator);
      if (taken && taken.until > now) return { renewed: false, reason: 'locator-taken' };
      locators.delete(state.locator);
      locators.set(code.locator, { id, until: now + locatorTtl(ttlMs) });
      renewCodeOf(state, code, now);
      return { renewed: true, meta: metaOf(state) };
    },
    async refreshLocator(locator, draftId, ttlMs) {
      const entry = locators.get(locator);
      if (entry?.id === draftId) entry.until = Math.max(entry.until, clock() + locatorTtl(ttlMs));
    },
    async resume(id, attempt) {
      const state = live(id);
      if (!state) return { ok: false, reason: 'missing' };
      return attemptResume(state, attempt, clock());
    },
    async setAnswer(id, ownerHash, answerHash) {
      const state = owned(id, ownerHash);
      if (!state) return false;
      state.answerHash = answerHash;
      return true;
    },
    async usage() {
      sweep();
      return { bytes: usedBytes, drafts: creators.size };
    },
    async ping() {},
    async close() {
      clearInterval(timer);
    },
  };
}
