import { z } from 'zod';

const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;
const DURATION = /^(\d{1,7})(s|m|h|d)$/;

/** Seconds in an explicit duration (`"45s"`, `"15m"`, `"24h"`, `"30d"`); undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
}

/**
 * A config field holding an explicit duration, parsed to seconds, between `min` and `max`
 * seconds (inclusive). Written `"30s"`, `"5m"`, `"24h"` or `"30d"`.
 */
export function durationField(min: number, max: number) {
  return z
    .string()
    .refine((text) => parseDuration(text) !== undefined, 'must be a duration such as "45s", "15m", "24h" or "30d"')
    .transform((text) => parseDuration(text) as number)
    .refine((seconds) => seconds >= min && seconds <= max, `must be between ${describe(min)} and ${describe(max)}`);
}

function describe(seconds: number): string {
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
