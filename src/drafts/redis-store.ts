import { pingPrimaries, type RedisClient } from '../redis/connection.js';
import { draftKeys, draftQuotaKeys, resumeLocatorKey } from '../redis/keys.js';
import { loadScript } from '../redis/scripts.js';
import { locatorTtl } from './core.js';
import { DRAFT_OVERHEAD_BYTES, type DraftMeta, type DraftStore, type SealedField } from './store.js';

const LUA_DIR = new URL('./lua/', import.meta.url);
const scripts = {
  create: loadScript(LUA_DIR, 'create'),
  read: loadScript(LUA_DIR, 'read'),
  write: loadScript(LUA_DIR, 'write'),
  reseal: loadScript(LUA_DIR, 'reseal'),
  remove: loadScript(LUA_DIR, 'remove'),
  resume: loadScript(LUA_DIR, 'resume'),
  setAnswer: loadScript(LUA_DIR, 'set-answer'),
  renewCode: loadScript(LUA_DIR, 'renew-code'),
  quotaReserve: loadScript(LUA_DIR, 'quota-reserve'),
  quotaSettle: loadScript(LUA_DIR, 'quota-settle'),
  quotaRelease: loadScript(LUA_DIR, 'quota-release'),
  quotaView: loadScript(LUA_DIR, 'quota-view'),
};

function asArray(reply: unknown, script: string): unknown[] {
  if (!Array.isArray(reply)) throw new Error(`unexpected reply from ${script}.lua`);
  return reply;
}

/** How long a save trusts the count of the drafts' bytes from the last quota reply (ms). */
const KNOWN_FOR_MS = 1_000;

const text = (value: unknown) => (value === null || value === undefined ? '' : String(value));

/** The meta from `metaReply` (see `lua/includes/draft.lua`), starting at `from`. */
function metaFrom(id: string, reply: readonly unknown[], from: number): DraftMeta {
  const at = (i: number) => reply[from + i];
  return {
    id,
    revision: Number(at(0)),
    createdAt: Number(at(1)),
    updatedAt: Number(at(2)),
    expiresAt: Number(at(3)),
    bytes: Number(at(4)),
    fieldCount: Number(at(5)),
    formId: text(at(6)),
    returnTo: text(at(7)) || undefined,
    sealedCode: text(at(8)),
    answerSet: Number(at(9)) === 1,
    locator: text(at(10)),
  };
}

function fieldArgs(fields: Record<string, SealedField | null>): (string | number)[] {
  const entries = Object.entries(fields);
  const args: (string | number)[] = [entries.length];
  for (const [name, field] of entries) args.push(name, field?.sealed ?? '', field?.bytes ?? 0);
  return args;
}

/**
 * Drafts in Redis, shared by every instance. Each operation is one Lua script (`lua/`) on the
 * draft's keys, which share the hash tag `{d:<id>}` and one expiry, refreshed on every write, so
 * Redis itself deletes a draft when it expires. The resume-code locator lives on its own key
 * (another slot), set with `SET NX` at creation and given the draft's life again now and then.
 *
 * Counting (drafts created with a quota): the counts live on their own slot (`draftQuotaKeys`).
 * A creation is counted first (`quota-reserve.lua`: the creator's live drafts and the budget,
 * checked and counted in one step, so racing creations never pass either), and uncounted again
 * when the draft's own script refuses it. A write that sets fields hands what the counted
 * drafts take (from this instance's last quota reply, at most a second old, else
 * `quota-view.lua`) to `write.lua`, which refuses growth past the budget; then
 * `quota-settle.lua` records the change (and its reply is the next count). Writes on different
 * drafts racing at the edge of the budget can pass it by their growth within that second at
 * most; creations never do.
 */
