import { describe, expect, it } from 'vitest';
import { claim, join, markSeen, newRoomState, release, tick, touch, type RoomLimits } from './core.js';

const T0 = Date.UTC(2026, 10, 22, 8, 0, 0);
const limits = (overrides: Partial<RoomLimits> = {}): RoomLimits => ({
  maxActive: 3,
  admitPerMinute: 60,
  admitBurst: 2,
  sessionIdleSeconds: 600,
  noShowSeconds: 30,
  abandonAfterSeconds: 600,
  admitting: true,
  queueAll: false,
  ...overrides,
});

function ticketOf(outcome: ReturnType<typeof join>): { number: number; epoch: string } {
  if (outcome.kind !== 'queued') throw new Error(`expected a ticket, got ${outcome.kind}`);
  return { number: outcome.ticket, epoch: outcome.epoch };
}

describe('admission core', () => {
  it('starts with a full bucket and admits a burst, then one per refill', () => {
    const l = limits({ maxActive: 100, admitPerMinute: 60, admitBurst: 2 });
    const state = newRoomState(l, T0, 'e1');
    expect(join(state, l, T0, 'a').kind).toBe('admitted');
    expect(join(state, l, T0, 'b').kind).toBe('admitted');
    const c = ticketOf(join(state, l, T0, 'c'));
    expect(c.number).toBe(1);
    expect(tick(state, l, T0 + 999).frontier).toBe(0);
    expect(tick(state, l, T0 + 1000).frontier).toBe(1);
    expect(claim(state, l, T0 + 1100, c, 'c')).toEqual({ kind: 'admitted' });
  });

  it('never calls more tickets than there are free slots', () => {
    const l = limits({ maxActive: 2, admitPerMinute: 6000, admitBurst: 100 });
    const state = newRoomState(l, T0, 'e1');
    for (const id of ['a', 'b', 'c', 'd', 'e']) join(state, l, T0, id);
    const snapshot = tick(state, l, T0 + 60_000);
    expect(snapshot).toMatchObject({ active: 2, frontier: 0, waiting: 3 });
    release(state, l, T0 + 60_001, 'a');
    expect(tick(state, l, T0 + 60_002)).toMatchObject({ active: 2, frontier: 1, waiting: 2 });
  });

  it('expires idle sessions after sessionIdleSeconds unless touched', () => {
    const l = limits({ sessionIdleSeconds: 60 });
    const state = newRoomState(l, T0, 'e1');
    join(state, l, T0, 'a');
    join(state, l, T0, 'b');
    expect(touch(state, l, T0 + 50_000, ['a'])).toEqual([]);
    expect(tick(state, l, T0 + 60_000).active).toBe(1);
    expect(touch(state, l, T0 + 60_001, ['b'])).toEqual(['b']);
    expect(tick(state, l, T0 + 110_000).active).toBe(0);
  });

  it('lets a lapsed ticket back in only while its priority lasts', () => {
    const l = limits({ maxActive: 1, sessionIdleSeconds: 120, noShowSeconds: 30 });
    const state = newRoomState(l, T0, 'e1');
    join(state, l, T0, 'a');
    const b = ticketOf(join(state, l, T0, 'b'));
    release(state, l, T0 + 1_000, 'a');
    expect(state.frontier).toBe(1);
    tick(state, l, T0 + 31_000);
    expect(state.lapsed.has('t:1')).toBe(true);
    expect(claim(state, l, T0 + 100_000, b, 'b')).toEqual({ kind: 'admitted' });

    const c = ticketOf(join(state, l, T0 + 100_001, 'c'));
    release(state, l, T0 + 100_002, 'b');
    tick(state, l, T0 + 140_000);
    expect(claim(state, l, T0 + 140_000 + 121_000, c, 'c')).toEqual({ kind: 'unknown' });
  });

  it('reports the position as the distance to the frontier', () => {
    const l = limits({ maxActive: 1, admitBurst: 1 });
    const state = newRoomState(l, T0, 'e1');
    join(state, l, T0, 'a');
    const tickets = ['b', 'c', 'd'].map((id) => ticketOf(join(state, l, T0, id)));
    expect(tickets.map((t) => t.number)).toEqual([1, 2, 3]);
    release(state, l, T0 + 2_000, 'a');
    expect(claim(state, l, T0 + 2_000, tickets[2]!, 'd')).toEqual({ kind: 'queued', position: 2 });
  });

  it('holds every limit in a long simulated day of arrivals, departures and no-shows', () => {
    const l = limits({ maxActive: 200, admitPerMinute: 120, admitBurst: 12, sessionIdleSeconds: 300, noShowSeconds: 45 });
    const state = newRoomState(l, T0, 'e1');
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const admissions: number[] = [];
    const admittedTickets: number[] = [];
    const waiting = new Map<string, { number: number; epoch: string }>();
    const sessions = new Map<string, number>();
    let lastTotal = 0;
    for (let second = 0; second < 2 * 3600; second++) {
      const now = T0 + second * 1000;
      for (let k = 0; k < (second < 3600 ? 5 : 1); k++) {
        if (random() < 0.5) {
          const id = `v${second}-${k}`;
          const outcome = join(state, l, now, id);
          if (outcome.kind === 'admitted') sessions.set(id, now + 5_000 + random() * 15_000);
          else waiting.set(id, { number: outcome.ticket, epoch: outcome.epoch });
        }
      }
      if (second % 20 === 0)
        markSeen(
          state,
          now,
          [...waiting.values()].map((ticket) => ticket.number),
        );
      for (const [id, ticket] of waiting) {
        if (ticket.number > state.frontier) break;
        if (ticket.number % 7 === 0) continue;
        const outcome = claim(state, l, now, ticket, id);
        if (outcome.kind === 'admitted') {
          admittedTickets.push(ticket.number);
          sessions.set(id, now + 5_000 + random() * 15_000);
          waiting.delete(id);
        } else if (outcome.kind === 'unknown') {
          waiting.delete(id);
        }
      }
      for (const [id, leavesAt] of sessions) {
        if (leavesAt <= now) {
          if (random() < 0.5) release(state, l, now, id);
          sessions.delete(id);
        } else if (second % 30 === 0) {
          touch(state, l, now, [id]);
        }
      }
      const snapshot = tick(state, l, now);
      expect(snapshot.active).toBeLessThanOrEqual(l.maxActive);
      admissions.push(snapshot.admittedTotal - lastTotal);
      lastTotal = snapshot.admittedTotal;
    }
    for (let start = 0; start + 60 <= admissions.length; start += 7) {
      const inMinute = admissions.slice(start, start + 60).reduce((a, b) => a + b, 0);
      expect(inMinute).toBeLessThanOrEqual(l.admitPerMinute + l.admitBurst);
    }
    const sorted = [...admittedTickets].sort((a, b) => a - b);
    const outOfOrder = admittedTickets.filter((n, i) => n !== sorted[i]).length;
    expect(outOfOrder / admittedTickets.length).toBeLessThan(0.05);
    expect(state.frontier).toBeGreaterThan(5000);
    expect(lastTotal).toBeGreaterThan(0.95 * 120 * 60);
    expect(lastTotal).toBeLessThanOrEqual(120 * 120 + l.admitBurst);
  });
});

