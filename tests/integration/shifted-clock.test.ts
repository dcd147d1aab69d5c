import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
/** The machine's real wall clock: `performance.timeOrigin` is read from the system before any test code runs. */
const realNow = () => performance.timeOrigin + performance.now();
const DAY_MS = 86_400_000;

/**
 * `npm run test:shifted-clock` runs the suites with `SANH_CLOCK_SHIFT=+400d`: this proves the shift
 * is really in force there (in the test process and in the Node processes tests start), so a green
 * shifted run means something. In the plain run it checks that nothing is shifted.
 */
describe('the shifted-clock run', () => {
  const shifted = process.env.SANH_CLOCK_SHIFT === '+400d';

  it('moves Date in the test process by the shift, and only Date', () => {
    const offset = Date.now() - realNow();
    if (shifted) expect(Math.abs(offset - 400 * DAY_MS)).toBeLessThan(60_000);
    else expect(Math.abs(offset)).toBeLessThan(60_000);
    expect(new Date(0).toISOString()).toBe('1970-01-01T00:00:00.000Z');
    expect(Date.parse('2026-01-01T00:00:00Z')).toBe(1_767_225_600_000);
  });

  it('moves Date in the Node processes a test starts', async () => {
    const { stdout } = await run(process.execPath, ['-e', 'console.log(Date.now() - (performance.timeOrigin + performance.now()))'], { env: process.env });
    const offset = Number(stdout.trim());
    expect(Math.abs(offset - (shifted ? 400 * DAY_MS : 0))).toBeLessThan(60_000);
  });
});
