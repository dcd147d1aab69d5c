import type { SubmissionRouteConfig } from '../config/submissions.js';
import type { Clock } from '../platform/clock.js';
import { cookiePairs, readCookie } from '../platform/http.js';
import type { KeyRing } from '../platform/keyring.js';
import type { MacFactory } from '../platform/mac.js';
import { clientKey } from '../waiting-room/bypass.js';
import { createWaitingRoomTokens } from '../waiting-room/tokens.js';
import { cookieNames } from '../waiting-room/visit.js';

/**
 * The Sảnh visitor a request comes from: the visitor id of its authentic, unexpired pass or
 * ticket for the room (the same id from the ticket to the pass it turns into); undefined without
 * either. Signed by the waiting room's keys, so it cannot be made up.
 */
export type SanhVisitorOf = (cookieHeader: string | undefined, room: string) => Promise<string | undefined>;

/** Reads the Sảnh visitor of a request from its pass or ticket cookie (one MAC, none for a token already read). */
export function createSanhVisitorOf(ring: KeyRing, clock: Clock, mac?: MacFactory): SanhVisitorOf {
  const tokens = createWaitingRoomTokens(ring, clock, mac);
  return async (header, room) => {
    if (!header) return undefined;
    const names = cookieNames(room);
    const pass = readCookie(header, names.pass);
    const found = tokens.knownPass(pass, room) ?? (pass ? await tokens.readPass(pass, room) : undefined);
    if (found) return found.visitor;
    const ticket = readCookie(header, names.ticket);
    return (tokens.knownTicket(ticket, room) ?? (ticket ? await tokens.readTicket(ticket, room) : undefined))?.visitor;
  };
}

/** The portal session a request carries: the route's `sessionCookies` and, when carried, `Authorization`; '' without. */
export function portalSession(route: SubmissionRouteConfig, headers: Headers): string {
  const header = headers.get('cookie');
  const named = route.sessionCookies.length > 0 && header ? cookiePairs(header).filter(([name]) => route.sessionCookies.includes(name)) : [];
  const session = named
    .map(([name, value]) => `${name}=${value}`)
    .sort()
    .join('; ');
  const authorization = route.headers.includes('authorization') ? (headers.get('authorization') ?? '') : '';
  return session || authorization ? `${session}\n${authorization}` : '';
}

/**
 * Who a submission is from, for the implicit de-duplication of a body sent without a key and for
 * the per-visitor rate limit: the portal session (stable for as long as the citizen is logged
 * in), else the Sảnh visitor (their pass or ticket); undefined for a request with neither. Never
 * the client address alone: many citizens share one (carrier-grade NAT, a commune office).
 */
export function submitterOf(route: SubmissionRouteConfig, headers: Headers, sanhVisitor: string | undefined): string | undefined {
  const session = portalSession(route, headers);
  if (session) return `s:${session}`;
  return sanhVisitor === undefined ? undefined : `v:${sanhVisitor}`;
}

/** The rate-limit keys of a submission: its submitter (or, without one, its address's anonymous share) and its address. */
export function limitKeys(submitter: string | undefined, clientAddress: string | undefined): { visitor: string; address: string } {
  const address = clientKey(clientAddress);
  return { visitor: submitter ?? `anonymous:${address}`, address: `address:${address}` };
}
