import type { RoomConfig } from '../config/schema.js';
import type { Clock } from '../platform/clock.js';
import type { KeyRing } from '../platform/keyring.js';
import type { MacFactory } from '../platform/mac.js';
import { randomArgumentId } from '../platform/random-id.js';
import { createTokenSigner } from '../platform/signed-token.js';

/**
 * A staff bypass pass: lets its holder skip one room's line until `expiresAt`. Signed (HMAC, its
 * own derived key) and checked locally by the gate, with no store round trip.
 */
export interface StaffPass {
  room: string;
  /** The pass id, as the audit log names it. */
  id: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

/** The room facts a pass is checked against: its id and the passes revoked in its live settings. */
export type PassRoom = Pick<RoomConfig, 'id' | 'revokedPasses'>;

/** Issues and checks staff passes. Anything forged, expired, revoked or for another room is `undefined`. */
export interface StaffPasses {
  /** A new pass for `room`, valid for `ttlSeconds`, with its token. */
  issue(room: string, ttlSeconds: number): Promise<{ token: string; pass: StaffPass }>;
  /** The pass if `token` is an authentic, unexpired, unrevoked staff pass for `room` (map look-ups once seen). */
  read(token: string | undefined, room: PassRoom): Promise<StaffPass | undefined>;
}

/** True when the room's live settings revoke the pass `id` (in memory, no store round trip; the list holds a week of revocations at most). */
function isRevoked(room: PassRoom, id: string): boolean {
  return room.revokedPasses?.some((entry) => entry.id === id) ?? false;
}

/** The query parameter of a pass link (`/apply?sanh_pass=<token>`). */
export const PASS_LINK_PARAMETER = 'sanh_pass';

function parsePass(value: unknown): StaffPass | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.k !== 's' || typeof v.r !== 'string' || typeof v.i !== 'string' || typeof v.e !== 'number') return undefined;
  return { room: v.r, id: v.i, expiresAt: v.e };
}

/** Creates the staff pass codec on a key ring (MACs by Web Crypto unless `mac` is given). */
export function createStaffPasses(ring: KeyRing, clock: Clock, mac?: MacFactory): StaffPasses {
  const signer = createTokenSigner<StaffPass>({
    ring,
    ...(mac ? { mac } : {}),
    purpose: 'staff-pass',
    parse: parsePass,
    serialize: (pass) => ({ k: 's', r: pass.room, i: pass.id, e: pass.expiresAt }),
    accept: (pass) => pass.expiresAt * 1000 > clock(),
    cacheSize: 1_000,
  });
  return {
    async issue(room, ttlSeconds) {
      const pass: StaffPass = { room, id: randomArgumentId(9), expiresAt: Math.floor(clock() / 1000) + ttlSeconds };
      return { token: await signer.sign(pass), pass };
    },
    async read(token, room) {
      const pass = await signer.verify(token);
      return pass?.room === room.id && !isRevoked(room, pass.id) ? pass : undefined;
    },
  };
}
