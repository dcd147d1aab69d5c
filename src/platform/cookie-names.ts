/**
 * Every cookie Sảnh sets, in one registry. Each name starts with `SANH_COOKIE_PREFIX`, which is
 * how the proxy keeps them all from the origin (`isSanhCookie`, used by `stripSanhCookies`): a
 * cookie added here is stripped without a second list to keep in step.
 */
export const SANH_COOKIE_PREFIX = 'sanh_';

/** The names, by what they hold. Room-scoped cookies take the room's id. */
export const SANH_COOKIES = {
  /** A visitor's admission to a room (`waiting-room/tokens.ts`). */
  pass: (roomId: string) => `${SANH_COOKIE_PREFIX}pass_${roomId}`,
  /** A visitor's place in a room's line. */
  ticket: (roomId: string) => `${SANH_COOKIE_PREFIX}ticket_${roomId}`,
  /** A solved join challenge, good for one join (`waiting-room/challenge/`). */
  proof: (roomId: string) => `${SANH_COOKIE_PREFIX}proof_${roomId}`,
  /** A staff pass or bypass secret (`waiting-room/bypass.ts`). */
  bypass: `${SANH_COOKIE_PREFIX}bypass`,
  /** An operator's dashboard session (`admin/dashboard/session.ts`). */
  adminSession: `${SANH_COOKIE_PREFIX}admin`,
  /** The device that owns drafts (`drafts/access.ts`). */
  draftOwner: `${SANH_COOKIE_PREFIX}draft_owner`,
} as const;

/** True for a cookie of Sảnh's own, which the origin must never see. */
export function isSanhCookie(name: string): boolean {
  return name.startsWith(SANH_COOKIE_PREFIX);
}
