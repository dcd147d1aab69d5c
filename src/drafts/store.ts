/**
 * The drafts' store port: only the operations the drafts domain uses. Field values reach the
 * store sealed (see `cipher.ts`); the store never sees plaintext, only each value's plaintext
 * size for the limits. Adapters: `memory-store.ts` (one instance) and `redis-store.ts` (shared,
 * expiry enforced by Redis TTLs); `store.contract.ts` holds both to the same behaviour.
 */

/** A sealed field value and the size of its plaintext JSON in bytes. */
export interface SealedField {
  sealed: string;
  bytes: number;
}

/** Limits a write must keep. */
export interface DraftLimits {
  maxBytes: number;
  maxFields: number;
}

/** What the store knows of a draft, besides its fields. Times in ms since the epoch. */
export interface DraftMeta {
  id: string;
  formId: string;
  revision: number;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  /** Plaintext bytes of every field together. */
  bytes: number;
  fieldCount: number;
  /** The page the draft was started on (a same-site path, sealed: a query may hold personal data). */
  returnTo: string | undefined;
  /** The resume code, sealed (shown again to owners). */
  sealedCode: string;
  /** Whether the citizen has chosen a resume answer. */
  answerSet: boolean;
  /** The resume code's locator (not secret; internal, never shown). */
  locator: string;
}

/** A draft as read by an owner: its meta and its sealed fields. */
export interface StoredDraft {
  meta: DraftMeta;
  fields: Record<string, string>;
}

/**
 * What every live draft is counted against. A draft is charged its plaintext bytes plus
 * `DRAFT_OVERHEAD_BYTES` (its meta, owners and keys), from its creation until it is deleted or
 * expires. Drafts created without a quota are not counted.
 */
export interface DraftQuota {
  /** Who created it (a client address key): a creator may have at most `maxLivePerCreator` live drafts. */
  creator: string;
  maxLivePerCreator: number;
  /** What all counted drafts together may be charged. */
  budgetBytes: number;
}

/** What each counted draft is charged besides its fields' bytes. */
export const DRAFT_OVERHEAD_BYTES = 1_024;

/** What the store's counted drafts take now. */
export interface DraftUsage {
  /** Their charges together (see `DraftQuota`). */
  bytes: number;
  /** How many there are. */
  drafts: number;
}

/** A draft to create. */
export interface NewDraft {
  id: string;
  formId: string;
  /** The resume code's locator: unique among live drafts. */
  locator: string;
  /** Keyed hash of the code's secret (`<key id>.<hash>`). */
  codeHash: string;
  sealedCode: string;
  ownerHash: string;
  returnTo: string | undefined;
  fields: Record<string, SealedField>;
  /** The draft expires this long after its last change. */
  ttlMs: number;
  limits: DraftLimits;
  /** Counts the draft against the store's budget and its creator's live drafts; absent: not counted. */
  quota?: DraftQuota;
}

/** A resume code as the store keeps it. */
export interface NewCode {
  locator: string;
  codeHash: string;
  sealedCode: string;
}

/** A change to a draft's fields, based on a revision. */
export interface DraftChange {
  baseRevision: number;
  /** true: the fields become exactly `fields`; false: `fields` are merged in, `null` deletes. */
  replace: boolean;
  fields: Record<string, SealedField | null>;
  ttlMs: number;
  limits: DraftLimits;
  /**
   * The store's budget: a counted draft that this change would grow is refused (`over-budget`)
   * when the counted drafts would then pass it. A change that does not grow it always passes.
   */
  budgetBytes?: number;
}

/** Why a create did not happen. */
export type CreateOutcome =
  | { created: true; meta: DraftMeta }
  | { created: false; reason: 'locator-taken' | 'too-large' | 'too-many-fields' }
  /** The creator has `maxLivePerCreator` live drafts; the earliest of them expires in `retryAfterMs`. */
  | { created: false; reason: 'creator-full'; retryAfterMs: number }
  /** The counted drafts already take `usedBytes`: this one would pass the budget. */
  | { created: false; reason: 'over-budget'; usedBytes: number };

/** What a write made of a draft. */
export type SavedDraft = Pick<DraftMeta, 'revision' | 'updatedAt' | 'expiresAt' | 'bytes' | 'fieldCount' | 'locator'>;

