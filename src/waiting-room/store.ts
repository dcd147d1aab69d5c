import type { ClaimOutcome, JoinOutcome, LotteryPlace, RoomLimits, RoomSnapshot } from './core.js';

/** An event's lottery as the store holds it. */
export interface LotteryRecord {
  seed: string | undefined;
  entries: string[];
  drawn: boolean;
}

/** A signed ticket's claim on a place in line. */
export interface TicketRef {
  number: number;
  epoch: string;
}

/**
 * A pass the store lists as no longer good, for every instance: its session was ended by the
 * origin (`Sanh-Session: end`), or it was superseded when its visitor's pass was bound to a new
 * client (`rebind`).
 */
export interface EndedPass {
  visitor: string;
  /** `null`: every pass of the visitor (the session ended); n: the visitor's passes of a generation below n. */
  generation: number | null;
  /** How long the entry stays listed (ms, from the store's own clock): the ended pass's remaining lifetime. */
  remainingMs: number;
}

/** Ended passes listed after a cursor, and the cursor to ask from next time. */
export interface EndedPasses {
  ended: EndedPass[];
  cursor: string;
}

/** What a claim may also answer with a client binding: the ticket was already redeemed by another client, or too long ago. */
export type StoreClaimOutcome = ClaimOutcome | { kind: 'spent' };

/** The outcome of binding a visitor's session to a new client (`rebind`). */
export type RebindOutcome = { kind: 'rebound'; generation: number } | { kind: 'refused' };

/** How long after a ticket's first redemption the same client may redeem it again (a lost answer's retry), ms. */
export const REDEEM_AGAIN_WINDOW_MS = 30_000;

/**
 * The waiting room's store port: only the operations the waiting room uses. Every operation is
 * atomic per room and uses the store's own clock. Adapters: `memory-store.ts` (one process) and
 * `redis-store.ts` (any number of instances sharing one Redis); `store.contract.ts` holds both to
 * the same behaviour. Operations throw when the store cannot be reached; outcomes are values.
 */
export interface WaitingRoomStore {
  /** Advances the line (frees idle slots, refills tokens, calls tickets) and reads the room. */
  tick(roomId: string, limits: RoomLimits): Promise<RoomSnapshot>;
  /** A visitor without a pass arrives: admitted at once or given a ticket. */
  join(roomId: string, limits: RoomLimits, visitorId: string): Promise<JoinOutcome>;
  /**
   * A ticket holder asks whether their turn has come; admitted turns the ticket into a session.
   * With `binding` (a hash of the client, see `bindings.ts`), the first redemption records it
   * with the session (generation 0); a ticket already redeemed is admitted again only for the
   * same binding within `REDEEM_AGAIN_WINDOW_MS` of its first redemption, else `spent`.
   */
  claim(roomId: string, limits: RoomLimits, ticket: TicketRef, visitorId: string, binding?: string): Promise<StoreClaimOutcome>;
  /**
   * Binds a visitor's session to a new client: only when the session holds a slot and its
   * recorded generation is `generation` (or nothing was recorded). The passes of lower
   * generations are then listed as ended for `keepSeconds`. An older pass from the client
   * already recorded (its requests in flight when it moved) gets the recorded generation back,
   * changing nothing. Otherwise refused.
   */
  rebind(roomId: string, limits: RoomLimits, visitorId: string, generation: number, binding: string, keepSeconds: number): Promise<RebindOutcome>;
  /** Frees a visitor's slot at once and lists their passes as ended for `keepSeconds` (their remaining lifetime). */
  endSession(roomId: string, limits: RoomLimits, visitorId: string, keepSeconds: number): Promise<void>;
  /** Ended passes still within their lifetime listed after `cursor` (`undefined`: every one listed). */
  endedSince(roomId: string, cursor: string | undefined): Promise<EndedPasses>;
  /** Renews the sessions of recently active visitors; returns the ids that no longer hold a slot. */
  touch(roomId: string, limits: RoomLimits, visitorIds: readonly string[]): Promise<string[]>;
  /** The holders of these waiting tickets asked for news now, so they are not skipped as abandoned. */
  markSeen(roomId: string, limits: RoomLimits, tickets: readonly number[]): Promise<void>;
  /** Takes in sessions admitted by an instance on its own during a store outage. */
  adopt(roomId: string, limits: RoomLimits, visitorIds: readonly string[]): Promise<void>;
  /** Frees a visitor's slot at once. */
  release(roomId: string, limits: RoomLimits, visitorId: string): Promise<void>;
  /** Records a pre-queue entry for an event (not once drawn: `recorded` false); the first seed offered is kept and returned. */
  enterLottery(roomId: string, eventId: string, entry: string, seedCandidate: string, keepSeconds: number): Promise<{ seed: string; recorded: boolean }>;
  /** Reads an event's lottery: seed, entries in arrival order, whether it was drawn. */
  lotteryRecord(roomId: string, eventId: string): Promise<LotteryRecord>;
  /**
   * Draws once: the entries take tickets in `order`, behind everyone already in line, and the
   * lottery is closed to new entries. `changed` (nothing drawn) when the store holds a different
   * number of entries than `order` was computed from: read again and retry.
   */
  drawLottery(roomId: string, limits: RoomLimits, eventId: string, order: readonly string[]): Promise<'drawn' | 'changed'>;
  /** The place an entry was given by the draw. */
  lotteryPlace(roomId: string, eventId: string, entry: string): Promise<LotteryPlace>;
  /** Resolves when the store answers; throws otherwise. */
  ping(): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}
