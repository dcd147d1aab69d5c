import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../config/load.js';
import { SanhError } from '../platform/errors.js';
import { createProxyLimits, proxyLimitsOptions } from './limits.js';

const options = (extra: Partial<Parameters<typeof proxyLimitsOptions>[0]> = {}) =>
  proxyLimitsOptions({ connections: 8, requestBodyTimeoutSeconds: 0.2, requestBodyMinBytesPerSecond: 100, maxBodiesPerClient: 2, ...extra });

/** Reads a stream to its end, or to its error. */
function drain(stream: NodeJS.ReadableStream): Promise<{ bytes: number; error?: unknown }> {
  return new Promise((resolve) => {
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
    stream.on('end', () => resolve({ bytes }));
    stream.on('error', (error) => resolve({ bytes, error }));
  });
}

describe('proxy limits', () => {
  it('are configured in origin, with defaults, and a reserve as large as the pool is refused by name', () => {
    expect(proxyLimitsOptions(parseConfig({}).origin)).toEqual({
      connections: 256,
      reservedForAdmitted: 64,
      bodyTimeoutMs: 20_000,
      bodyMinBytesPerSecond: 500,
      maxBodiesPerClient: 16,
    });
    try {
      parseConfig({ origin: { connections: 4, reservedForAdmitted: 4, maxBodiesPerClient: 0 } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.join('\n')).toMatch(/origin\.maxBodiesPerClient/);
      expect((error as ConfigError).problems.join('\n')).toMatch(/origin\.reservedForAdmitted: must be less than origin\.connections \(4\)/);
    }
  });

  it('keeps a quarter of the pool for admitted visitors by default, and frees each slot once', () => {
    const limits = createProxyLimits(options());
    expect(limits.options.reservedForAdmitted).toBe(2);
    const slots = Array.from({ length: 6 }, () => limits.takeUnadmitted());
    expect(slots.every((slot) => slot !== undefined)).toBe(true);
    expect(limits.takeUnadmitted()).toBeUndefined();
    slots[0]!();
    slots[0]!();
    expect(limits.figures().unadmitted).toBe(5);
    expect(limits.takeUnadmitted()).toBeDefined();
    expect(limits.takeUnadmitted()).toBeUndefined();
  });

  it('counts bodies per client address until they end', async () => {
    const limits = createProxyLimits(options({ requestBodyTimeoutSeconds: 5 }));
    const a = new PassThrough();
    const first = limits.guardBody(a, '203.0.113.1')!;
    expect(limits.guardBody(new PassThrough(), '203.0.113.1')).toBeDefined();
    expect(limits.guardBody(new PassThrough(), '203.0.113.1')).toBeUndefined();
    expect(limits.guardBody(new PassThrough(), '203.0.113.2')).toBeDefined();
    expect(limits.guardBody(new PassThrough())).toBeDefined(); // admitted: not counted
    const read = drain(first.stream);
    a.end('hello');
    expect(await read).toEqual({ bytes: 5 });
    expect(limits.guardBody(new PassThrough(), '203.0.113.1')).toBeDefined();
  });

  it('cuts a body that stalls past its deadline with request_timeout, and lets a steady one through', async () => {
    const limits = createProxyLimits(options());
    const stalled = new PassThrough();
    const guarded = limits.guardBody(stalled, 'c')!;
    const started = performance.now();
    const result = await drain(guarded.stream);
    expect(result.error).toBeInstanceOf(SanhError);
    expect((result.error as SanhError).status).toBe(408);
    expect(guarded.timedOut()).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(limits.figures().bodies).toBe(0);

    const steady = new PassThrough();
    const ok = limits.guardBody(steady, 'c')!;
    const read = drain(ok.stream);
    // 100 bytes every 100 ms (1,000 B/s) against a 100 B/s minimum: never cut.
    for (let i = 0; i < 5; i++) {
      steady.write(Buffer.alloc(100));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    steady.end();
    expect(await read).toEqual({ bytes: 500 });
    expect(ok.timedOut()).toBe(false);
  });
});
