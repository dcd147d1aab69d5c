import type { RedisClient } from '../redis/connection.js';
import { submissionKeys, type SubmissionKeys } from '../redis/keys.js';
import { loadScript } from '../redis/scripts.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { receiptDay, type FailureReason, type ReceiptRecord, type StoredState } from './core.js';
import {
  keptSize,
  SUBMISSION_OVERHEAD_BYTES,
  type AcceptOutcome,
  type Backlog,
  type HoldOutcome,
  type NextOutcome,
  type StoredSettlement,
  type SubmissionStore,
} from './store.js';

const LUA_DIR = new URL('./lua/', import.meta.url);
const scripts = {
  accept: loadScript(LUA_DIR, 'accept'),
  hold: loadScript(LUA_DIR, 'hold'),
  release: loadScript(LUA_DIR, 'release'),
  recordDelivered: loadScript(LUA_DIR, 'record-delivered'),
  next: loadScript(LUA_DIR, 'next'),
  settle: loadScript(LUA_DIR, 'settle'),
  retryDead: loadScript(LUA_DIR, 'retry-dead'),
  dropDead: loadScript(LUA_DIR, 'drop-dead'),
  backlog: loadScript(LUA_DIR, 'backlog'),
};

/** The consumer group of every room's forwarders. */
const GROUP = 'forwarders';
/** The receipt fields of `receiptReply` (see `lua/includes/submission.lua`), in order. */
const FIELDS = [
  'id',
  'room',
  'number',
  'state',
  'acceptedAt',
  'updatedAt',
  'attempts',
  'deadlineAt',
  'nextAttemptAt',
  'deliveredAt',
  'originStatus',
  'applicationNumber',
  'problem',
  'failure',
  'hasAnswer',
] as const;

function asArray(reply: unknown, script: string): unknown[] {
  if (!Array.isArray(reply)) throw new Error(`unexpected reply from ${script}.lua`);
  return reply;
}

const text = (value: unknown) => (value === null || value === undefined ? '' : String(value));
const optionalNumber = (value: unknown) => (value === null || value === undefined || value === '' ? undefined : Number(value));

/** A receipt from `receiptReply`'s fields, starting at `from`. */
function receiptFrom(reply: readonly unknown[], from: number): ReceiptRecord {
  const at = (name: (typeof FIELDS)[number]) => reply[from + FIELDS.indexOf(name)];
  const record: ReceiptRecord = {
    id: text(at('id')),
    room: text(at('room')),
    number: text(at('number')),
    state: text(at('state')) as StoredState,
    acceptedAt: Number(at('acceptedAt')),
    updatedAt: Number(at('updatedAt')),
    attempts: Number(at('attempts')),
    deadlineAt: Number(at('deadlineAt')),
    hasAnswer: text(at('hasAnswer')) === '1',
  };
  const nextAttemptAt = optionalNumber(at('nextAttemptAt'));
  const deliveredAt = optionalNumber(at('deliveredAt'));
  const originStatus = optionalNumber(at('originStatus'));
  if (nextAttemptAt !== undefined) record.nextAttemptAt = nextAttemptAt;
  if (deliveredAt !== undefined) record.deliveredAt = deliveredAt;
  if (originStatus !== undefined) record.originStatus = originStatus;
  if (text(at('applicationNumber'))) record.applicationNumber = text(at('applicationNumber'));
  if (text(at('problem'))) record.problem = text(at('problem'));
  if (text(at('failure'))) record.failure = text(at('failure')) as FailureReason;
  return record;
}

/** A known-key outcome (`existing`, `mismatch`, `in-progress`), or undefined for another reply. */
function knownOutcome(reply: readonly unknown[]): Exclude<AcceptOutcome, { kind: 'accepted' | 'full' | 'limited' }> | undefined {
  if (reply[0] === 'existing') return { kind: 'existing', receipt: receiptFrom(reply, 1) };
  if (reply[0] === 'mismatch') return { kind: 'mismatch', receiptId: text(reply[1]) || undefined };
  if (reply[0] === 'in-progress') return { kind: 'in-progress' };
  return undefined;
}

