import { describe, expect, it } from 'vitest';
import { createRedisWaitingRoomStore } from '../../src/waiting-room/redis-store.js';
import { waitingRoomStoreContract } from '../../src/waiting-room/store.contract.js';
import { testRedisClient, uniquePrefix } from '../helpers/redis.js';

waitingRoomStoreContract('redis', async () =>
  createRedisWaitingRoomStore({ client: await testRedisClient(), keyPrefix: uniquePrefix('contract'), ownsClient: true }),
);

describe('a line resumed after Redis lost its data', () => {
  it('keeps tickets in place, honours called and late-issued tickets, and takes sessions back in', async () => {
    const client = await testRedisClient();
    const prefix = uniquePrefix('resume');
    const store = createRedisWaitingRoomStore({ client, keyPrefix: prefix });
    const limits = {
      maxActive: 2,
      admitPerMinute: 6000,
      admitBurst: 100,
      sessionIdleSeconds: 60,
      noShowSeconds: 60,
      abandonAfterSeconds: 600,
      admitting: true,
      queueAll: false,
    };
    await store.join('r', limits, 'a');
    await store.join('r', limits, 'b');
    const tickets = [];
    for (const id of ['c', 'd', 'e', 'f']) {
      const outcome = await store.join('r', limits, id);
      if (outcome.kind !== 'queued') throw new Error('expected a ticket');
      tickets.push({ number: outcome.ticket, epoch: outcome.epoch });
    }
    await store.release('r', limits, 'a');
    const before = await store.tick('r', limits);
    expect(before).toMatchObject({ frontier: 1, nextTicket: 5 });
    const late = await store.join('r', limits, 'g');
    if (late.kind !== 'queued') throw new Error('expected a ticket');
    const keys = await client.keys(`${prefix}:*`);
    await client.del(...keys);

    expect(await store.touch('r', limits, ['b'])).toEqual([]);
    const resumed = await store.tick('r', limits);
    expect(resumed).toMatchObject({ epoch: before.epoch, frontier: 1, nextTicket: 6, active: 1 });
    expect(resumed.resumedAt).toBeGreaterThan(0);
    expect(await store.claim('r', limits, tickets[0]!, 'c')).toEqual({ kind: 'admitted' });
    expect(await store.claim('r', limits, tickets[1]!, 'd')).toEqual({ kind: 'queued', position: 1 });
    expect(await store.claim('r', limits, tickets[2]!, 'e')).toEqual({ kind: 'queued', position: 2 });
    expect(await store.claim('r', limits, { number: late.ticket, epoch: late.epoch }, 'g')).toEqual({ kind: 'queued', position: 4 });
    expect(await store.touch('r', limits, ['b', 'c'])).toEqual([]);
    expect((await store.tick('r', limits)).active).toBe(2);
    client.disconnect();
  });
});
