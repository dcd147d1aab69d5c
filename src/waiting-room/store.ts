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
  /** A ticket holder asks whether their turn has come; admitted turns the ticket into a session. */
  claim(roomId: string, limits: RoomLimits, ticket: TicketRef, visitorId: string): Promise<ClaimOutcome>;
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
