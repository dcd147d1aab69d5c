/**
 * A closer stack: each part a start opens pushes how to close it; closing runs them in reverse
 * order (the last opened first), once. A start that fails half-way closes exactly what it had
 * opened and throws its error (`openAll`). Web APIs only: the Workers entry may use it.
 */
export interface Closers {
  /** Registers how to close what was just opened. */
  push(close: () => unknown): void;
  /**
   * Runs every registered close function, last pushed first, each awaited; one that fails does
   * not stop the others (the first failure is thrown at the end). Once: later calls return the
   * same promise; what is pushed after the first call is closed by no one.
   */
  close(): Promise<void>;
}

export function createClosers(): Closers {
  const stack: Array<() => unknown> = [];
  let closing: Promise<void> | undefined;
  return {
    push(close) {
      stack.push(close);
    },
    close() {
      closing ??= (async () => {
        let failure: { error: unknown } | undefined;
        for (let close = stack.pop(); close; close = stack.pop()) {
          try {
            await close();
          } catch (error) {
            failure ??= { error };
          }
        }
        if (failure) throw failure.error;
      })();
      return closing;
    },
  };
}

/**
 * Runs `open` with a fresh closer stack: when it throws, everything it pushed is closed (errors
 * while closing are dropped: the start's own error is the one thrown).
 */
export async function openAll<T>(open: (closers: Closers) => Promise<T> | T, closers: Closers = createClosers()): Promise<T> {
  try {
    return await open(closers);
  } catch (error) {
    await closers.close().catch(() => undefined);
    throw error;
  }
}
