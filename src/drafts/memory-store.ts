import { systemClock, type Clock } from '../platform/clock.js';
import { applyChange, attemptResume, createState, locatorTtl, metaOf, removalOf, renewCodeOf, type DraftState } from './core.js';
import type { DraftStore } from './store.js';

/**
 * The drafts in this process's memory: one instance only, gone on restart (the embedded default
 * and the Workers preview). Expired drafts are dropped when touched and by a sweep every
 * `sweepEveryMs` (unref'd, so it never holds the process open); at most `maxDrafts` (default
 * 100,000) are kept, the oldest-changed going first beyond that.
 */
export function createMemoryDraftStore(options: { clock?: Clock; maxDrafts?: number; sweepEveryMs?: number } = {}): DraftStore {
  const clock = options.clock ?? systemClock;
  const maxDrafts = options.maxDrafts ?? 100_000;
  /** Drafts by id, in the order of their last change. */
  const drafts = new Map<string, DraftState>();
  const locators = new Map<string, { id: string; until: number }>();

  function live(id: string, now = clock()): DraftState | undefined {
    const state = drafts.get(id);
    if (state && state.expiresAt <= now) {
      drafts.delete(id);
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
    for (const [id, state] of drafts) if (state.expiresAt <= now) drafts.delete(id);
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
      locators.set(draft.locator, { id: draft.id, until: now + locatorTtl(draft.ttlMs) });
      drafts.set(draft.id, state);
      while (drafts.size > maxDrafts) drafts.delete(drafts.keys().next().value as string);
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
      const outcome = applyChange(state, change, clock());
      if (outcome.ok) {
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
        drafts.delete(id);
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
    async ping() {},
    async close() {
      clearInterval(timer);
    },
  };
}
