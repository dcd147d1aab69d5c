import type { Clock } from '../platform/clock.js';
import type { KeyRing } from '../platform/keyring.js';
import type { MacFactory } from '../platform/mac.js';
import { createTokenSigner, type TokenSigner } from '../platform/signed-token.js';

/** An admitted visitor's pass: bound to one room and one visitor, valid until `expiresAt`. */
export interface Pass {
  kind: 'pass';
  room: string;
  visitor: string;
  /** Seconds since the epoch. */
  expiresAt: number;
  /** The client the pass is bound to (`bindings.ts`); absent on passes signed before bindings. */
  binding?: string;
  /** The pass's generation: 0 when admitted, one more at each rebinding to a new client. */
  generation?: number;
}

/**
 * A queued visitor's ticket: a place in one room's line in one line lifetime (`epoch`). A ticket
 * with `lottery` is a pre-queue entry (number 0, no epoch yet): its place is given by the draw.
 */
export interface Ticket {
  kind: 'ticket';
  room: string;
  visitor: string;
  number: number;
  epoch: string;
  /** Seconds since the epoch. */
  expiresAt: number;
  lottery?: { event: string; entry: string };
}

/** How long a ticket stays valid: a long wait on the worst day, and then some. */
export const TICKET_LIFETIME_SECONDS = 12 * 3600;

type WaitingRoomToken = Pass | Ticket;

function isString(value: unknown, max = 200): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}

function parseToken(value: unknown): WaitingRoomToken | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (!isString(v.r) || !isString(v.v) || typeof v.e !== 'number') return undefined;
  if (v.k === 'p') {
    const pass: Pass = { kind: 'pass', room: v.r, visitor: v.v, expiresAt: v.e };
    if (isString(v.b, 32)) pass.binding = v.b;
    if (typeof v.g === 'number' && Number.isSafeInteger(v.g) && v.g > 0) pass.generation = v.g;
    return pass;
  }
  if (v.k === 't' && typeof v.n === 'number' && Number.isSafeInteger(v.n) && isString(v.ep)) {
    return { kind: 'ticket', room: v.r, visitor: v.v, number: v.n, epoch: v.ep, expiresAt: v.e };
  }
  if (v.k === 'l' && Array.isArray(v.lo) && isString(v.lo[0], 48) && isString(v.lo[1], 48)) {
    return { kind: 'ticket', room: v.r, visitor: v.v, number: 0, epoch: '-', expiresAt: v.e, lottery: { event: v.lo[0], entry: v.lo[1] } };
  }
  return undefined;
}

function toWire(token: WaitingRoomToken): Record<string, unknown> {
  if (token.kind === 'pass') {
    return {
      k: 'p',
      r: token.room,
      v: token.visitor,
      e: token.expiresAt,
      ...(token.binding ? { b: token.binding } : {}),
      ...(token.generation ? { g: token.generation } : {}),
    };
  }
  if (token.lottery) return { k: 'l', r: token.room, v: token.visitor, lo: [token.lottery.event, token.lottery.entry], e: token.expiresAt };
  return { k: 't', r: token.room, v: token.visitor, n: token.number, ep: token.epoch, e: token.expiresAt };
}

/** Signs and checks passes and tickets. Anything forged, expired, tampered or of another kind is `undefined`. */
export interface WaitingRoomTokens {
  signPass(pass: Omit<Pass, 'kind'>): Promise<string>;
  signTicket(ticket: Omit<Ticket, 'kind'>): Promise<string>;
  /** The pass if the token is an authentic, unexpired pass for `room`. */
  readPass(token: string | undefined, room: string): Promise<Pass | undefined>;
  /** The ticket if the token is an authentic, unexpired ticket for `room`. */
  readTicket(token: string | undefined, room: string): Promise<Ticket | undefined>;
  /**
   * The pass if this token was read before and is still an unexpired pass for `room`, without
   * computing a MAC; `undefined` leaves the answer to `readPass`.
   */
  knownPass(token: string | undefined, room: string): Pass | undefined;
  /** Like `knownPass`, for tickets; `undefined` leaves the answer to `readTicket`. */
  knownTicket(token: string | undefined, room: string): Ticket | undefined;
}

/** Creates the waiting room's token codec on a key ring (MACs by Web Crypto unless `mac` is given). */
export function createWaitingRoomTokens(ring: KeyRing, clock: Clock, mac?: MacFactory): WaitingRoomTokens {
  const signer: TokenSigner<WaitingRoomToken> = createTokenSigner({
    ring,
    ...(mac ? { mac } : {}),
    purpose: 'waiting-room-token',
    parse: parseToken,
    serialize: toWire,
    accept: (token) => token.expiresAt * 1000 > clock(),
  });

  async function read(token: string | undefined, room: string): Promise<WaitingRoomToken | undefined> {
    const parsed = await signer.verify(token);
    return parsed?.room === room ? parsed : undefined;
  }

  return {
    signPass: (pass) => signer.sign({ kind: 'pass', ...pass }),
    signTicket: (ticket) => signer.sign({ kind: 'ticket', ...ticket }),
    async readPass(token, room) {
      const parsed = await read(token, room);
      return parsed?.kind === 'pass' ? parsed : undefined;
    },
    async readTicket(token, room) {
      const parsed = await read(token, room);
      return parsed?.kind === 'ticket' ? parsed : undefined;
    },
    knownPass(token, room) {
      const known = signer.verifyKnown(token);
      return known?.kind === 'pass' && known.room === room ? known : undefined;
    },
    knownTicket(token, room) {
      const known = signer.verifyKnown(token);
      return known?.kind === 'ticket' && known.room === room ? known : undefined;
    },
  };
}
