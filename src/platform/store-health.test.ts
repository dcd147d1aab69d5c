import { describe, expect, it } from 'vitest';
import { manualClock } from './clock.js';
import type { LogFields, Logger } from './logger.js';
import { createStoreHealth } from './store-health.js';

function recordingLogger() {
  const lines: { level: string; message: string; fields?: LogFields }[] = [];
  const logger: Logger = {
    info: (message, fields) => void lines.push({ level: 'info', message, ...(fields ? { fields } : {}) }),
    warn: (message, fields) => void lines.push({ level: 'warn', message, ...(fields ? { fields } : {}) }),
    error: (message, fields) => void lines.push({ level: 'error', message, ...(fields ? { fields } : {}) }),
  };
  return { lines, logger };
}

describe('store health', () => {
  it('remembers ok or down and since when, logging one warn line going down and one info line coming back', async () => {
    const clock = manualClock(Date.UTC(2026, 5, 1));
    const { lines, logger } = recordingLogger();
    let up = true;
    const health = createStoreHealth({
      ping: async () => {
        if (!up) throw new Error('connect ECONNREFUSED');
      },
      clock,
      logger,
    });
    const started = clock();
    expect(await health.check()).toEqual({ status: 'ok', since: started });
    up = false;
    clock.advance(1_000);
    const downAt = clock();
    expect(await health.check()).toEqual({ status: 'down', since: downAt, error: 'connect ECONNREFUSED' });
    for (let i = 0; i < 5; i++) {
      clock.advance(1_000);
      await health.check();
    }
    expect(health.state()).toMatchObject({ status: 'down', since: downAt });
    up = true;
    clock.advance(4_000);
    expect(await health.check()).toEqual({ status: 'ok', since: clock() });
    await health.check();
    expect(lines.map((l) => `${l.level} ${l.message}`)).toEqual([
      'warn the store is unreachable: each room follows its onStoreFailure policy until it is back',
      'info the store is reachable again',
    ]);
    expect(lines[0]?.fields).toEqual({ error: 'connect ECONNREFUSED' });
    expect(lines[1]?.fields).toEqual({ downSeconds: 9 });
  });

  it('counts a ping that throws at once as down, and shares one check between callers', async () => {
    let pings = 0;
    const health = createStoreHealth({
      ping: () => {
        pings += 1;
        throw new Error('not connected');
      },
    });
    const [a, b] = await Promise.all([health.check(), health.check()]);
    expect(a).toBe(b);
    expect(pings).toBe(1);
    expect(a.status).toBe('down');
    await health.check();
    expect(pings).toBe(2);
  });

  it('checks every interval once started, until stopped', async () => {
    let pings = 0;
    const health = createStoreHealth({ ping: async () => void (pings += 1), intervalMs: 20 });
    health.start();
    await new Promise((resolve) => setTimeout(resolve, 130));
    health.stop();
    const seen = pings;
    expect(seen).toBeGreaterThanOrEqual(3);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(pings).toBe(seen);
  });
});
