import { defaultFormConfig, formIdSchema, type DraftFormConfig, type DraftsConfig } from '../config/drafts.js';
import type { AeadFactory } from '../platform/aead.js';
import { encodeBase64Url } from '../platform/base64url.js';
import type { Clock } from '../platform/clock.js';
import { SanhError } from '../platform/errors.js';
import type { KeyRing } from '../platform/keyring.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { cachedMacs, webCryptoMac, type MacFactory } from '../platform/mac.js';
import { randomId } from '../platform/random-id.js';
import { inSpan, type Span } from '../telemetry/tracing.js';
import type { AttachmentSummary, DraftAttachments, DraftSealer, OwnedDraft } from './access.js';
import { createDraftCipher, DraftCipherError } from './cipher.js';
import { checkFields, tooLarge, tooManyFields, type FieldText } from './fields.js';
import { createDraftLimiter, type DraftLimiter } from './limits.js';
import { generateResumeCode, parseResumeCode, type ResumeCode } from './resume-code.js';
import type { DraftMeta, DraftStore, NewCode, SealedField, WriteOutcome } from './store.js';

/** The device asking: the hash of its owner cookie, and a new cookie to set when it had none. */
export interface Owner {
  hash: string;
  /** Set when the device had no owner cookie: the value to give it. */
  newCookie?: string;
}

/** A draft as its owner sees it (`GET /_sanh/drafts/:id`). */
export interface DraftView {
  id: string;
  formId: string;
  revision: number;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  resumeCode: string;
  resumeAnswer: DraftFormConfig['resumeAnswer'];
  resumeAnswerSet: boolean;
  returnTo: string | null;
  fields: Record<string, unknown>;
  attachments: AttachmentSummary[];
  /** Fields that could not be opened (their key left SANH_SECRETS); absent when none. */
  unreadableFields?: string[];
}

/** What a save answers. */
export interface SavedView {
  id: string;
  revision: number;
  updatedAt: string;
  expiresAt: string;
}

/** What the drafts service is built from. */
export interface DraftServiceOptions {
  config: DraftsConfig;
  store: DraftStore;
  keyRing: KeyRing;
  clock?: Clock;
  logger?: Logger;
  mac?: MacFactory;
  /** How values are sealed: default Web Crypto; on Node, `nodeAead` is cheaper. */
  aead?: AeadFactory;
  limiter?: DraftLimiter;
  /** The attachments, when built (they need this service's owner checks, so they come later). */
  attachments?: () => DraftAttachments | undefined;
}

/** The drafts domain's operations, called by the HTTP edge. */
export interface DraftService {
  /** The settings of a form; undefined when drafts of it are refused. */
  formSettings(formId: string): DraftFormConfig | undefined;
  /** The owner identity of a cookie value (a fresh one when there is none or it is malformed). */
  owner(cookie: string | undefined): Promise<Owner>;
  /** The owner identity of a cookie value; undefined when there is none (such a device owns nothing). */
  existingOwner(cookie: string | undefined): Promise<Owner | undefined>;
  create(owner: Owner, input: { formId: unknown; fields: unknown; returnTo: string | undefined }, clientKey: string): Promise<DraftView>;
  read(owner: Owner, id: string): Promise<DraftView>;
  write(owner: Owner, id: string, change: { baseRevision: number; replace: boolean; body: unknown }): Promise<SavedView>;
  remove(owner: Owner, id: string, baseRevision: number | undefined): Promise<void>;
  setAnswer(owner: Owner, id: string, answer: unknown): Promise<void>;
  renewCode(owner: Owner, id: string): Promise<DraftView>;
  resume(owner: Owner, attempt: { code: unknown; answer: unknown }, clientKey: string): Promise<DraftView>;
  /** The draft when `owner` owns it; throws `draft_not_found`. */
  ownedDraft(owner: Owner, id: string): Promise<OwnedDraft>;
  /** Seals a draft's other texts (attachment names) as its fields are sealed. */
  sealer: DraftSealer;
}

