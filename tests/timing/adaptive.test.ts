/**
 * Timing-sensitive: `npm test` runs the files in tests/timing/ alone, after the rest, so that no
 * other test file competes for the two cores while the controller measures the portal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDemoPortal } from '../../src/demo-portal/server.js';
import { startDemoSanh, type DemoSanh } from '../helpers/demo-sanh.js';
import { Visitor, overHttp } from '../helpers/visitor.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Adaptive admission against the demo portal's capacity knob: citizens keep arriving (each waits
 * its turn, then loads two pages); halving the portal's capacity makes the adaptive rate fall
 * within two control intervals and the portal's errors stop; restoring it lets admission climb.
 */
describe('adaptive admission with the demo portal', () => {
  let demo: DemoSanh;
  let portal: RunningDemoPortal;
  let running = true;
  const errors = { count: 0 };

  const figures = () => demo.figures('main');

  async function citizen(): Promise<void> {
    while (running) {
      const visitor = new Visitor(overHttp(demo.sanh.url));
      for (let tries = 0; running && tries < 200; tries++) {
        const answer = await visitor.page('/apply/step/1').catch(() => undefined);
        if (!answer) break;
        await answer.arrayBuffer();
        const state = answer.headers.get('sanh-state');
        if (state === 'admitted') {
          if (answer.status >= 500) errors.count += 1;
          const next = await visitor.page('/').catch(() => undefined);
          if (next && next.status >= 500) errors.count += 1;
          await next?.arrayBuffer();
          break;
        }
        await sleep(100);
      }
    }
  }

  beforeAll(async () => {
    const config = {
      rooms: [
        {
          id: 'main',
          match: ['/'],
          maxActive: 100_000,
          admitPerMinute: 900,
          admitBurst: 5,
          noShowSeconds: 5,
          clientLimits: { joinPerMinute: 10_000_000, statusPerMinute: 10_000_000 },
          adaptive: {
            enabled: true,
            targetP95Ms: 500,
            maxErrorRate: 0.05,
            intervalSeconds: 1,
            minSamples: 10,
            decreaseFactor: 0.6,
            increasePerMinute: 90,
            minPerMinute: 60,
          },
        },
      ],
      snapshotIntervalMs: 50,
    };
    demo = await startDemoSanh({ portal: { capacity: 4, serviceMs: 100, queueLimit: 6, timeoutMs: 2_000 }, config });
    portal = demo.portal;
  });
  afterAll(async () => {
    running = false;
    await sleep(300);
    await demo?.close();
  });

  it("admits less when the portal's capacity halves, so its errors stop, and more when it returns", async () => {
    const citizens = Array.from({ length: 24 }, () => citizen());
    await sleep(4_000);
    // 900 a minute is 15 citizens a second, 30 pages: the portal's 4 workers at 100 ms carry 40.
    expect((await figures()).adaptive).toMatchObject({ ratePerMinute: expect.any(Number) });

    portal.portal.setCapacity(2);
    const halvedAt = Date.now();
    let fell: number | undefined;
    while (Date.now() - halvedAt < 6_000) {
      const now = await figures();
      if (fell === undefined && (now.adaptive?.ratePerMinute ?? Infinity) <= 900 * 0.7) fell = Date.now() - halvedAt;
      await sleep(100);
    }
    expect(fell).toBeDefined();
    expect(fell).toBeLessThan(2_500);
    portal.portal.resetStats();
    await sleep(3_000);
    const calm = portal.portal.stats();
    const served = calm.served + calm.rejected + calm.timedOut;
    // The portal still serves (admission did not stop), now within its capacity.
    expect(served).toBeGreaterThanOrEqual(5);
    expect((calm.rejected + calm.timedOut) / served).toBeLessThan(0.05);
    const low = (await figures()).adaptive?.ratePerMinute ?? 0;

    portal.portal.setCapacity(4);
    await sleep(5_000);
    const after = await figures();
    expect(low).toBeLessThan(900);
    expect(after.adaptive?.ratePerMinute).toBeGreaterThanOrEqual(Math.min(900, low + 150));
    running = false;
    await Promise.all(citizens);
  }, 60_000);
});
