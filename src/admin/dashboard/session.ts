import { SANH_COOKIES } from '../../platform/cookie-names.js';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { randomId } from '../../platform/random-id.js';
import type { AdminToken } from '../tokens.js';

/** The dashboard's sign-in cookie. */
export const SESSION_COOKIE = SANH_COOKIES.adminSession;
/** How long a sign-in lasts. */
export const SESSION_SECONDS = 12 * 3_600;

const mac = (secret: string, purpose: string, data: string) => createHmac('sha256', secret).update(`${purpose}\n${data}`).digest('base64url');

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * A dashboard session: `<token id>.<expiry in unix seconds>.<session id>.<HMAC>`, keyed by the
 * token's own secret. Any instance with the same `SANH_ADMIN_TOKEN` accepts it, a restart keeps
 * it, and changing or removing a token ends its sessions. The random session id is what signing
 * out revokes (in the settings store, shared by every instance). The cookie never holds the secret.
 */
export function issueSession(token: AdminToken, nowMs: number, sessionId = randomId(16)): string {
  const data = `${token.id}.${Math.floor(nowMs / 1000) + SESSION_SECONDS}.${sessionId}`;
  return `${data}.${mac(token.secret, 'dashboard-session', data)}`;
}

/** A genuine, unexpired session: its token, id and expiry (ms). */
export interface DashboardSession {
  token: AdminToken;
  id: string;
  expiresAtMs: number;
}

/** The session a cookie holds, when it is genuine and not expired (revocation is checked by the caller, in the store). */
export function readSession(value: string | undefined, tokens: readonly AdminToken[], nowMs: number): DashboardSession | undefined {
  const parts = value?.split('.');
  if (parts?.length !== 4) return undefined;
  const [id, expiry, sessionId, signature] = parts as [string, string, string, string];
  const token = tokens.find((t) => t.id === id);
  if (!token || !/^\d{1,12}$/.test(expiry) || Number(expiry) * 1000 <= nowMs || !/^[A-Za-z0-9_-]{16,64}$/.test(sessionId)) return undefined;
  if (!sameText(signature, mac(token.secret, 'dashboard-session', `${id}.${expiry}.${sessionId}`))) return undefined;
  return { token, id: sessionId, expiresAtMs: Number(expiry) * 1000 };
}

/** The token a session cookie was issued for, when it is genuine and not expired (not whether it was signed out: see `readSession`). */
export function sessionToken(value: string | undefined, tokens: readonly AdminToken[], nowMs: number): AdminToken | undefined {
  return readSession(value, tokens, nowMs)?.token;
}

/** The form token that proves a change was sent from the dashboard's own page of this session (CSRF). */
export function formToken(session: string, token: AdminToken): string {
  return mac(token.secret, 'dashboard-form', session);
}

/** Whether a form token belongs to the session. */
export function formTokenValid(given: string | undefined, session: string, token: AdminToken): boolean {
  return given !== undefined && sameText(given, formToken(session, token));
}
