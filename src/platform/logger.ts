import { isSpanContextValid, trace } from '@opentelemetry/api';

/** Structured log fields. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** The logging port: one line per event, machine-readable. */
export interface Logger {
  /** Detail an operator only wants while looking into something (hidden unless `LOG_LEVEL=debug`); optional for loggers that drop it. */
  debug?(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** The levels a log line can have, least severe first (`LOG_LEVEL`). */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** A log line's level; a logger set to one writes it and every more severe level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The level named by `value` (e.g. `LOG_LEVEL`), case-insensitive; undefined when it names none. */
export function parseLogLevel(value: string): LogLevel | undefined {
  const level = value.trim().toLowerCase();
  return LOG_LEVELS.find((known) => known === level);
}

/** The active span's trace and span ids (OpenTelemetry's log field names), for a line written while one is active. */
function traceIds(): { trace_id: string; span_id: string } | undefined {
  const ids = trace.getActiveSpan()?.spanContext();
  return ids && isSpanContextValid(ids) ? { trace_id: ids.traceId, span_id: ids.spanId } : undefined;
}

/** What `jsonLogger` writes. */
export interface JsonLoggerOptions {
  /** The least severe level written (default `info`: debug lines are dropped). */
  level?: LogLevel;
}

/**
 * Writes one JSON object per line: debug and info to stdout, warn and error to stderr; lines below
 * `options.level` are dropped. A line written while a span is active carries its `trace_id` and
 * `span_id` (the OpenTelemetry log data model's names).
 */
export function jsonLogger(base: LogFields = {}, options: JsonLoggerOptions = {}): Logger {
  const least = LOG_LEVELS.indexOf(options.level ?? 'info');
  const write = (level: LogLevel, message: string, fields: LogFields = {}) => {
    if (LOG_LEVELS.indexOf(level) < least) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level, message, ...base, ...traceIds(), ...fields });
    if (level === 'info' || level === 'debug') console.log(line);
    else console.error(line);
  };
  return {
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
  };
}

/** A URL as a log line shows it: scheme, host and path, never credentials, query or fragment. */
export function urlForLog(value: string): string {
  try {
    const url = new URL(value);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return 'unparsable';
  }
}

/** Discards everything; for tests. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** Emits a given message at most once per `intervalMs`, counting what it held back. */
export function throttled(logger: Logger, intervalMs: number): Logger {
  const last = new Map<string, { at: number; suppressed: number }>();
  const wrap =
    (level: 'info' | 'warn' | 'error') =>
    (message: string, fields?: LogFields): void => {
      const now = Date.now();
      const seen = last.get(message);
      if (seen && now - seen.at < intervalMs) {
        seen.suppressed += 1;
        return;
      }
      last.set(message, { at: now, suppressed: 0 });
      logger[level](message, { ...fields, ...(seen?.suppressed ? { suppressed: seen.suppressed } : {}) });
    };
  return { debug: (message, fields) => logger.debug?.(message, fields), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}