describe('abandonment and modes', () => {
  it('with half the line gone silent, fills every free slot with people still there within one idle period', () => {
    const l = limits({ maxActive: 100, admitPerMinute: 60_000, admitBurst: 1_000, abandonAfterSeconds: 180, noShowSeconds: 60 });
    const state = newRoomState(l, T0, 'e');
    for (let i = 0; i < 100; i++) join(state, l, T0, `inside${i}`);
    const tickets: { id: string; number: number; present: boolean }[] = [];
    for (let i = 0; i < 400; i++) {
      const outcome = join(state, l, T0, `w${i}`);
      if (outcome.kind !== 'queued') throw new Error('expected a ticket');
      tickets.push({ id: `w${i}`, number: outcome.ticket, present: i % 2 === 0 });
    }
    for (let second = 15; second <= 180; second += 15) {
      markSeen(
        state,
        T0 + second * 1000,
        tickets.filter((t) => t.present).map((t) => t.number),
      );
    }
    const idlePeriodLater = T0 + 181_000;
    for (let i = 0; i < 100; i++) release(state, l, idlePeriodLater, `inside${i}`);
    const snapshot = tick(state, l, idlePeriodLater);
    expect(snapshot.active).toBe(100);
    let admitted = 0;
    for (const ticket of tickets) {
      if (ticket.number > state.frontier) break;
      if (!ticket.present) continue;
      expect(claim(state, l, idlePeriodLater, { number: ticket.number, epoch: 'e' }, ticket.id)).toEqual({ kind: 'admitted' });
      admitted += 1;
    }
    expect(admitted).toBe(100);
    expect(tick(state, l, idlePeriodLater).active).toBe(100);
    expect(state.abandonedTotal).toBe(99);
  });

  it('never reorders the line when the mode changes', () => {
    const open = limits({ maxActive: 2, admitPerMinute: 60_000, admitBurst: 100 });
    const paused = { ...open, admitting: false };
    const queueAll = { ...open, queueAll: true };
    const state = newRoomState(open, T0, 'e');
    join(state, open, T0, 'in1');
    join(state, open, T0, 'in2');
    const order: number[] = [];
    const modes = [open, paused, queueAll, paused, open];
    modes.forEach((mode, index) => {
      for (let k = 0; k < 3; k++) {
        const outcome = join(state, mode, T0 + index * 1000, `m${index}-${k}`);
        if (outcome.kind === 'queued') order.push(outcome.ticket);
      }
      tick(state, mode, T0 + index * 1000);
    });
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const called: number[] = [];
    for (let second = 10; state.frontier < state.nextTicket - 1; second++) {
      const before = state.frontier;
      release(state, open, T0 + second * 1000, `in${second % 2 === 0 ? 1 : 2}`);
      tick(state, open, T0 + second * 1000);
      for (let n = before + 1; n <= state.frontier; n++) called.push(n);
      for (const member of [...state.active.keys()]) state.active.delete(member);
    }
    expect(called).toEqual(order);
  });
});
