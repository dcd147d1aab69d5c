/**
 * The drafts' pure core: what a write does to a draft's state, given `now`. The memory store
 * runs it as is; the Redis store runs the same steps in Lua (`lua/*.lua`); the contract suite
 * holds both to one behaviour.
 *
 * Mirrored by `src/drafts/lua/`: `createState` by create.lua, `applyChange` by write.lua,
 * `removalOf` by remove.lua, `attemptResume` by resume.lua, `renewCodeOf` by renew-code.lua,
 * `metaOf` and the expiry by includes/draft.lua: change both, then run `src/drafts/store.contract.ts`
 * (`vitest run src/drafts/memory-store.test.ts tests/integration/draft-store.test.ts`).
 */
import type { DraftChange, DraftMeta, NewCode, NewDraft, RemoveOutcome, ResumeAttempt, ResumeOutcome, SealedField, WriteOutcome } from './store.js';

/**
 * How long a resume-code locator lives, given the draft's ttl: twice it, from creation, renewal
 * and every refresh (one a quarter-ttl at most), so the locator outlives the draft even when a
 * refresh or three fail. A locator left over after its draft is harmless: it finds nothing.
 */
export function locatorTtl(ttlMs: number): number {
  return ttlMs * 2;
}

/** A draft's whole state, as the memory store keeps it: its meta's own parts, and the rest. */
export interface DraftState
  extends Pick<DraftMeta, 'id' | 'formId' | 'revision' | 'createdAt' | 'updatedAt' | 'expiresAt' | 'returnTo' | 'locator' | 'sealedCode' | 'bytes'> {
  codeHash: string;
  answerHash: string | undefined;
  failures: number;
  /** When the last wrong attempt was made (ms); a locked code opens again `lockMs` after it. */
  lastFailureAt: number;
  /** When the locator's life was last extended. */
  locatorRefreshedAt: number;
  fields: Map<string, SealedField>;
  /** Owner hash → when it was bound. */
  owners: Map<string, number>;
}

/** The meta of a state. */
export function metaOf(state: DraftState): DraftMeta {
  return {
    id: state.id,
    formId: state.formId,
    revision: state.revision,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    expiresAt: state.expiresAt,
    bytes: state.bytes,
    fieldCount: state.fields.size,
    returnTo: state.returnTo,
    sealedCode: state.sealedCode,
    answerSet: state.answerHash !== undefined,
    locator: state.locator,
  };
}

/** The state of a new draft at `now`, or why it cannot be created. */
export function createState(draft: NewDraft, now: number): DraftState | 'too-large' | 'too-many-fields' {
  const fields = new Map(Object.entries(draft.fields));
  let bytes = 0;
  for (const field of fields.values()) bytes += field.bytes;
  if (fields.size > draft.limits.maxFields) return 'too-many-fields';
  if (bytes > draft.limits.maxBytes) return 'too-large';
  return {
    id: draft.id,
    formId: draft.formId,
    revision: 1,
    createdAt: now,
    updatedAt: now,
    expiresAt: now + draft.ttlMs,
    returnTo: draft.returnTo,
    locator: draft.locator,
    codeHash: draft.codeHash,
    sealedCode: draft.sealedCode,
    answerHash: undefined,
    failures: 0,
    lastFailureAt: 0,
    locatorRefreshedAt: now,
    fields,
    bytes,
    owners: new Map([[draft.ownerHash, now]]),
  };
}

/** The store's budget as a write sees it: what the counted drafts take, and what they may. */
export interface BudgetView {
  usedBytes: number;
  budgetBytes: number;
}

/**
 * Applies a change at `now`: refused when the base revision is not the current one or a limit
 * would be passed (with `budget`: also when it grows the draft past what the budget has left);
 * otherwise the fields change, the revision goes up by one and the expiry moves to
 * `now + ttl`. The locator's life is extended when a quarter of the ttl has passed since the
 * last time (`refreshLocator`).
 */
