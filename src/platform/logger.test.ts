import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonLogger, parseLogLevel, throttled } from './logger.js';

describe('jsonLogger', () => {
  afterEach(() => vi.restoreAllMocks());

  function capture() {
    const stdout: string[] = [];
    const stderr: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void stdout.push(String(line)));
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => void stderr.push(String(line)));
    return { stdout, stderr };
  }

  it('writes one JSON object per line: debug and info on stdout, warn and error on stderr, filtered by level', () => {
    const { stdout, stderr } = capture();
    const all = jsonLogger({ service: 'sanh' }, { level: 'debug' });
    all.debug?.('d', { n: 1 });
    all.info('i');
    all.warn('w');
    all.error('e');
    expect(stdout.map((line) => (JSON.parse(line) as { level: string }).level)).toEqual(['debug', 'info']);
    expect(stderr.map((line) => (JSON.parse(line) as { level: string }).level)).toEqual(['warn', 'error']);
    expect(JSON.parse(stdout[0] as string)).toMatchObject({ level: 'debug', message: 'd', service: 'sanh', n: 1, time: expect.any(String) });

    stdout.length = 0;
    stderr.length = 0;
    const byDefault = jsonLogger();
    byDefault.debug?.('hidden');
    byDefault.info('shown');
    expect(stdout).toHaveLength(1);
    const warnOnly = jsonLogger({}, { level: 'warn' });
    warnOnly.debug?.('no');
    warnOnly.info('no');
    warnOnly.warn('yes');
    warnOnly.error('yes');
    expect(stdout).toHaveLength(1);
    expect(stderr).toHaveLength(2);
    const errorOnly = jsonLogger({}, { level: 'error' });
    errorOnly.warn('no');
    expect(stderr).toHaveLength(2);
  });

  it("names the active span by OpenTelemetry's log fields, trace_id and span_id", () => {
    const { stdout } = capture();
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      const spanContext = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 };
      context.with(trace.setSpanContext(context.active(), spanContext), () => jsonLogger().info('in a span'));
      jsonLogger().info('outside');
    } finally {
      context.disable();
    }
    const [inside, outside] = stdout.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(inside).toMatchObject({ trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16) });
    expect(inside).not.toHaveProperty('traceId');
    expect(inside).not.toHaveProperty('spanId');
    expect(outside).not.toHaveProperty('trace_id');
  });

  it('parses LOG_LEVEL values, case-insensitive, and nothing else', () => {
    expect(parseLogLevel('debug')).toBe('debug');
    expect(parseLogLevel(' WARN ')).toBe('warn');
    expect(parseLogLevel('verbose')).toBeUndefined();
    expect(parseLogLevel('')).toBeUndefined();
  });

  it('throttled passes debug lines through', () => {
    const seen: string[] = [];
    const logger = throttled({ debug: (m) => void seen.push(m), info() {}, warn() {}, error() {} }, 60_000);
    logger.debug?.('x');
    logger.debug?.('x');
    expect(seen).toEqual(['x', 'x']);
  });
});
