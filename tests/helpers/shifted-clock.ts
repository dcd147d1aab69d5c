/**
 * Moves this Node process's wall clock by `SANH_CLOCK_SHIFT` (for example `+400d`, `-30d`, `+12h`),
 * so that a suite run under it shows that no test depends on today's date. Loaded before anything
 * else with `NODE_OPTIONS="--import <this file>"`, which every child Node process inherits (vitest's
 * workers, the Sảnh processes tests start). Only `Date` moves: timers and `performance.now()`
 * keep real time, as they would on a machine whose calendar says another day.
 *
 * Why not libfaketime (Debian's `faketime`): redis-server's statically linked jemalloc calls
 * `clock_gettime` while libfaketime initialises, and it never starts under it. Redis therefore
 * keeps the machine's clock in the shifted run; see CONTRIBUTING.md.
 */
const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 };

function shiftOf(value: string | undefined): number {
  if (!value) return 0;
  const match = /^([+-]?)(\d+)([dhms])$/.exec(value.trim());
  if (!match) throw new Error(`SANH_CLOCK_SHIFT must look like +400d, -12h or +90s, got "${value}"`);
  const [, sign, amount, unit] = match as unknown as [string, string, string, string];
  return (sign === '-' ? -1 : 1) * Number(amount) * (UNIT_MS[unit] as number);
}

const shiftMs = shiftOf(process.env.SANH_CLOCK_SHIFT);

if (shiftMs !== 0) {
  const RealDate = Date;
  const shiftedNow = (): number => RealDate.now() + shiftMs;
  class ShiftedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(shiftedNow());
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return shiftedNow();
    }
  }
  globalThis.Date = ShiftedDate as DateConstructor;
}