/** Options of the Redis submission store. */
export interface RedisSubmissionStoreOptions {
  client: RedisClient;
  keyPrefix?: string;
  /**
   * With `durability` "fsync" or "replicated": a connection of its own for acceptances and for
   * `WAITAOF` / `WAIT`, which wait for the writes of the connection they are sent on and block it
   * meanwhile (so it must not be the one every other request shares).
   */
  durabilityClient?: RedisClient;
  /** What `confirmDurable` waits for on `durabilityClient` (default: fsync). */
  durability?: DurabilityLevel;
  /** Longest wait for the append-only file or the replicas (ms, default 2,000). */
  durabilityTimeoutMs?: number;
  /** The process's clock, for the day a receipt number belongs to (default: the wall clock). */
  clock?: Clock;
}

/**
 * Submissions in Redis, shared by every instance. Each room's undelivered submissions are a
 * Redis Stream read by the consumer group `forwarders` (one consumer per instance); receipts,
 * idempotency keys and dead letters sit beside it under the room's hash tag `{s:<room>}`. Every
 * step is one Lua script (`lua/`); the stream keeps only what is not delivered yet (delivered
 * entries are acknowledged and deleted, the receipt keeps the outcome).
 */
export function createRedisSubmissionStore(options: RedisSubmissionStoreOptions): SubmissionStore {
  const { client } = options;
  const prefix = options.keyPrefix ?? 'sanh';
  const clock = options.clock ?? systemClock;
  const keysOf = new Map<string, SubmissionKeys>();
  const keys = (room: string) => {
    let found = keysOf.get(room);
    if (!found) {
      found = submissionKeys(prefix, room);
      keysOf.set(room, found);
    }
    return found;
  };
  const durability = createDurabilityCheck(options.durabilityClient, options.durability ?? { kind: 'fsync' }, options.durabilityTimeoutMs ?? 2_000, keys);
  /** Acknowledged writes go on the connection WAIT and WAITAOF are asked on: they wait for that connection's writes. */
  const writer = options.durabilityClient ?? client;

  return {
    durable: true,
    async accept(room, submission) {
      const k = keys(room);
      const day = receiptDay(clock());
      const limits = submission.limits ?? [];
      if (limits.length > 2) throw new Error('the Redis submission store takes at most two rate limits');
      const reply = asArray(
        await scripts.accept.run(
          writer,
          [
            k.stream,
            k.receipt(submission.token),
            k.idempotency(submission.key),
            k.dayCounter(day),
            k.dayNumbers(day),
            k.clientCount(limits[0]?.client ?? '-'),
            k.clientCount(limits[1]?.client ?? '-'),
            k.waitingBytes,
          ],
          [
            GROUP,
            k.receiptPrefix,
            submission.token,
            `${room}.${submission.token}`,
            room,
            day,
            submission.request,
            submission.fingerprint,
            submission.keyTtlMs,
            submission.ttlMs,
            submission.deadlineMs,
            submission.fromHold ? '1' : '0',
            submission.maxBacklog ?? '',
            limits[0]?.perMinute ?? '',
            limits[1]?.perMinute ?? '',
            submission.maxBytes ?? '',
            keptSize(submission.request),
          ],
        ),
        'accept',
      );
      if (reply[0] === 'accepted') return { kind: 'accepted', receipt: receiptFrom(reply, 1) };
      if (reply[0] === 'full') return { kind: 'full', by: reply[1] === 'bytes' ? 'bytes' : 'count' };
      if (reply[0] === 'limited') return { kind: 'limited', retryAfterMs: Number(reply[1]) };
      const known = knownOutcome(reply);
      if (!known) throw new Error('unexpected reply from accept.lua');
      return known;
    },
    async hold(room, key, fingerprint, holdMs): Promise<HoldOutcome> {
      const k = keys(room);
      const reply = asArray(await scripts.hold.run(client, [k.idempotency(key)], [k.receiptPrefix, fingerprint, holdMs]), 'hold');
      if (reply[0] === 'held') return { kind: 'held' };
      const known = knownOutcome(reply);
      if (!known) throw new Error('unexpected reply from hold.lua');
      return known;
    },
    async release(room, key) {
      await scripts.release.run(client, [keys(room).idempotency(key)], []);
    },
    async recordDelivered(room, submission, settlement) {
      const k = keys(room);
      const day = receiptDay(clock());
      const reply = asArray(
        await scripts.recordDelivered.run(
          writer,
          [k.receipt(submission.token), k.idempotency(submission.key), k.dayCounter(day), k.dayNumbers(day)],
          [
            submission.token,
            `${room}.${submission.token}`,
            room,
            day,
            submission.request,
            submission.fingerprint,
            submission.keyTtlMs,
            submission.ttlMs,
            settlement.status,
            settlement.applicationNumber ?? '',
            settlement.answer ?? '',
          ],
        ),
        'record-delivered',
      );
      return receiptFrom(reply, 0);
    },
    confirmDurable: (room, receiptId) => durability(room, receiptId.slice(receiptId.indexOf('.') + 1)),
    async receipt(room, token) {
      const key = keys(room).receipt(token);
      const reply = await client.hmget(key, ...FIELDS, 'ans');
      if (reply[0] === null) return undefined;
      return { receipt: receiptFrom(reply, 0), answer: reply[FIELDS.length] ?? undefined };
    },
    async findByNumber(room, number) {
      const token = await client.hget(keys(room).dayNumbers(number.slice(0, 6)), number);
      if (!token) return undefined;
      return (await client.exists(keys(room).receipt(token))) === 1 ? `${room}.${token}` : undefined;
    },
    async next(room, consumer, policy): Promise<NextOutcome> {
      const k = keys(room);
      const reply = asArray(
        await scripts.next.run(
          client,
          [k.stream, k.bucket, k.dead, k.waitingBytes],
          [GROUP, consumer, policy.perSecond, policy.burst, policy.reclaimAfterMs, policy.orderedAttempts, k.receiptPrefix],
        ),
        'next',
      );
      if (reply[0] === 'wait') return { kind: 'wait', ms: Number(reply[1]) };
      return { kind: 'deliver', delivery: { storeNow: Number(reply[1]), entryId: text(reply[2]), request: text(reply[3]), receipt: receiptFrom(reply, 4) } };
    },
    async settle(room, consumer, delivery, settlement: StoredSettlement) {
      const k = keys(room);
      const token = delivery.receipt.id.slice(delivery.receipt.id.indexOf('.') + 1);
      const args: (string | number)[] = [GROUP, consumer, delivery.entryId, token, settlement.kind];
      if (settlement.kind === 'delivered') args.push(settlement.status, settlement.applicationNumber ?? '', settlement.answer ?? '');
      else if (settlement.kind === 'retry') args.push(settlement.delayMs, settlement.problem, settlement.pauseRoomMs ?? '');
      else args.push(settlement.reason, settlement.problem, settlement.status ?? '', settlement.answer ?? '');
      return Number(await scripts.settle.run(client, [k.stream, k.receipt(token), k.bucket, k.dead, k.waitingBytes], args)) === 1;
    },
    async backlog(room): Promise<Backlog> {
      const k = keys(room);
      const [waiting, delivering, retrying, dead, oldestAgeMs] = asArray(await scripts.backlog.run(client, [k.stream, k.dead], [GROUP]), 'backlog');
      // The oldest's age on Redis' clock, placed on this process's clock (the two may differ).
      const age = optionalNumber(oldestAgeMs);
      return {
        waiting: Number(waiting ?? 0),
        delivering: Number(delivering ?? 0),
        retrying: Number(retrying ?? 0),
        dead: Number(dead ?? 0),
        oldestAt: age === undefined ? null : clock() - age,
      };
    },
    async waitingBytes(room) {
      return Math.max(0, Number((await client.get(keys(room).waitingBytes)) ?? 0) || 0);
    },
    async deadLetters(room, limit) {
      const k = keys(room);
      const tokens = await client.zrange(k.dead, 0, Math.max(0, limit - 1));
      const out: ReceiptRecord[] = [];
      for (const token of tokens) {
        const reply = await client.hmget(k.receipt(token), ...FIELDS);
        if (reply[0] === null) await client.zrem(k.dead, token);
        else out.push(receiptFrom(reply, 0));
      }
      return out;
    },
    async retryDead(room, token, deadlineMs) {
      const k = keys(room);
      return (
        Number(
          await scripts.retryDead.run(client, [k.stream, k.receipt(token), k.dead, k.waitingBytes], [GROUP, token, deadlineMs, SUBMISSION_OVERHEAD_BYTES]),
        ) === 1
      );
    },
    async dropDead(room, token) {
      const k = keys(room);
      return Number(await scripts.dropDead.run(client, [k.receipt(token), k.dead], [token])) === 1;
    },
    async close() {
      if (options.durabilityClient) await options.durabilityClient.quit().catch(() => options.durabilityClient?.disconnect());
    },
  };
}