/** The outcome of a write. `missing` also covers a draft the caller does not own. */
export type WriteOutcome =
  | { ok: true; saved: SavedDraft; refreshLocator: boolean }
  | { ok: false; reason: 'missing' }
  | { ok: false; reason: 'stale'; revision: number }
  | { ok: false; reason: 'too-large'; bytes: number }
  | { ok: false; reason: 'too-many-fields'; fieldCount: number }
  | { ok: false; reason: 'over-budget'; usedBytes: number };

/** The outcome of a delete. */
export type RemoveOutcome = { removed: true; locator: string } | { removed: false; reason: 'missing' } | { removed: false; reason: 'stale'; revision: number };

/** A resume attempt on a located draft. */
export interface ResumeAttempt {
  /** The code secret's hash under each ring key (`<key id>.<hash>`): any may match. */
  codeHashes: readonly string[];
  /** The answer's hash under each ring key; empty when no answer was given. */
  answerHashes: readonly string[];
  /** The form's policy: with `required`, a draft without an answer cannot be resumed. */
  answerPolicy: 'off' | 'optional' | 'required';
  /** The device to bind as an owner. */
  ownerHash: string;
  /** Failures after which the code stops working... */
  maxFailures: number;
  /** ...until this long after the last of them. */
  lockMs: number;
  /** Most owners a draft keeps (the longest-bound ones are let go first). */
  maxOwners: number;
}

/** The outcome of a resume attempt. Wrong codes and answers count as failures. */
export type ResumeOutcome =
  | { ok: true; meta: DraftMeta }
  | { ok: false; reason: 'missing' }
  | { ok: false; reason: 'locked' }
  | { ok: false; reason: 'wrong-code' | 'wrong-answer' | 'answer-not-set'; failures: number };

/** The drafts' store port. */
export interface DraftStore {
  /** Creates a draft owned by `ownerHash`, unless its code locator is taken. */
  create(draft: NewDraft): Promise<CreateOutcome>;
  /** The draft when it exists and `ownerHash` owns it. */
  read(id: string, ownerHash: string): Promise<StoredDraft | undefined>;
  /** The draft's meta when it exists and `ownerHash` owns it (no fields). */
  readMeta(id: string, ownerHash: string): Promise<DraftMeta | undefined>;
  /** Changes the fields when `baseRevision` is the current revision; bumps the revision and the expiry. */
  write(id: string, ownerHash: string, change: DraftChange): Promise<WriteOutcome>;
  /**
   * Replaces sealed values by others of the same plaintext (key rotation) when each is still
   * exactly `from`; no revision change. Returns how many were replaced.
   */
  reseal(id: string, values: Record<string, { from: string; to: string }>): Promise<number>;
  /** Deletes the draft (when `baseRevision` is given, only at that revision). */
  remove(id: string, ownerHash: string, baseRevision?: number): Promise<RemoveOutcome>;
  /** The draft id a code locator points at. */
  locate(locator: string): Promise<string | undefined>;
  /** The form of a draft, whoever owns it (form ids are not secret); undefined when it is gone. */
  formOf(id: string): Promise<string | undefined>;
  /**
   * Gives an owner's draft a new resume code (the old one stops working, failures start again).
   * The new locator must be reserved by this call like at creation: `locator-taken` otherwise.
   */
  renewCode(
    id: string,
    ownerHash: string,
    code: NewCode,
    ttlMs: number,
  ): Promise<{ renewed: true; meta: DraftMeta } | { renewed: false; reason: 'missing' | 'locator-taken' }>;
  /**
   * Extends a locator's life to `locatorTtl(ttlMs)` from now (the locator lives apart from the
   * draft's keys). Locators are created and renewed with that life too.
   */
  refreshLocator(locator: string, draftId: string, ttlMs: number): Promise<void>;
  /** Checks a resume attempt and, when it is right, binds the device as an owner. */
  resume(id: string, attempt: ResumeAttempt): Promise<ResumeOutcome>;
  /** Sets the resume answer's hash; false when the draft is missing or not owned. */
  setAnswer(id: string, ownerHash: string, answerHash: string): Promise<boolean>;
  /** What the counted drafts take now (expired ones no longer count). */
  usage(): Promise<DraftUsage>;
  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