/** Owners a draft keeps at once (the creator and the devices it was resumed on). */
export const MAX_OWNERS = 10;
const OWNER_COOKIE_BYTES = 32;
const OWNER_COOKIE = /^[A-Za-z0-9_-]{43}$/;
const MAX_ANSWER_LENGTH = 100;
/** Entries each of the service's caches (draft → form, cookie → owner hash) keeps. */
const CACHE_SIZE = 50_000;
const CODE_FIELD = '\u0000resume-code';
const RETURN_FIELD = '\u0000return-to';
const encoder = new TextEncoder();

/**
 * The resume answer as compared: case, spacing and Vietnamese accents do not matter (a citizen
 * may type it on another phone's keyboard without them).
 */
export function normalizeAnswer(answer: string): string {
  return answer
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** The answer for a draft that is missing or not the caller's (the same, so ids cannot be probed). */
export function draftNotFound(): SanhError {
  return new SanhError('draft_not_found', 'No such draft here: it was deleted, it expired, or it was started on another device (resume it with its code).');
}

function storeFault(error: unknown): SanhError {
  if (error instanceof SanhError) return error;
  return new SanhError('store_unavailable', 'Drafts cannot be saved on the server right now; your device keeps your draft. Please try again shortly.', {
    cause: error,
    retryAfterSeconds: 5,
  });
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The answer when the drafts' byte budget (`limits.maxStoredBytes`) is spent: nothing saved is touched. */
function storageFull(): SanhError {
  return new SanhError(
    'storage_full',
    'The server has no room for more drafts right now; your device keeps your draft, and what was saved before is safe. Please try again later.',
    {
      retryAfterSeconds: 300,
    },
  );
}

function stale(revision: number): SanhError {
  return new SanhError('draft_stale', `This draft was saved elsewhere in the meantime (now at revision ${revision}); read it, merge, and try again.`, {
    details: { revision },
    headers: { etag: `"${revision}"` },
  });
}

/** Sets `key` in a map kept to `max` entries, the oldest set first out. */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  if (!map.has(key) && map.size >= max) map.delete(map.keys().next().value as string);
  map.set(key, value);
}

/** The span of every draft save (create or update). */
const SAVE_SPAN = 'sanh.draft.save';

/** A save on its span: the form, how many fields it sets and deletes and their size; never their names or values. */
function describeSave(span: Span, operation: 'create' | 'update', form: DraftFormConfig, checked: Record<string, FieldText | null>, replace: boolean): void {
  if (!span.isRecording()) return;
  let fields = 0;
  let deleted = 0;
  let bytes = 0;
  for (const field of Object.values(checked)) {
    if (field === null) deleted += 1;
    else {
      fields += 1;
      bytes += field.bytes;
    }
  }
  span.setAttributes({
    'sanh.draft.operation': operation,
    'sanh.draft.form': form.id,
    'sanh.draft.replace': replace,
    'sanh.draft.fields': fields,
    'sanh.draft.deleted_fields': deleted,
    'sanh.draft.bytes': bytes,
  });
}

/**
 * Builds the drafts service: field checks, sealing, resume codes, limits and the store, around
 * one rule: a draft is only ever read or changed by a device that owns it.
 */
export function createDraftService(options: DraftServiceOptions): DraftService {
  const { config, store } = options;
  const logger = options.logger ?? silentLogger;
  const cipher = createDraftCipher(options.keyRing, options.aead);
  const macOf = cachedMacs(options.mac ?? webCryptoMac);
  const limiter = options.limiter ?? createDraftLimiter(config, { logger });
  const listed = new Map(config.forms.map((form) => [form.id, form]));
  const defaults = new Map<string, DraftFormConfig>();
  /** Draft id → form id, so a save needs no extra read (a draft never changes form). */
  const formOfDraft = new Map<string, string>();
  /** Owner cookie → its hash, so a device's saves do not hash its cookie each time. */
  const ownerHashes = new Map<string, string>();

  async function guarded<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      throw storeFault(error);
    }
  }

  function settingsOf(formId: string): DraftFormConfig {
    const known = listed.get(formId);
    if (known) return known;
    let fallback = defaults.get(formId);
    if (!fallback) {
      fallback = defaultFormConfig(formId);
      remember(defaults, formId, fallback, 1_000);
    }
    return fallback;
  }

  const rememberForm = (id: string, formId: string) => remember(formOfDraft, id, formId, CACHE_SIZE);

  /** `<key id>.<HMAC>` of `text` under every ring key, the current key first. */
  async function keyedHashes(text: string): Promise<string[]> {
    const keys = [options.keyRing.current, ...[...options.keyRing.keys.values()].filter((k) => k !== options.keyRing.current)];
    return Promise.all(
      keys.map(async (key) => {
        const mac = await macOf(key, 'draft-resume');
        return `${key.id}.${encodeBase64Url(await mac.sign(text))}`;
      }),
    );
  }
  const codeText = (code: ResumeCode) => `code\u0000${code.locator}\u0000${code.secret}`;
  const answerText = (id: string, answer: string) => `answer\u0000${id}\u0000${normalizeAnswer(answer)}`;

  async function newCode(id: string): Promise<{ code: ResumeCode; stored: NewCode }> {
    const code = generateResumeCode();
    const [codeHash] = await keyedHashes(codeText(code));
    return { code, stored: { locator: code.locator, codeHash: codeHash as string, sealedCode: await cipher.seal(id, CODE_FIELD, code.display) } };
  }

  async function seal(id: string, fields: Record<string, FieldText | null>): Promise<Record<string, SealedField | null>> {
    const entries = await Promise.all(
      Object.entries(fields).map(
        async ([name, field]) => [name, field === null ? null : { sealed: await cipher.seal(id, name, field.json), bytes: field.bytes }] as const,
      ),
    );
    return Object.fromEntries(entries);
  }

  /** Opens every field; seals again, in the background, those still under a retired key. */
  async function openFields(id: string, sealed: Record<string, string>): Promise<{ fields: Record<string, unknown>; unreadable: string[] }> {
    const fields: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    const unreadable: string[] = [];
    const stale: Record<string, { from: string; to: string }> = {};
    await Promise.all(
      Object.entries(sealed).map(async ([name, text]) => {
        try {
          const json = await cipher.open(id, name, text);
          fields[name] = JSON.parse(json);
          if (cipher.keyIdOf(text) !== cipher.currentKeyId) stale[name] = { from: text, to: await cipher.seal(id, name, json) };
        } catch (error) {
          if (!(error instanceof DraftCipherError)) throw error;
          unreadable.push(name);
        }
      }),
    );
    if (unreadable.length > 0)
      logger.error('draft fields could not be opened', { draft: id, count: unreadable.length, reason: 'key not in SANH_SECRETS, or altered' });
    if (Object.keys(stale).length > 0) {
      store
        .reseal(id, stale)
        .catch((error: Error) => logger.warn('draft fields could not be sealed again under the current key', { draft: id, error: error.message }));
    }
    return { fields: { ...fields }, unreadable: unreadable.sort() };
  }

  async function attachmentsOf(id: string): Promise<AttachmentSummary[]> {
    const attachments = options.attachments?.();
    return attachments ? guarded(attachments.list(id)) : [];
  }

  /** The view of a draft from its meta and its opened parts. */
  function viewFrom(
    meta: DraftMeta,
    opened: { fields: Record<string, unknown>; unreadable: string[]; attachments: AttachmentSummary[]; resumeCode: string; returnTo: string | undefined },
  ): DraftView {
    return {
      id: meta.id,
      formId: meta.formId,
      revision: meta.revision,
      createdAt: iso(meta.createdAt),
      updatedAt: iso(meta.updatedAt),
      expiresAt: iso(meta.expiresAt),
      resumeCode: opened.resumeCode,
      resumeAnswer: settingsOf(meta.formId).resumeAnswer,
      resumeAnswerSet: meta.answerSet,
      returnTo: opened.returnTo ?? null,
      fields: opened.fields,
      attachments: opened.attachments,
      ...(opened.unreadable.length > 0 ? { unreadableFields: opened.unreadable } : {}),
    };
  }

  /** The view of a stored draft: its sealed parts opened. */
  async function viewOf(meta: DraftMeta, sealed: Record<string, string>): Promise<DraftView> {
    const [{ fields, unreadable }, attachments, resumeCode, returnTo] = await Promise.all([
      openFields(meta.id, sealed),
      attachmentsOf(meta.id),
      cipher.open(meta.id, CODE_FIELD, meta.sealedCode).catch(() => ''),
      meta.returnTo === undefined ? undefined : cipher.open(meta.id, RETURN_FIELD, meta.returnTo).catch(() => undefined),
    ]);
    return viewFrom(meta, { fields, unreadable, attachments, resumeCode, returnTo });
  }

  async function readView(owner: Owner, id: string): Promise<DraftView> {
    const stored = await guarded(store.read(id, owner.hash));
    if (!stored) throw draftNotFound();
    rememberForm(id, stored.meta.formId);
    return viewOf(stored.meta, stored.fields);
  }

  async function formForWrite(owner: Owner, id: string): Promise<DraftFormConfig> {
    const known = formOfDraft.get(id);
    if (known !== undefined) return settingsOf(known);
    const meta = await guarded(store.readMeta(id, owner.hash));
    if (!meta) throw draftNotFound();
    rememberForm(id, meta.formId);
    return settingsOf(meta.formId);
  }

  function savedOutcome(id: string, form: DraftFormConfig, outcome: WriteOutcome): SavedView {
    if (outcome.ok) {
      if (outcome.refreshLocator) {
        store
          .refreshLocator(outcome.saved.locator, id, form.expireAfter * 1000)
          .catch((error: Error) => logger.warn("resume code could not be given the draft's new life", { draft: id, error: error.message }));
      }
      return { id, revision: outcome.saved.revision, updatedAt: iso(outcome.saved.updatedAt), expiresAt: iso(outcome.saved.expiresAt) };
    }
    switch (outcome.reason) {
      case 'stale':
        throw stale(outcome.revision);
      case 'too-large':
        throw tooLarge(form, outcome.bytes);
      case 'too-many-fields':
        throw tooManyFields(form, outcome.fieldCount);
      case 'over-budget':
        throw storageFull();
      default:
        formOfDraft.delete(id);
        throw draftNotFound();
    }
  }

  async function createDraft(
    owner: Owner,
    input: { formId: unknown; fields: unknown; returnTo: string | undefined },
    clientKey: string,
    span: Span,
  ): Promise<DraftView> {
    if (typeof input.formId !== 'string' || input.formId.length === 0) throw new SanhError('bad_request', 'Say which form this draft is for: "formId".');
    const form = formIdSchema.safeParse(input.formId).success ? service.formSettings(input.formId) : undefined;
    if (!form) throw new SanhError('not_found', `Drafts are not kept for the form "${input.formId.slice(0, 64)}".`);
    await limiter.take('create', clientKey);
    const checked = checkFields(input.fields ?? {}, form, 'replace');
    describeSave(span, 'create', form, checked, true);
    const limits = { maxBytes: form.maxBytes, maxFields: form.maxFields };
    for (let attempt = 0; attempt < 5; attempt++) {
      const id = randomId(16);
      const [{ code, stored }, fields, returnTo] = await Promise.all([
        newCode(id),
        seal(id, checked),
        input.returnTo === undefined ? undefined : cipher.seal(id, RETURN_FIELD, input.returnTo),
      ]);
      const outcome = await guarded(
        store.create({
          id,
          formId: form.id,
          ...stored,
          ownerHash: owner.hash,
          returnTo,
          fields: fields as Record<string, SealedField>,
          ttlMs: form.expireAfter * 1000,
          limits,
          quota: { creator: clientKey, maxLivePerCreator: config.limits.livePerAddress, budgetBytes: config.limits.maxStoredBytes },
        }),
      );
      if (outcome.created) {
        rememberForm(id, form.id);
        const plain = Object.fromEntries(Object.entries(checked).map(([name, field]) => [name, JSON.parse((field as FieldText).json) as unknown]));
        return viewFrom(outcome.meta, { fields: plain, unreadable: [], attachments: [], resumeCode: code.display, returnTo: input.returnTo });
      }
      if (outcome.reason === 'too-large')
        throw tooLarge(
          form,
          Object.values(checked).reduce((sum, field) => sum + (field?.bytes ?? 0), 0),
        );
      if (outcome.reason === 'too-many-fields') throw tooManyFields(form, Object.keys(checked).length);
      if (outcome.reason === 'over-budget') throw storageFull();
      if (outcome.reason === 'creator-full') {
        throw new SanhError(
          'rate_limited',
          `${config.limits.livePerAddress} drafts started from your connection are still kept; delete one you no longer need, or wait until the oldest expires.`,
          {
            retryAfterSeconds: Math.max(1, Math.ceil(outcome.retryAfterMs / 1000)),
            details: { limit: config.limits.livePerAddress },
          },
        );
      }
    }
    throw new SanhError('internal', 'No free resume code was found; please try again.');
  }

  async function writeDraft(owner: Owner, id: string, change: { baseRevision: number; replace: boolean; body: unknown }, span: Span): Promise<SavedView> {
    const cached = formOfDraft.has(id);
    const form = await formForWrite(owner, id);
    let checked: Record<string, FieldText | null>;
    try {
      await limiter.take('write', `${id} ${owner.hash}`);
      checked = checkFields(change.body, form, change.replace ? 'replace' : 'merge');
      describeSave(span, 'update', form, checked, change.replace);
    } catch (error) {
      if (cached && !(await guarded(store.readMeta(id, owner.hash)))) throw draftNotFound();
      throw error;
    }
    const fields = await seal(id, checked);
    const outcome = await guarded(
      store.write(id, owner.hash, {
        baseRevision: change.baseRevision,
        replace: change.replace,
        fields,
        ttlMs: form.expireAfter * 1000,
        limits: { maxBytes: form.maxBytes, maxFields: form.maxFields },
        budgetBytes: config.limits.maxStoredBytes,
      }),
    );
    return savedOutcome(id, form, outcome);
  }

  const service: DraftService = {
    sealer: {
      seal: (draftId, label, text) => cipher.seal(draftId, `\u0000${label}`, text),
      open: (draftId, label, sealed) => cipher.open(draftId, `\u0000${label}`, sealed),
    },

    formSettings(formId) {
      return listed.get(formId) ?? ((config.acceptUnlistedForms ?? true) ? settingsOf(formId) : undefined);
    },

    async existingOwner(cookie) {
      if (cookie === undefined || !OWNER_COOKIE.test(cookie)) return undefined;
      let hash = ownerHashes.get(cookie);
      if (hash === undefined) {
        hash = await ownerHash(cookie);
        remember(ownerHashes, cookie, hash, CACHE_SIZE);
      }
      return { hash };
    },

    async owner(cookie) {
      const existing = await service.existingOwner(cookie);
      if (existing) return existing;
      const fresh = randomId(OWNER_COOKIE_BYTES);
      return { hash: await ownerHash(fresh), newCookie: fresh };
    },

    create: (owner, input, clientKey) => inSpan(SAVE_SPAN, (span) => createDraft(owner, input, clientKey, span)),

    read: readView,

    write: (owner, id, change) => inSpan(SAVE_SPAN, (span) => writeDraft(owner, id, change, span)),

    async remove(owner, id, baseRevision) {
      const outcome = await guarded(store.remove(id, owner.hash, baseRevision));
      if (outcome.removed) {
        formOfDraft.delete(id);
        await options
          .attachments?.()
          ?.removeAll(id)
          .catch((error: Error) => logger.warn('attachments of a deleted draft could not be removed now; the sweep will', { draft: id, error: error.message }));
        return;
      }
      if (outcome.reason === 'stale') throw stale(outcome.revision);
      throw draftNotFound();
    },

    async setAnswer(owner, id, answer) {
      if (typeof answer !== 'string' || normalizeAnswer(answer).length === 0 || answer.length > MAX_ANSWER_LENGTH) {
        throw new SanhError('invalid_draft', `The answer must be 1-${MAX_ANSWER_LENGTH} characters.`, { details: { field: 'answer' } });
      }
      const [hash] = await keyedHashes(answerText(id, answer));
      if (!(await guarded(store.setAnswer(id, owner.hash, hash as string)))) throw draftNotFound();
    },

    async renewCode(owner, id) {
      for (let attempt = 0; attempt < 5; attempt++) {
        const { stored } = await newCode(id);
        const form = await formForWrite(owner, id);
        const outcome = await guarded(store.renewCode(id, owner.hash, stored, form.expireAfter * 1000));
        if (outcome.renewed) return readView(owner, id);
        if (outcome.reason === 'missing') throw draftNotFound();
      }
      throw new SanhError('internal', 'No free resume code was found; please try again.');
    },

    async resume(owner, attempt, clientKey) {
      const code = typeof attempt.code === 'string' ? parseResumeCode(attempt.code) : undefined;
      if (!code) {
        throw new SanhError(
          'resume_code_invalid',
          'That is not a resume code: it has 15 letters and digits, like 7KQ2M-9XD4T-RAWH3. Please check it and type it again.',
        );
      }
      /**
       * A wrong attempt counts against the client address (per minute and per hour) only once it
       * failed: past either limit, wrong attempts answer 429 (the same whether the code found a
       * draft or not), while a right code from the same address, checked first, still works. Each
       * draft's own code locks after `maxFailures` wrong secrets (the store counts them), so a
       * guesser aiming at one draft never touches anyone else's.
       */
      const failedWith = async (error: SanhError): Promise<never> => {
        await limiter.take('resume-burst', clientKey);
        await limiter.take('resume', clientKey);
        throw error;
      };
      const failed = () => failedWith(new SanhError('resume_failed', 'That code, or the answer, does not match a draft. Please check and try again.'));
      const id = await guarded(store.locate(code.locator));
      const formId = id === undefined ? undefined : await guarded(store.formOf(id));
      if (id === undefined || formId === undefined) return failed();
      const form = settingsOf(formId);
      const answer = typeof attempt.answer === 'string' && attempt.answer.length <= MAX_ANSWER_LENGTH ? attempt.answer : '';
      const [codeHashes, answerHashes] = await Promise.all([
        keyedHashes(codeText(code)),
        normalizeAnswer(answer) ? keyedHashes(answerText(id, answer)) : Promise.resolve([]),
      ]);
      const outcome = await guarded(
        store.resume(id, {
          codeHashes,
          answerHashes,
          answerPolicy: form.resumeAnswer,
          ownerHash: owner.hash,
          maxFailures: config.resume.maxFailures,
          lockMs: config.resume.lockFor * 1000,
          maxOwners: MAX_OWNERS,
        }),
      );
      if (outcome.ok) return readView(owner, id);
      if (outcome.reason === 'missing') return failed();
      if (outcome.reason === 'locked') {
        return failedWith(
          new SanhError(
            'resume_locked',
            'This code is locked for a while after too many wrong tries. Try again later, or get a new code on the device where you started.',
            {
              retryAfterSeconds: config.resume.lockFor,
            },
          ),
        );
      }
      if (outcome.reason === 'answer-not-set') {
        return failedWith(
          new SanhError('resume_failed', 'This draft can only be continued elsewhere once an answer is chosen for it on the device where it was started.', {
            details: { reason: 'answer-not-set' },
          }),
        );
      }
      return failed();
    },

    async ownedDraft(owner, id) {
      const meta = await guarded(store.readMeta(id, owner.hash));
      if (!meta) throw draftNotFound();
      rememberForm(id, meta.formId);
      return { id, formId: meta.formId, form: settingsOf(meta.formId), expiresAt: meta.expiresAt };
    },
  };
  return service;
}

/** The stored identity of an owner cookie: its SHA-256 (the cookie itself is never stored). */
async function ownerHash(cookie: string): Promise<string> {
  return encodeBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(`sanh-draft-owner\u0000${cookie}`))));
}
