/**
 * Counts of failed store operations, by domain (`waiting-room`, `drafts`, `submissions`, ...): the
 * port `sanh_store_errors_total` reads. Each domain's store is wrapped once where it is built, so
 * every failure counts, whichever part of the domain catches it.
 */
export interface StoreErrorCounts {
  /** The store with each failed operation (a rejected promise or a throw) counted under `domain`, then passed on unchanged. */
  wrap<S extends object>(domain: string, store: S): S;
  /** Failed operations so far, by domain. */
  totals(): ReadonlyMap<string, number>;
}

/** Creates the counts (this instance's; every instance exports its own). */
export function createStoreErrorCounts(): StoreErrorCounts {
  const totals = new Map<string, number>();
  const count = (domain: string) => totals.set(domain, (totals.get(domain) ?? 0) + 1);
  function counted(domain: string, operation: (...args: unknown[]) => unknown, target: object) {
    return function countedOperation(...args: unknown[]): unknown {
      let result: unknown;
      try {
        result = operation.apply(target, args);
      } catch (error) {
        count(domain);
        throw error;
      }
      if (result instanceof Promise) {
        return result.catch((error: unknown) => {
          count(domain);
          throw error;
        });
      }
      return result;
    };
  }
  return {
    wrap(domain, store) {
      const wrapped = new Map<PropertyKey, unknown>();
      return new Proxy(store, {
        get(target, name) {
          const value = Reflect.get(target, name, target) as unknown;
          if (typeof value !== 'function') return value;
          let operation = wrapped.get(name);
          if (!operation) {
            operation = counted(domain, value as (...args: unknown[]) => unknown, target);
            wrapped.set(name, operation);
          }
          return operation;
        },
      });
    },
    totals: () => totals,
  };
}
