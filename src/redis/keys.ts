/**
 * The one place Redis keys are built. Every key of a room carries the room id as a hash tag
 * (`{room}`), so all of a room's keys live on one Redis Cluster slot and one script can touch them.
 */
export interface RoomKeys {
  /** Hash: line counters and token bucket. */
  state: string;
  /** Sorted set: sessions and reserved slots by expiry. */
  active: string;
  /** Sorted set: lapsed reservations by lapse time. */
  lapsed: string;
  /** String used as a BITFIELD: a u32 last-seen time (s) per ticket number. */
  seen: string;
  /** Sorted set: skipped or lapsed tickets whose holders came back, by return time. */
  returned: string;
  /** Hash: visitor id -> "<binding>|<first redemption ms>|<pass generation>" of sessions bound to a client. */
  bindings: string;
  /** Stream: ended or superseded passes (fields v visitor, g generation or "*", u listed until ms), trimmed by age. */
  ended: string;
}

/** Builds the keys of one waiting room. */
export function roomKeys(prefix: string, roomId: string): RoomKeys {
  const base = `${prefix}:{${roomId}}`;
  return {
    state: `${base}:state`,
    active: `${base}:active`,
    lapsed: `${base}:lapsed`,
    seen: `${base}:seen`,
    returned: `${base}:returned`,
    bindings: `${base}:bindings`,
    ended: `${base}:ended`,
  };
}

/** Keys of one event's pre-queue lottery (same hash tag as the room, so its scripts see both). */
export interface LotteryKeys {
  /** Hash: seed, drawn. */
  meta: string;
  /** List: entries in arrival order. */
  entries: string;
  /** Hash: entry -> ticket number, once drawn. */
  tickets: string;
}

/** Builds the keys of one event's lottery. */
export function lotteryKeys(prefix: string, roomId: string, eventId: string): LotteryKeys {
  const base = `${prefix}:{${roomId}}:lottery:${eventId}`;
  return { meta: `${base}:meta`, entries: `${base}:entries`, tickets: `${base}:tickets` };
}

/**
 * Key of a single-use marker (a spent challenge puzzle or proof), kept until the token it stands
 * for would have expired anyway. No hash tag: each marker is read and written alone.
 */
export function onceKey(prefix: string, key: string): string {
  return `${prefix}:once:${key}`;
}

/**
 * Keys of one draft. They share the hash tag `{d:<draft id>}`, so one script sees them all, and
 * every write gives them the same expiry: when the draft expires, everything of it goes at once.
 */
export interface DraftKeys {
  /** Hash: form, revision, times, size, resume code hashes, failures. */
  meta: string;
  /** Hash: field name -> sealed value (AES-GCM ciphertext). */
  fields: string;
  /** Hash: field name -> plaintext bytes (the size limit counts these). */
  sizes: string;
  /** Sorted set: owner hashes by the time they were bound. */
  owners: string;
  /** Hash: upload id -> upload record (JSON) of the draft's attachments. */
  uploads: string;
}

/** Builds the keys of one draft. */
export function draftKeys(prefix: string, draftId: string): DraftKeys {
  const base = `${prefix}:draft:{d:${draftId}}`;
  return { meta: `${base}:meta`, fields: `${base}:fields`, sizes: `${base}:sizes`, owners: `${base}:owners`, uploads: `${base}:uploads` };
}

/**
 * Keys counting the live drafts against the drafts' byte budget and their creators' live-draft
 * limits. They share the hash tag `{draft-quota}` (one slot, apart from the drafts' own), so one
 * script checks and counts a creation atomically; the draft scripts never touch them.
 */
export interface DraftQuotaKeys {
  /** String: the charges of every counted draft together (bytes). */
  total: string;
  /** Hash: draft id -> its charge (bytes). */
  charges: string;
  /** Sorted set: draft id by its expiry (ms), to stop counting expired drafts. */
  expiry: string;
  /** Hash: draft id -> its creator (a client address key). */
  creators: string;
  /** The start of each creator's sorted set (draft id by expiry): `creatorBase + creator`. */
  creatorBase: string;
}

/** Builds the drafts' quota keys. */
export function draftQuotaKeys(prefix: string): DraftQuotaKeys {
  const base = `${prefix}:{draft-quota}`;
  return { total: `${base}:total`, charges: `${base}:charges`, expiry: `${base}:expiry`, creators: `${base}:creators`, creatorBase: `${base}:by:` };
}

/** Key of a resume code's locator, pointing at its draft id (alone on its slot; written once, with NX). */
export function resumeLocatorKey(prefix: string, locator: string): string {
  return `${prefix}:draftcode:${locator}`;
}

/**
 * Keys of one room's submissions. They share the hash tag `{s:<room>}`, so the scripts that move
 * a submission along (log, receipt, idempotency key, dead letters) run on one slot.
 */
export interface SubmissionKeys {
  /** Stream: the room's undelivered submissions in acceptance order (consumer group `forwarders`). */
  stream: string;
  /** Hash: the room's delivery token bucket and pause. */
  bucket: string;
  /** Sorted set: dead-lettered receipt tokens by the time they failed. */
  dead: string;
  /** Prefix of receipt hashes (`<prefix><token>`), also given to scripts that find receipts from the log. */
  receiptPrefix: string;
  receipt(token: string): string;
  /** String: `<fingerprint>|<token>`, or `hold:<fingerprint>` while a straight attempt runs. */
  idempotency(scopedKey: string): string;
  /** Counter of the day's receipt numbers (`YYMMDD`). */
  dayCounter(day: string): string;
  /** Hash: the day's receipt numbers -> tokens. */
  dayNumbers(day: string): string;
  /** Counter: a client's new submissions in the minute that started with its first one (expires with it). */
  clientCount(client: string): string;
  /** String written (short-lived) before a durability wait, so `WAIT` covers every earlier write of the room's primary. */
  fence: string;
  /** Counter: the bytes of the entries in the stream (each entry's `sz` field), against `maxWaitingBytes`. */
  waitingBytes: string;
}

/** Builds the keys of one room's submissions. */
export function submissionKeys(prefix: string, roomId: string): SubmissionKeys {
  const base = `${prefix}:sub:{s:${roomId}}`;
  const receiptPrefix = `${base}:r:`;
  return {
    stream: `${base}:log`,
    bucket: `${base}:bucket`,
    dead: `${base}:dead`,
    receiptPrefix,
    receipt: (token) => `${receiptPrefix}${token}`,
    idempotency: (scopedKey) => `${base}:k:${scopedKey}`,
    dayCounter: (day) => `${base}:n:${day}`,
    dayNumbers: (day) => `${base}:num:${day}`,
    clientCount: (client) => `${base}:lim:${client}`,
    fence: `${base}:fence`,
    waitingBytes: `${base}:bytes`,
  };
}

/** Keys of the operators' live settings (hash tag `{admin}`: one slot, one script). */
export interface AdminKeys {
  /** Hash: room id -> its live overrides (JSON). */
  settings: string;
  /** Counter: bumped by every change; instances poll it. */
  version: string;
  /** List: audit entries (JSON), newest first. */
  audit: string;
  /** String per signed-out dashboard session, expiring with the session. */
  revokedSession(sessionId: string): string;
}

/** Builds the keys of the live settings. */
export function adminKeys(prefix: string): AdminKeys {
  const base = `${prefix}:{admin}`;
  return {
    settings: `${base}:settings`,
    version: `${base}:version`,
    audit: `${base}:audit`,
    revokedSession: (sessionId) => `${base}:revoked-session:${sessionId}`,
  };
}