/** What `confirmDurable` waits for: the primary's append-only file, or replicas. */
export type DurabilityLevel = { kind: 'fsync' } | { kind: 'replicated'; replicas: number };

/** How the fsync level is confirmed on this Redis, found out once (and again after a failure or a reconnection). */
type FsyncMode = 'waitaof' | 'always';
/** Whether the replicated level also waits for the primary's append-only file. */
type AofMode = 'waitaof' | 'none';

/** Callers waiting for one confirmation of their room. */
interface Batch {
  tokens: Set<string>;
  waiters: { resolve: () => void; reject: (error: unknown) => void }[];
}

/**
 * The durability confirmation, on the dedicated connection that carried the acknowledged writes.
 * One pipeline per confirmation, all of it on the room's shard (a Cluster routes a pipeline by its
 * keyed commands): `EXISTS` of the receipts being confirmed (proving they are in the dataset of
 * the node that answers: a pipeline sent to another node after a failover gets `MOVED` and fails),
 * a short-lived write to the room's fence key (so the wait covers every earlier write of that
 * primary, from any connection, also a replay's original), then the wait. Any error in the
 * pipeline fails it. Callers of one room arriving while a confirmation runs share the next one.
 *
 * - `fsync`: `WAITAOF 1 0 <timeout>` (Redis 7.2+). Before 7.2 there is no `WAITAOF`: writes are on
 *   disk when acknowledged only with `appendonly yes` and `appendfsync always`, which is checked.
 * - `replicated`: `WAIT <replicas> <timeout>`: the write reached that many replicas. Where the
 *   primary has `appendonly yes` and `WAITAOF` exists, it must also be on the primary's disk.
 *
 * Anything short of that throws: the caller must not acknowledge.
 */
