import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RoomLimits } from './core.js';
import type { WaitingRoomStore } from './store.js';

/**
 * The behaviour every waiting-room store adapter must have. Runs on the real clock (Redis scripts
 * read Redis TIME), so durations are short and checks leave generous margins.
 */
export function waitingRoomStoreContract(adapter: string, open: () => Promise<WaitingRoomStore>): void {
  describe(`waiting-room store contract: ${adapter}`, () => {
    let store: WaitingRoomStore;
    let room: string;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const limits = (overrides: Partial<RoomLimits> = {}): RoomLimits => ({
      maxActive: 2,
      admitPerMinute: 6_000,
      admitBurst: 10,
      sessionIdleSeconds: 60,
      noShowSeconds: 60,
      abandonAfterSeconds: 600,
      admitting: true,
      queueAll: false,
      ...overrides,
    });

    beforeEach(async () => {
      store = await open();
      room = `r${Math.random().toString(36).slice(2, 10)}`;
    });
    afterEach(async () => {
      await store.close();
    });

    it('adopts sessions admitted during an outage: they count against maxActive and stay alive', async () => {
      const l = limits({ maxActive: 3 });
      expect(await store.join(room, l, 'a')).toMatchObject({ kind: 'admitted' });
      await store.adopt(room, l, ['offline-1', 'offline-2']);
      expect((await store.tick(room, l)).active).toBe(3);
      expect(await store.join(room, l, 'b')).toMatchObject({ kind: 'queued', position: 1 });
      expect(await store.touch(room, l, ['offline-1', 'a'])).toEqual([]);
    });

    it('admits at once while slots are free, then queues in arrival order', async () => {
      const l = limits();
      expect(await store.join(room, l, 'a')).toMatchObject({ kind: 'admitted' });
      expect(await store.join(room, l, 'b')).toMatchObject({ kind: 'admitted' });
      const c = await store.join(room, l, 'c');
      const d = await store.join(room, l, 'd');
      expect(c).toMatchObject({ kind: 'queued', ticket: 1, position: 1 });
      expect(d).toMatchObject({ kind: 'queued', ticket: 2, position: 2 });
      const snapshot = await store.tick(room, l);
      expect(snapshot).toMatchObject({ frontier: 0, nextTicket: 3, waiting: 2, active: 2, admittedTotal: 2 });
      expect(c.kind === 'queued' && c.epoch).toBe(snapshot.epoch);
    });

    it('hands a newcomer the next ticket without advancing the line while people wait; the tick calls them', async () => {
      const l = limits({ maxActive: 10, admitPerMinute: 600, admitBurst: 1 });
      expect(await store.join(room, l, 'a')).toMatchObject({ kind: 'admitted' });
      expect(await store.join(room, l, 'b')).toMatchObject({ kind: 'queued', ticket: 1, position: 1 });
      await sleep(300);
      const c = await store.join(room, l, 'c');
      expect(c).toMatchObject({ kind: 'queued', ticket: 2, position: 2 });
      expect(await store.tick(room, l)).toMatchObject({ frontier: 1, nextTicket: 3, waiting: 1 });
      expect(await store.join(room, l, 'd')).toMatchObject({ kind: 'queued', ticket: 3, position: 2 });
    });

    it('holds at most admitBurst admissions in one instant', async () => {
      const l = limits({ maxActive: 100, admitPerMinute: 6, admitBurst: 3 });
      const outcomes = [];
      for (const id of ['a', 'b', 'c', 'd', 'e']) outcomes.push((await store.join(room, l, id)).kind);
      expect(outcomes).toEqual(['admitted', 'admitted', 'admitted', 'queued', 'queued']);
      const snapshot = await store.tick(room, l);
      expect(snapshot.tokens).toBeGreaterThanOrEqual(0);
      expect(snapshot.tokens).toBeLessThan(1);
    });

    it('calls the next ticket when a slot is released, and the ticket claims it', async () => {
      const l = limits();
      await store.join(room, l, 'a');
      await store.join(room, l, 'b');
      const c = await store.join(room, l, 'c');
      const d = await store.join(room, l, 'd');
      if (c.kind !== 'queued' || d.kind !== 'queued') throw new Error('expected tickets');
      expect(await store.claim(room, l, { number: c.ticket, epoch: c.epoch }, 'c')).toEqual({ kind: 'queued', position: 1 });
      await store.release(room, l, 'a');
      expect((await store.tick(room, l)).frontier).toBe(1);
      expect(await store.claim(room, l, { number: d.ticket, epoch: d.epoch }, 'd')).toEqual({ kind: 'queued', position: 1 });
      expect(await store.claim(room, l, { number: c.ticket, epoch: c.epoch }, 'c')).toEqual({ kind: 'admitted' });
      expect(await store.claim(room, l, { number: c.ticket, epoch: c.epoch }, 'c')).toEqual({ kind: 'admitted', again: true });
      expect((await store.tick(room, l)).active).toBe(2);
    });

    it('ends a session for every reader: frees the slot and lists the pass from a cursor while its lifetime lasts (issue 17 #12)', async () => {
      const l = limits({ maxActive: 1 });
      await store.join(room, l, 'a');
      const b = await store.join(room, l, 'b');
      if (b.kind !== 'queued') throw new Error('expected a ticket');
      const before = await store.endedSince(room, undefined);
      expect(before.ended).toEqual([]);
      await store.endSession(room, l, 'a', 1);
      expect((await store.tick(room, l)).frontier).toBe(1);
      const first = await store.endedSince(room, before.cursor);
      expect(first.ended).toEqual([{ visitor: 'a', generation: null, remainingMs: expect.any(Number) }]);
      expect(first.ended[0]!.remainingMs).toBeGreaterThan(500);
      expect(first.ended[0]!.remainingMs).toBeLessThanOrEqual(1_000);
      expect((await store.endedSince(room, first.cursor)).ended).toEqual([]);
      await store.endSession(room, l, 'x', 60);
      expect((await store.endedSince(room, first.cursor)).ended.map((pass) => pass.visitor)).toEqual(['x']);
      // A reader starting now (a restarted instance) gets every pass still listed.
      expect((await store.endedSince(room, undefined)).ended.map((pass) => pass.visitor)).toEqual(['a', 'x']);
      await sleep(1_100);
      expect((await store.endedSince(room, undefined)).ended.map((pass) => pass.visitor)).toEqual(['x']);
    });

    it('redeems a ticket once: again only for the same client binding, another binding finds it spent (issue 17 #13)', async () => {
      const l = limits({ maxActive: 1 });
      await store.join(room, l, 'a');
      const b = await store.join(room, l, 'b');
      if (b.kind !== 'queued') throw new Error('expected a ticket');
      await store.release(room, l, 'a');
      const ref = { number: b.ticket, epoch: b.epoch };
      expect(await store.claim(room, l, ref, 'b', 'bind-1')).toEqual({ kind: 'admitted' });
      expect(await store.claim(room, l, ref, 'b', 'bind-1')).toEqual({ kind: 'admitted', again: true });
      expect(await store.claim(room, l, ref, 'b', 'bind-2')).toEqual({ kind: 'spent' });
      expect((await store.tick(room, l)).active).toBe(1);
    });

    it('rebinds a session once per generation and lists the older passes as ended; a gone session is refused (issue 17 #13)', async () => {
      const l = limits();
      await store.join(room, l, 'a');
      const cursor = (await store.endedSince(room, undefined)).cursor;
      expect(await store.rebind(room, l, 'a', 0, 'bind-2', 60)).toEqual({ kind: 'rebound', generation: 1 });
      expect(await store.rebind(room, l, 'a', 0, 'bind-3', 60)).toEqual({ kind: 'refused' });
      expect(await store.rebind(room, l, 'a', 1, 'bind-3', 60)).toEqual({ kind: 'rebound', generation: 2 });
      expect(await store.rebind(room, l, 'a', 1, 'bind-3', 60), 'the same client again, from an older pass').toEqual({ kind: 'rebound', generation: 2 });
      expect(await store.rebind(room, l, 'a', 0, 'bind-3', 60)).toEqual({ kind: 'rebound', generation: 2 });
      expect(await store.rebind(room, l, 'a', 1, 'bind-2', 60), 'the client bound before the last rebinding').toEqual({ kind: 'refused' });
      expect((await store.endedSince(room, cursor)).ended.map(({ visitor, generation }) => ({ visitor, generation }))).toEqual([
        { visitor: 'a', generation: 1 },
        { visitor: 'a', generation: 2 },
      ]);
      expect(await store.rebind(room, l, 'nobody', 0, 'bind-2', 60)).toEqual({ kind: 'refused' });
      await store.endSession(room, l, 'a', 60);
      expect(await store.rebind(room, l, 'a', 2, 'bind-4', 60)).toEqual({ kind: 'refused' });
    });

    it('never admits directly past people already waiting', async () => {
      const l = limits({ maxActive: 1 });
      await store.join(room, l, 'a');
      const b = await store.join(room, l, 'b');
      await store.release(room, l, 'a');
      const late = await store.join(room, l, 'late');
      expect(late).toMatchObject({ kind: 'queued', ticket: 2, position: 1 });
      if (b.kind !== 'queued') throw new Error('expected a ticket');
      expect(await store.claim(room, l, { number: b.ticket, epoch: b.epoch }, 'b')).toEqual({ kind: 'admitted' });
    });

    it('treats tickets of another line or never issued as unknown', async () => {
      const l = limits({ maxActive: 1 });
      await store.join(room, l, 'a');
      const b = await store.join(room, l, 'b');
      if (b.kind !== 'queued') throw new Error('expected a ticket');
      expect(await store.claim(room, l, { number: b.ticket, epoch: 'other-epoch' }, 'b')).toEqual({ kind: 'unknown' });
      expect(await store.claim(room, l, { number: 99, epoch: b.epoch }, 'b')).toEqual({ kind: 'unknown' });
      expect(await store.claim(room, l, { number: 0, epoch: b.epoch }, 'b')).toEqual({ kind: 'unknown' });
    });

    it('frees the slot of a no-show and keeps their priority if they come back late', async () => {
      const l = limits({ maxActive: 1, noShowSeconds: 0.3 });
      await store.join(room, l, 'a');
      const b = await store.join(room, l, 'b');
      const c = await store.join(room, l, 'c');
      if (b.kind !== 'queued' || c.kind !== 'queued') throw new Error('expected tickets');
      await store.release(room, l, 'a');
      expect((await store.tick(room, l)).frontier).toBe(1);
      await sleep(450);
      const afterNoShow = await store.tick(room, l);
      expect(afterNoShow.frontier).toBe(2);
      expect(afterNoShow.active).toBe(1);
      expect(await store.claim(room, l, { number: b.ticket, epoch: b.epoch }, 'b')).toEqual({ kind: 'queued', position: 1 });
      expect(await store.claim(room, l, { number: c.ticket, epoch: c.epoch }, 'c')).toEqual({ kind: 'admitted' });
      await store.release(room, l, 'c');
      expect(await store.claim(room, l, { number: b.ticket, epoch: b.epoch }, 'b')).toEqual({ kind: 'admitted' });
      expect((await store.tick(room, l)).active).toBe(1);
    });

    it('frees idle sessions; touch renews them and names those already gone', async () => {
      const l = limits({ maxActive: 3, sessionIdleSeconds: 0.4 });
      await store.join(room, l, 'a');
      await store.join(room, l, 'b');
      await sleep(250);
      expect(await store.touch(room, l, ['a', 'nobody'])).toEqual(['nobody']);
      await sleep(250);
      const snapshot = await store.tick(room, l);
      expect(snapshot.active).toBe(1);
      expect(await store.touch(room, l, ['a', 'b'])).toEqual(['b']);
      expect(await store.touch(room, l, [])).toEqual([]);
    });

    it('refills tokens at admitPerMinute / 60 per second and never past admitBurst', async () => {
      const l = limits({ maxActive: 1_000, admitPerMinute: 600, admitBurst: 2 });
      const started = Date.now();
      for (let i = 0; i < 40; i++) await store.join(room, l, `v${i}`);
      let snapshot = await store.tick(room, l);
      for (let i = 0; i < 10; i++) {
        await sleep(60);
        snapshot = await store.tick(room, l);
      }
      const elapsedSeconds = (Date.now() - started) / 1000;
      expect(snapshot.admittedTotal).toBeLessThanOrEqual(2 + Math.ceil(10 * elapsedSeconds) + 1);
      expect(snapshot.admittedTotal).toBeGreaterThanOrEqual(2 + Math.floor(10 * 0.6) - 1);
      await sleep(600);
      expect((await store.tick(room, l)).tokens).toBeLessThanOrEqual(2);
    });

    it('while paused, seats every arrival and calls nobody; on resume the line moves in its old order', async () => {
      const paused = limits({ maxActive: 2, admitting: false });
      const a = await store.join(room, paused, 'a');
      const b = await store.join(room, paused, 'b');
      expect(a).toMatchObject({ kind: 'queued', ticket: 1, position: 1 });
      expect(b).toMatchObject({ kind: 'queued', ticket: 2, position: 2 });
      expect(await store.tick(room, paused)).toMatchObject({ frontier: 0, waiting: 2, active: 0 });
      if (a.kind !== 'queued' || b.kind !== 'queued') throw new Error('expected tickets');
      expect(await store.claim(room, paused, { number: a.ticket, epoch: a.epoch }, 'a')).toEqual({ kind: 'queued', position: 1 });
      const open = limits({ maxActive: 1 });
      expect(await store.tick(room, open)).toMatchObject({ frontier: 1, active: 1 });
      expect(await store.claim(room, open, { number: b.ticket, epoch: b.epoch }, 'b')).toEqual({ kind: 'queued', position: 1 });
      expect(await store.claim(room, open, { number: a.ticket, epoch: a.epoch }, 'a')).toEqual({ kind: 'admitted' });
    });

    it('in queue-all, gives every arrival a ticket even with free slots; the tick calls them in order', async () => {
      const l = limits({ maxActive: 5, queueAll: true });
      const a = await store.join(room, l, 'a');
      const b = await store.join(room, l, 'b');
      expect(a).toMatchObject({ kind: 'queued', ticket: 1, position: 1 });
      expect(b).toMatchObject({ kind: 'queued', ticket: 2, position: 2 });
      expect(await store.tick(room, l)).toMatchObject({ frontier: 2, active: 2 });
      if (a.kind !== 'queued') throw new Error('expected a ticket');
      expect(await store.claim(room, l, { number: a.ticket, epoch: a.epoch }, 'a')).toEqual({ kind: 'admitted' });
    });

    it('skips tickets whose holders stopped asking, without spending slots; a skipped holder who comes back goes first', async () => {
      const l = limits({ maxActive: 2, abandonAfterSeconds: 2 });
      await store.join(room, l, 'a');
      await store.join(room, l, 'b');
      const tickets = [];
      for (const id of ['c', 'd', 'e', 'f', 'g']) {
        const outcome = await store.join(room, l, id);
        if (outcome.kind !== 'queued') throw new Error('expected a ticket');
        tickets.push({ number: outcome.ticket, epoch: outcome.epoch });
      }
      const [c, d, e, f, g] = tickets as [(typeof tickets)[0], (typeof tickets)[0], (typeof tickets)[0], (typeof tickets)[0], (typeof tickets)[0]];
      await sleep(3_100);
      await store.markSeen(room, l, [d.number, f.number, g.number, 999]);
      await store.release(room, l, 'a');
      await store.release(room, l, 'b');
      const snapshot = await store.tick(room, l);
      expect(snapshot).toMatchObject({ frontier: 4, active: 2, abandonedTotal: 2 });
      expect(await store.claim(room, l, d, 'd')).toEqual({ kind: 'admitted' });
      expect(await store.claim(room, l, f, 'f')).toEqual({ kind: 'admitted' });
      expect(await store.claim(room, l, c, 'c')).toEqual({ kind: 'queued', position: 1 });
      expect(await store.claim(room, l, e, 'e')).toEqual({ kind: 'queued', position: 2 });
      expect(await store.claim(room, l, g, 'g')).toEqual({ kind: 'queued', position: 1 });
      expect((await store.tick(room, l)).returned).toBe(2);
      await store.release(room, l, 'd');
      expect(await store.claim(room, l, g, 'g')).toEqual({ kind: 'queued', position: 1 });
      expect(await store.claim(room, l, c, 'c')).toEqual({ kind: 'admitted' });
      expect(await store.claim(room, l, c, 'c')).toEqual({ kind: 'admitted', again: true });
      await store.release(room, l, 'c');
      expect(await store.claim(room, l, e, 'e')).toEqual({ kind: 'admitted' });
      expect((await store.tick(room, l)).returned).toBe(0);
    });

    it('keeps rooms apart', async () => {
      const l = limits({ maxActive: 1 });
      await store.join(room, l, 'a');
      expect(await store.join(`${room}-other`, l, 'a')).toMatchObject({ kind: 'admitted' });
      expect(await store.join(room, l, 'b')).toMatchObject({ kind: 'queued', ticket: 1 });
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
