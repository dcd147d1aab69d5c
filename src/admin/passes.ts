import { z } from 'zod';
import type { RoomConfig } from '../config/schema.js';
import { durationField, parseDuration } from '../config/duration.js';
import { SanhError } from '../platform/errors.js';
import type { Clock } from '../platform/clock.js';
import { PASS_LINK_PARAMETER, type StaffPasses } from '../waiting-room/staff-pass.js';
import type { LiveSettings } from './live.js';
import type { SettingsStore } from './settings-store.js';
import { namedProblems } from './settings.js';

/** A staff pass's lifetime when the request names none. */
const DEFAULT_PASS_TTL = '8h';
/** The longest a staff pass may live (they cannot be revoked before they expire). */
const MAX_PASS_SECONDS = 7 * 86_400;

/** `POST /api/rooms/<id>/passes`: how long the pass lives and whom it is for. */
const passRequestSchema = z
  .object({
    ttl: durationField(60, MAX_PASS_SECONDS).optional().describe(`How long the pass is valid, e.g. "2h" (default ${DEFAULT_PASS_TTL}, at most 7d).`),
    note: z.string().trim().min(1).max(200).optional().describe('Whom the pass is for (kept in the audit log).'),
  })
  .strict();

/** What the API answers for an issued pass. */
export interface IssuedPass {
  room: string;
  id: string;
  /** The token, for the `Sanh-Bypass` header or `sanh_bypass` cookie. */
  pass: string;
  /** A link that sets the cookie: the room's first host (https) and path, or the path alone when the room names no host. */
  url: string;
  expiresAt: string;
}

/** The pass link of a room: `https://<host><path>?sanh_pass=<token>`, or the path alone without a plain host. */
function passLink(room: RoomConfig, token: string): string {
  const host = room.hosts?.find((name) => !name.startsWith('*.'));
  const path = room.match[0] ?? '/';
  return `${host ? `https://${host}` : ''}${path}?${PASS_LINK_PARAMETER}=${encodeURIComponent(token)}`;
}

/**
 * Issues a staff pass for a room after validating the request like the config file (every bad
 * field named) and recording it in the audit log (`action: "pass"`, the pass id, note and expiry,
 * never the token). A pass whose audit entry could not be stored is not handed out.
 */
export async function issuePass(
  deps: { passes: StaffPasses; store: SettingsStore; clock: Clock },
  room: RoomConfig,
  input: unknown,
  by: string,
): Promise<IssuedPass> {
  const parsed = passRequestSchema.safeParse(input);
  if (!parsed.success) {
    const problems = namedProblems(parsed.error.issues);
    throw new SanhError('bad_request', `The pass was refused: ${problems.join('; ')}`, { details: { problems } });
  }
  const ttlSeconds = parsed.data.ttl ?? (parseDuration(DEFAULT_PASS_TTL) as number);
  const { token, pass } = await deps.passes.issue(room.id, ttlSeconds);
  const expiresAt = new Date(pass.expiresAt * 1000).toISOString();
  const after = { pass: pass.id, expiresAt, ...(parsed.data.note ? { note: parsed.data.note } : {}) };
  try {
    await deps.store.record({ at: new Date(deps.clock()).toISOString(), by, room: room.id, action: 'pass', before: null, after });
  } catch (error) {
    throw new SanhError('store_unavailable', 'The pass could not be recorded in the audit log; none was issued.', { cause: error, retryAfterSeconds: 5 });
  }
  return { room: room.id, id: pass.id, pass: token, url: passLink(room, token), expiresAt };
}

const PASS_ID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Revokes a staff pass by its id (as `POST …/passes` answered it and the audit log names it)
 * through the room's live settings: every instance stops honouring it within a second (the gate
 * reads the list in memory, no store round trip), and the change is audited (`revoke-pass`).
 * Each id is kept for the longest life a pass can have, then forgotten; revoking it again changes
 * nothing.
 */
export async function revokePass(
  live: LiveSettings,
  room: RoomConfig,
  passId: string,
  by: string,
  clock: Clock,
): Promise<{ room: string; id: string; revoked: true }> {
  if (!PASS_ID.test(passId)) throw new SanhError('bad_request', `"${passId}" is not a pass id.`);
  await live.update(
    room.id,
    (current) => {
      const now = clock();
      const kept = (current.revokedPasses ?? []).filter((entry) => Date.parse(entry.until) > now);
      if (kept.some((entry) => entry.id === passId)) return undefined;
      return { revokedPasses: [...kept, { id: passId, until: new Date(now + MAX_PASS_SECONDS * 1000).toISOString() }] };
    },
    by,
    'revoke-pass',
  );
  return { room: room.id, id: passId, revoked: true };
}
