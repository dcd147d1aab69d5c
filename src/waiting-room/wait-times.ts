import { TICKET_LIFETIME_SECONDS, type Ticket } from './tokens.js';

/** A listener of waits: the room and how long the visitor waited in line (seconds). */
export type WaitListener = (room: string, seconds: number) => void;

/**
 * The waits of visitors this instance admitted from the line, as they are admitted: the port the
 * metrics read (`sanh_room_wait_seconds`). Observing is O(listeners), in memory, no I/O.
 */
export interface WaitTimes {
  /** Records that a visitor waited `seconds` in `room` before being admitted. */
  observe(room: string, seconds: number): void;
  /** Calls `listener` on every wait from now on; returns how to stop. */
  listen(listener: WaitListener): () => void;
}

/** Creates the waits port. */
export function createWaitTimes(): WaitTimes {
  const listeners = new Set<WaitListener>();
  return {
    observe(room, seconds) {
      for (const listener of listeners) listener(room, seconds);
    },
    listen(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}

/**
 * How long a ticket's holder has waited at `now` (ms), from the ticket's issue time (its expiry
 * less its lifetime); a lottery entrant's ticket is issued when they come back after the draw.
 */
export function waitedSeconds(ticket: Ticket, now: number): number {
  return Math.max(0, now / 1000 - (ticket.expiresAt - TICKET_LIFETIME_SECONDS));
}