export function applyChange(state: DraftState, change: DraftChange, now: number, budget?: BudgetView): WriteOutcome {
  if (change.baseRevision !== state.revision) return { ok: false, reason: 'stale', revision: state.revision };
  const fields = change.replace ? new Map<string, SealedField>() : new Map(state.fields);
  for (const [name, value] of Object.entries(change.fields)) {
    if (value === null) fields.delete(name);
    else fields.set(name, value);
  }
  let bytes = 0;
  for (const field of fields.values()) bytes += field.bytes;
  if (fields.size > change.limits.maxFields) return { ok: false, reason: 'too-many-fields', fieldCount: fields.size };
  if (bytes > change.limits.maxBytes) return { ok: false, reason: 'too-large', bytes };
  if (budget && bytes > state.bytes && budget.usedBytes + (bytes - state.bytes) > budget.budgetBytes)
    return { ok: false, reason: 'over-budget', usedBytes: budget.usedBytes };
  state.fields = fields;
  state.bytes = bytes;
  state.revision += 1;
  state.updatedAt = now;
  state.expiresAt = now + change.ttlMs;
  const refreshLocator = now - state.locatorRefreshedAt >= change.ttlMs / 4;
  if (refreshLocator) state.locatorRefreshedAt = now;
  const { revision, updatedAt, expiresAt, bytes: total, locator } = state;
  return { ok: true, saved: { revision, updatedAt, expiresAt, bytes: total, fieldCount: fields.size, locator }, refreshLocator };
}

/** Deletes at `baseRevision` (any revision when unset). */
export function removalOf(state: DraftState, baseRevision: number | undefined): RemoveOutcome {
  if (baseRevision !== undefined && baseRevision !== state.revision) return { removed: false, reason: 'stale', revision: state.revision };
  return { removed: true, locator: state.locator };
}

/**
 * Checks a resume attempt: a locked code (`maxFailures` wrong attempts, the last less than
 * `lockMs` ago) refuses everything; once `lockMs` has passed since the last wrong attempt the
 * count starts again. A wrong secret, or a wrong or missing answer where one is asked for,
 * counts a failure; a right one binds the device (keeping at most `maxOwners`, the earliest
 * bound let go first) and clears the failures.
 */
export function attemptResume(state: DraftState, attempt: ResumeAttempt, now: number): ResumeOutcome {
  if (state.failures >= attempt.maxFailures) {
    if (now - state.lastFailureAt < attempt.lockMs) return { ok: false, reason: 'locked' };
    state.failures = 0;
  }
  const fail = (reason: 'wrong-code' | 'wrong-answer' | 'answer-not-set'): ResumeOutcome => {
    state.failures += 1;
    state.lastFailureAt = now;
    return { ok: false, reason, failures: state.failures };
  };
  if (!attempt.codeHashes.includes(state.codeHash)) return fail('wrong-code');
  if (attempt.answerPolicy === 'required' && state.answerHash === undefined) return fail('answer-not-set');
  if (attempt.answerPolicy !== 'off' && state.answerHash !== undefined && !attempt.answerHashes.includes(state.answerHash)) return fail('wrong-answer');
  state.failures = 0;
  state.owners.delete(attempt.ownerHash);
  state.owners.set(attempt.ownerHash, now);
  while (state.owners.size > attempt.maxOwners) {
    const [earliest] = [...state.owners.entries()].sort((a, b) => a[1] - b[1])[0] ?? [];
    if (earliest === undefined) break;
    state.owners.delete(earliest);
  }
  return { ok: true, meta: metaOf(state) };
}

/** Gives the state a new resume code: the old one stops working and the failures start again. */
export function renewCodeOf(state: DraftState, code: NewCode, now: number): void {
  state.locator = code.locator;
  state.codeHash = code.codeHash;
  state.sealedCode = code.sealedCode;
  state.failures = 0;
  state.locatorRefreshedAt = now;
}
