/** How `until` waits. */
export interface UntilOptions {
  /** The longest wait (ms; default 5,000). */
  ms?: number;
  /** What is waited for, named in the timeout's error. */
  what?: string;
  /** How often `check` runs (ms; default 10). */
  everyMs?: number;
}

/**
 * Resolves once `check` is true, checking every `everyMs`; rejects after `ms` of real time
 * (`performance.now`, so a moved calendar, as in the shifted-clock run, does not change the wait).
 */
export async function until(check: () => boolean | Promise<boolean>, options: UntilOptions = {}): Promise<void> {
  const { ms = 5_000, what = 'a condition', everyMs = 10 } = options;
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
