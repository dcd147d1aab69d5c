import { isSpanContextValid, trace } from '@opentelemetry/api';

/** Structured log fields. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** The logging port: one line per event, machine-readable. */
export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** The active span's trace and span ids, for a line written while one is active. */
function traceIds(): { traceId: string; spanId: string } | undefined {
  const ids = trace.getActiveSpan()?.spanContext();
  return ids && isSpanContextValid(ids) ? { traceId: ids.traceId, spanId: ids.spanId } : undefined;
}

/**
 * Writes one JSON object per line to stdout/stderr; a line written while a span is active carries
 * its `traceId` and `spanId`.
 */
export function jsonLogger(base: LogFields = {}): Logger {
  const write = (level: string, message: string, fields: LogFields = {}) => {
    const line = JSON.stringify({ time: new Date().toISOString(), level, message, ...base, ...traceIds(), ...fields });
    if (level === 'info') console.log(line);
    else console.error(line);
  };
  return {
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
    (level: keyof Logger) =>
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
  return { info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}