function createDurabilityCheck(
  connection: RedisClient | undefined,
  level: DurabilityLevel,
  timeoutMs: number,
  keys: (room: string) => SubmissionKeys,
): (room: string, token: string) => Promise<void> {
  let fsyncMode: FsyncMode | undefined;
  let aofMode: AofMode | undefined;
  const forget = () => {
    fsyncMode = undefined;
    aofMode = undefined;
  };
  // A reconnection may be to another primary (a failover), with another configuration.
  connection?.on('ready', forget);
  const pending = new Map<string, Batch>();
  const running = new Set<string>();

  /** Runs `commands` in one pipeline on the shard of `room`'s keys, behind `EXISTS` of `receiptKeys` (or of the fence); every reply, or the first error thrown. */
  async function onRoomShard(redis: RedisClient, room: string, receiptKeys: readonly string[], commands: readonly (readonly string[])[]): Promise<unknown[]> {
    const pipeline = redis.pipeline().exists(...(receiptKeys.length > 0 ? receiptKeys : [keys(room).fence]));
    for (const [command, ...args] of commands) pipeline.call(command!, ...args);
    const replies = (await pipeline.exec()) ?? [];
    if (replies.length !== commands.length + 1) throw new Error('the durability pipeline was not answered in full');
    for (const [error] of replies) if (error) throw error;
    return replies.map(([, reply]) => reply);
  }
  async function hasWaitAof(redis: RedisClient, room: string): Promise<boolean> {
    try {
      await onRoomShard(redis, room, [], [['WAITAOF', '0', '0', '1']]);
      return true;
    } catch (error) {
      if (error instanceof Error && /unknown command/i.test(error.message)) return false;
      throw error;
    }
  }
  async function appendOnly(redis: RedisClient, room: string): Promise<{ appendonly: string; appendfsync: string }> {
    const [, appendonly, appendfsync] = await onRoomShard(
      redis,
      room,
      [],
      [
        ['CONFIG', 'GET', 'appendonly'],
        ['CONFIG', 'GET', 'appendfsync'],
      ],
    );
    return { appendonly: String((appendonly as string[])[1] ?? ''), appendfsync: String((appendfsync as string[])[1] ?? '') };
  }
  async function detectFsync(redis: RedisClient, room: string): Promise<FsyncMode> {
    if (await hasWaitAof(redis, room)) return 'waitaof';
    const { appendonly, appendfsync } = await appendOnly(redis, room);
    if (appendonly === 'yes' && appendfsync === 'always') return 'always';
    throw new Error(
      `durability "fsync" needs WAITAOF (Redis 7.2+) or appendonly yes with appendfsync always; this Redis has appendonly ${appendonly}, appendfsync ${appendfsync}`,
    );
  }
  /** A managed Redis may refuse `CONFIG`: then its AOF is not known, and the replicas' `WAIT` is what is confirmed. */
  async function detectAof(redis: RedisClient, room: string): Promise<AofMode> {
    if (!(await hasWaitAof(redis, room))) return 'none';
    const { appendonly } = await appendOnly(redis, room).catch(() => ({ appendonly: 'unknown' }));
    return appendonly === 'yes' ? 'waitaof' : 'none';
  }
  async function confirm(redis: RedisClient, room: string, tokens: readonly string[]): Promise<void> {
    const k = keys(room);
    const fence = ['SET', k.fence, '1', 'PX', '60000'];
    const waitAof = ['WAITAOF', '1', '0', String(timeoutMs)];
    const commands: string[][] = [fence];
    if (level.kind === 'fsync') {
      const mode = (fsyncMode ??= await detectFsync(redis, room));
      if (mode === 'waitaof') commands.push(waitAof);
    } else {
      const mode = (aofMode ??= await detectAof(redis, room));
      commands.push(['WAIT', String(level.replicas), String(timeoutMs)]);
      if (mode === 'waitaof') commands.push(waitAof);
    }
    const [present, , ...waits] = await onRoomShard(
      redis,
      room,
      tokens.map((token) => k.receipt(token)),
      commands,
    );
    if (Number(present) !== tokens.length) throw new Error(`${tokens.length - Number(present)} receipt(s) to confirm are not on the Redis that answered`);
    for (const [i, reply] of waits.entries()) {
      const command = commands[i + 1]![0];
      if (command === 'WAIT' && Number(reply) < (level.kind === 'replicated' ? level.replicas : 0)) {
        throw new Error(`WAIT: ${Number(reply)} of ${level.kind === 'replicated' ? level.replicas : 0} replica(s) confirmed the write within ${timeoutMs} ms`);
      }
      if (command === 'WAITAOF' && Number((reply as number[])[0]) < 1)
        throw new Error(`WAITAOF: the write did not reach the append-only file within ${timeoutMs} ms`);
    }
  }
  async function drain(redis: RedisClient, room: string): Promise<void> {
    running.add(room);
    try {
      for (let batch = pending.get(room); batch; batch = pending.get(room)) {
        pending.delete(room);
        try {
          await confirm(redis, room, [...batch.tokens]);
          for (const waiter of batch.waiters) waiter.resolve();
        } catch (error) {
          forget();
          for (const waiter of batch.waiters) waiter.reject(error);
        }
      }
    } finally {
      running.delete(room);
    }
  }
  return (room, token) => {
    if (!connection) return Promise.reject(new Error(`durability "${level.kind}" needs a dedicated Redis connection`));
    const batch = pending.get(room) ?? { tokens: new Set<string>(), waiters: [] };
    pending.set(room, batch);
    batch.tokens.add(token);
    const confirmed = new Promise<void>((resolve, reject) => batch.waiters.push({ resolve, reject }));
    if (!running.has(room)) void drain(connection, room);
    return confirmed;
  };
}
