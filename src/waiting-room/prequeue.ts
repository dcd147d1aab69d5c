import type { RoomConfig } from '../config/schema.js';
import { randomId } from '../platform/random-id.js';
import { lotteryOrder, sha256Hex } from './lottery.js';
import { limitsOf } from './rooms.js';
import type { ScheduledEvent } from './schedule.js';
import { scheduledEvents } from './schedule.js';
import type { WaitingRoomStore } from './store.js';
import { TICKET_LIFETIME_SECONDS, type Ticket, type WaitingRoomTokens } from './tokens.js';

/** How long after its opening an event's lottery is still drawn and its entries still honoured. */
export const LOTTERY_HONOURED_MS = TICKET_LIFETIME_SECONDS * 1000;

/** Commitments (SHA-256 of the seed) already computed, by `room event`. */
const commitments = new Map<string, string>();

/** The SHA-256 commitment of an event's seed, computed once per instance. */
export async function commitmentOf(roomId: string, eventId: string, seed: string): Promise<string> {
  const key = `${roomId} ${eventId}`;
  let commitment = commitments.get(key);
  if (!commitment) {
    commitment = await sha256Hex(seed);
    commitments.set(key, commitment);
  }
  return commitment;
}

/** The commitment this instance has already seen for an event, if any. */
export function knownCommitment(roomId: string, eventId: string): string | undefined {
  return commitments.get(`${roomId} ${eventId}`);
}

/** A new pre-queue entry: recorded in the store, with its signed entry token. */
export async function newEntry(
  deps: { store: WaitingRoomStore; tokens: WaitingRoomTokens; clock: () => number },
  room: RoomConfig,
  event: ScheduledEvent,
): Promise<{ ticket: Ticket; token: string; commitment: string } | undefined> {
  const visitor = randomId();
  const entry = randomId(9);
  const keepSeconds = Math.ceil((event.opensAt - deps.clock() + LOTTERY_HONOURED_MS) / 1000);
  const { seed, recorded } = await deps.store.enterLottery(room.id, event.id, entry, randomId(24), keepSeconds);
  if (!recorded) return undefined;
  const expiresAt = Math.floor((event.opensAt + LOTTERY_HONOURED_MS) / 1000);
  const ticket: Ticket = { kind: 'ticket', room: room.id, visitor, number: 0, epoch: '-', expiresAt, lottery: { event: event.id, entry } };
  const token = await deps.tokens.signTicket(ticket);
  return { ticket, token, commitment: await commitmentOf(room.id, event.id, seed) };
}

/** Lotteries each store is known to have drawn, shared by the snapshot loop and the gate. */
const drawnByStore = new WeakMap<WaitingRoomStore, Set<string>>();

/**
 * Draws every lottery of `room` whose opening has come and that this instance has not yet seen
 * drawn. Any instance may draw; the store keeps the first draw, every instance computes the same
 * order from the same seed and entries, and a draw computed from a stale entry list is refused by
 * the store and computed again. The gate calls it before seating anyone after an opening, so
 * nobody who arrives at the opening gets ahead of the pre-queue.
 */
export async function drawDueLotteries(store: WaitingRoomStore, room: RoomConfig, now: number): Promise<void> {
  let drawn = drawnByStore.get(store);
  if (!drawn) {
    drawn = new Set();
    drawnByStore.set(store, drawn);
  }
  for (const event of scheduledEvents(room)) {
    const key = `${room.id} ${event.id}`;
    if (!event.hasPreQueue || drawn.has(key) || now < event.opensAt || now > event.opensAt + LOTTERY_HONOURED_MS) continue;
    for (let attempt = 0; attempt < 5; attempt++) {
      const record = await store.lotteryRecord(room.id, event.id);
      if (record.drawn) break;
      const order = record.seed === undefined ? [] : await lotteryOrder(record.seed, record.entries);
      if ((await store.drawLottery(room.id, limitsOf(room, now), event.id, order)) === 'drawn') break;
    }
    drawn.add(key);
  }
}

/** True when `room` has a pre-queue event whose opening has come and that may not be drawn yet. */
export function mayNeedDraw(room: RoomConfig, now: number): boolean {
  return scheduledEvents(room).some((event) => event.hasPreQueue && now >= event.opensAt && now <= event.opensAt + LOTTERY_HONOURED_MS);
}
