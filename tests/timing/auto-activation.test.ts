/**
 * Timing-sensitive: `npm test` runs the files in tests/timing/ alone, after the rest, so that no
 * other test file competes for the two cores while the controller measures the portal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoomFigures } from '../../src/admin/figures.js';
import type { AuditEntry } from '../../src/admin/settings-store.js';
import { startDemoSanh, type DemoSanh } from '../helpers/demo-sanh.js';
import { Visitor, overHttp } from '../helpers/visitor.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Auto-activation against the demo portal's capacity knob: citizens load pages of a room in
 * passthrough; when the portal's capacity drops, the room switches itself to open (newcomers
 * queue) through live settings (audited); when it returns and the origin has been calm for
 * `calmSeconds`, the room goes back to passthrough — unless an operator set the mode meanwhile.
 */
describe('auto-activation with the demo portal', () => {
  let demo: DemoSanh;
  let running = true;
  let citizens: Promise<void>[] = [];

  const figures = () => demo.figures('main');
  const capacity = (workers: number) => demo.portal.portal.setCapacity(workers);
  const audit = async () =>
    ((await demo.admin('/api/audit?limit=100')) as { entries: AuditEntry[] }).entries.map((entry) => `${entry.by}:${entry.action}`).reverse();
  /** Asks `probe` every 100 ms until it gives a value; undefined after `withinMs`. */
  async function eventually<T>(probe: () => Promise<T | undefined>, withinMs: number): Promise<T | undefined> {
    const from = Date.now();
    while (Date.now() - from < withinMs) {
      const value = await probe();
      if (value !== undefined) return value;
      await sleep(100);
    }
    return undefined;
  }
  /** The room's figures once `done` holds (undefined after `withinMs`). */
  const until = (done: (f: RoomFigures) => boolean, withinMs: number) =>
    eventually(async () => {
      const now = await figures();
      return done(now) ? now : undefined;
    }, withinMs);
  /** What Sảnh tells a newcomer right now. */
  const newcomer = async () => {
    const answer = await new Visitor(overHttp(demo.sanh.url)).page('/apply/step/1');
    await answer.arrayBuffer();
    return answer.headers.get('sanh-state');
  };
  /**
   * Newcomers until one is queued (undefined after `withinMs`): right after the switch the
   * citizens' last passthrough requests may still be at the portal, so the room's two slots may
   * be free for the first newcomers.
   */
  const queuedNewcomer = (withinMs: number) => eventually(async () => ((await newcomer()) === 'queued' ? 'queued' : undefined), withinMs);

  /** A citizen loading pages as fast as the portal answers; queued, they ask again a little later. */
  async function citizen(): Promise<void> {
    const visitor = new Visitor(overHttp(demo.sanh.url));
    while (running) {
      const answer = await visitor.page('/apply/step/1').catch(() => undefined);
      await answer?.arrayBuffer();
      await sleep(answer?.headers.get('sanh-state') === 'queued' ? 250 : 20);
    }
  }

  beforeAll(async () => {
    const config = {
      rooms: [
        {
          id: 'main',
          match: ['/'],
          mode: 'passthrough',
          maxActive: 2,
          admitPerMinute: 120,
          clientLimits: { joinPerMinute: 10_000_000, statusPerMinute: 10_000_000 },
          // Auto-activation on its own (the rate is not adapted): the line's limits protect the portal.
          adaptive: { targetP95Ms: 800, maxErrorRate: 0.05, intervalSeconds: 0.5, minSamples: 10, autoActivate: { enabled: true, calmSeconds: 2 } },
        },
      ],
      snapshotIntervalMs: 50,
    };
    demo = await startDemoSanh({ portal: { capacity: 4, serviceMs: 100, queueLimit: 6, timeoutMs: 2_000 }, config });
    citizens = Array.from({ length: 8 }, () => citizen());
  });
  afterAll(async () => {
    running = false;
    await Promise.all(citizens);
    await demo?.close();
  });

  it('queues while the portal struggles, and lets everyone through again after the calm period', async () => {
    // 8 citizens on 4 workers at 100 ms: within the portal's capacity, nothing happens.
    await sleep(1_500);
    expect(await figures()).toMatchObject({ mode: 'passthrough', autoActivation: { enabled: true, active: false } });
    expect(await newcomer()).toBe('passthrough');

    capacity(1);
    const active = await until((f) => f.mode === 'open', 4_000);
    expect(active?.autoActivation).toMatchObject({ active: true, since: expect.any(String), reason: expect.stringMatching(/over/) });
    expect(await queuedNewcomer(3_000)).toBe('queued');
    expect(await audit()).toEqual(['auto-activation:auto-activate']);

    capacity(4);
    // Calm for 2 s (control intervals of 0.5 s) once the portal's queue has drained.
    const back = await until((f) => f.mode === 'passthrough', 6_000);
    expect(back?.autoActivation).toMatchObject({ active: false, since: null });
    expect(await newcomer()).toBe('passthrough');
    expect(await audit()).toEqual(['auto-activation:auto-activate', 'auto-activation:auto-deactivate']);
  }, 30_000);

  it('never reverts an operator who set the mode during an activation', async () => {
    const before = (await audit()).length;
    capacity(1);
    expect(await until((f) => f.mode === 'open', 4_000)).toBeDefined();
    await demo.admin('/api/rooms/main/queue-all', { method: 'POST', body: '{}' });
    expect((await figures()).autoActivation).toMatchObject({ active: false, endedBy: 'admin' });

    capacity(4);
    // Well past the calm period: the operator's queue-all stays.
    await sleep(4_000);
    expect((await figures()).mode).toBe('queue-all');
    expect(await newcomer()).toBe('queued');
    expect((await audit()).slice(before, before + 2)).toEqual(['auto-activation:auto-activate', 'admin:queue-all']);
  }, 30_000);
});