export function createRedisDraftStore(options: { client: RedisClient; keyPrefix?: string }): DraftStore {
  const { client } = options;
  const prefix = options.keyPrefix ?? 'sanh';
  const keysOf = (id: string) => draftKeys(prefix, id);
  const all = (id: string) => {
    const k = keysOf(id);
    return [k.meta, k.fields, k.sizes, k.owners, k.uploads];
  };
  const q = draftQuotaKeys(prefix);
  const quotaKeys = [q.total, q.charges, q.expiry, q.creators];
  /** What the counted drafts took in the last quota reply, and when (performance.now(): timing only): a save reuses it for a second. */
  let known: { bytes: number; at: number } | undefined;
  const seen = (bytes: number) => {
    known = { bytes, at: performance.now() };
    return bytes;
  };
  const release = async (id: string) => seen(Number(await scripts.quotaRelease.run(client, quotaKeys, [q.creatorBase, id])));
  async function view(): Promise<{ bytes: number; drafts: number }> {
    const reply = asArray(await scripts.quotaView.run(client, quotaKeys, [q.creatorBase]), 'quota-view');
    return { bytes: seen(Number(reply[0])), drafts: Number(reply[1]) };
  }
  async function usedBytes(): Promise<number> {
    return known && performance.now() - known.at < KNOWN_FOR_MS ? known.bytes : (await view()).bytes;
  }

  return {
    async create(draft) {
      const locatorKey = resumeLocatorKey(prefix, draft.locator);
      const reserved = await client.set(locatorKey, draft.id, 'PX', locatorTtl(draft.ttlMs), 'NX');
      if (reserved !== 'OK') return { created: false, reason: 'locator-taken' };
      const fields = fieldArgs(draft.fields);
      if (draft.quota) {
        let charge = DRAFT_OVERHEAD_BYTES;
        for (const field of Object.values(draft.fields)) charge += field.bytes;
        const counted = asArray(
          await scripts.quotaReserve.run(client, quotaKeys, [
            q.creatorBase,
            draft.id,
            charge,
            draft.ttlMs,
            draft.quota.creator,
            draft.quota.maxLivePerCreator,
            draft.quota.budgetBytes,
          ]),
          'quota-reserve',
        );
        if (counted[0] !== 'creator-full') seen(Number(counted[1]));
        if (counted[0] !== 'ok') {
          await client.del(locatorKey);
          return counted[0] === 'creator-full'
            ? { created: false, reason: 'creator-full', retryAfterMs: Number(counted[1]) }
            : { created: false, reason: 'over-budget', usedBytes: Number(counted[1]) };
        }
      }
      const reply = asArray(
        await scripts.create.run(client, all(draft.id), [
          draft.formId,
          draft.ttlMs,
          draft.returnTo ?? '',
          draft.locator,
          draft.codeHash,
          draft.sealedCode,
          draft.ownerHash,
          draft.limits.maxBytes,
          draft.limits.maxFields,
          ...fields,
        ]),
        'create',
      );
      if (reply[0] !== 'created') {
        await client.del(locatorKey);
        if (draft.quota) await release(draft.id);
        return { created: false, reason: reply[0] === 'too-large' ? 'too-large' : 'too-many-fields' };
      }
      return { created: true, meta: metaFrom(draft.id, reply, 1) };
    },

    async read(id, ownerHash) {
      const k = keysOf(id);
      const reply = await scripts.read.run(client, [k.meta, k.fields, k.owners], [ownerHash, 1]);
      if (!Array.isArray(reply)) return undefined;
      const flat = asArray(reply[11], 'read');
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = String(flat[i + 1]);
      return { meta: metaFrom(id, reply, 0), fields };
    },

    async readMeta(id, ownerHash) {
      const k = keysOf(id);
      const reply = await scripts.read.run(client, [k.meta, k.fields, k.owners], [ownerHash, 0]);
      return Array.isArray(reply) ? metaFrom(id, reply, 0) : undefined;
    },

    async write(id, ownerHash, change) {
      // Only a change that sets something can grow a draft: only then is the budget read.
      const grows = change.budgetBytes !== undefined && Object.values(change.fields).some((field) => field !== null && field.bytes > 0);
      const budget = grows ? [await usedBytes(), change.budgetBytes ?? 0] : ['', 0];
      const reply = asArray(
        await scripts.write.run(client, all(id), [
          ownerHash,
          change.baseRevision,
          change.replace ? 1 : 0,
          change.ttlMs,
          change.limits.maxBytes,
          change.limits.maxFields,
          ...budget,
          ...fieldArgs(change.fields),
        ]),
        'write',
      );
      switch (reply[0]) {
        case 'ok':
          seen(Number(await scripts.quotaSettle.run(client, quotaKeys, [q.creatorBase, id, Number(reply[5]) - Number(reply[8]), Number(reply[4])])));
          return {
            ok: true,
            refreshLocator: Number(reply[1]) === 1,
            saved: {
              revision: Number(reply[2]),
              updatedAt: Number(reply[3]),
              expiresAt: Number(reply[4]),
              bytes: Number(reply[5]),
              fieldCount: Number(reply[6]),
              locator: text(reply[7]),
            },
          };
        case 'stale':
          return { ok: false, reason: 'stale', revision: Number(reply[1]) };
        case 'too-large':
          return { ok: false, reason: 'too-large', bytes: Number(reply[1]) };
        case 'too-many-fields':
          return { ok: false, reason: 'too-many-fields', fieldCount: Number(reply[1]) };
        case 'over-budget':
          return { ok: false, reason: 'over-budget', usedBytes: Number(reply[1]) };
        default:
          return { ok: false, reason: 'missing' };
      }
    },

    async reseal(id, values) {
      const entries = Object.entries(values);
      if (entries.length === 0) return 0;
      const args: (string | number)[] = [entries.length];
      for (const [name, { from, to }] of entries) args.push(name, from, to);
      return Number(await scripts.reseal.run(client, [keysOf(id).fields], args));
    },

    async remove(id, ownerHash, baseRevision) {
      const reply = asArray(await scripts.remove.run(client, all(id), [ownerHash, baseRevision ?? '']), 'remove');
      if (reply[0] === 'removed') {
        await release(id);
        const locator = text(reply[1]);
        const locatorKey = resumeLocatorKey(prefix, locator);
        if ((await client.get(locatorKey)) === id) await client.del(locatorKey);
        return { removed: true, locator };
      }
      if (reply[0] === 'stale') return { removed: false, reason: 'stale', revision: Number(reply[1]) };
      return { removed: false, reason: 'missing' };
    },

    async locate(locator) {
      return (await client.get(resumeLocatorKey(prefix, locator))) ?? undefined;
    },

    async formOf(id) {
      return (await client.hget(keysOf(id).meta, 'form')) ?? undefined;
    },

    async renewCode(id, ownerHash, code, ttlMs) {
      const k = keysOf(id);
      const locatorKey = resumeLocatorKey(prefix, code.locator);
      if ((await client.set(locatorKey, id, 'PX', locatorTtl(ttlMs), 'NX')) !== 'OK') return { renewed: false, reason: 'locator-taken' };
      const reply = await scripts.renewCode.run(client, [k.meta, k.fields, k.owners], [ownerHash, code.locator, code.codeHash, code.sealedCode]);
      if (!Array.isArray(reply)) {
        await client.del(locatorKey);
        return { renewed: false, reason: 'missing' };
      }
      const old = text(reply[0]);
      if ((await client.get(resumeLocatorKey(prefix, old))) === id) await client.del(resumeLocatorKey(prefix, old));
      return { renewed: true, meta: metaFrom(id, reply, 1) };
    },

    async refreshLocator(locator, draftId, ttlMs) {
      const locatorKey = resumeLocatorKey(prefix, locator);
      if ((await client.get(locatorKey)) === draftId) await client.pexpire(locatorKey, locatorTtl(ttlMs));
    },

    async resume(id, attempt) {
      const k = keysOf(id);
      const reply = asArray(
        await scripts.resume.run(
          client,
          [k.meta, k.fields, k.owners],
          [
            attempt.ownerHash,
            attempt.answerPolicy,
            attempt.maxFailures,
            attempt.maxOwners,
            attempt.lockMs,
            attempt.codeHashes.length,
            ...attempt.codeHashes,
            attempt.answerHashes.length,
            ...attempt.answerHashes,
          ],
        ),
        'resume',
      );
      const reason = reply[0];
      if (reason === 'ok') return { ok: true, meta: metaFrom(id, reply, 1) };
      if (reason === 'missing' || reason === 'locked') return { ok: false, reason };
      if (reason === 'wrong-code' || reason === 'wrong-answer' || reason === 'answer-not-set') return { ok: false, reason, failures: Number(reply[1]) };
      throw new Error(`unexpected reply from resume.lua: ${String(reason)}`);
    },

    async setAnswer(id, ownerHash, answerHash) {
      const k = keysOf(id);
      return Number(await scripts.setAnswer.run(client, [k.meta, k.owners], [ownerHash, answerHash])) === 1;
    },

    async usage() {
      return view();
    },

    async ping() {
      await pingPrimaries(client);
    },

    async close() {},
  };
}
