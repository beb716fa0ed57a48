/**
 * Event-driven waiting for simulator state: the owner calls `notify()` whenever its state changes
 * (a message arrived, a mark was echoed, the socket closed), and every pending `waitFor` re-checks
 * its predicate then. No polling, so a waiting test costs nothing and reacts at once.
 */
interface Pending {
  check: () => boolean;
  resolve: () => void;
}

export class Waiter {
  private readonly pending = new Set<Pending>();

  /**
   * Resolves once `predicate()` holds (checked now and on every `notify`); rejects after `timeoutMs`
   * (`Infinity`: never; the predicate must then cover every way out, e.g. a closed socket).
   */
  waitFor(predicate: () => boolean, timeoutMs: number, what = 'condition'): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const entry: Pending = {
        check: predicate,
        resolve: () => {
          clearTimeout(timer);
          this.pending.delete(entry);
          resolve();
        },
      };
      const timer =
        timeoutMs === Number.POSITIVE_INFINITY
          ? undefined
          : setTimeout(() => {
              this.pending.delete(entry);
              reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
            }, timeoutMs);
      this.pending.add(entry);
    });
  }

  notify(): void {
    for (const entry of [...this.pending]) {
      if (entry.check()) entry.resolve();
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** A promise that is already marked handled, so leaving it un-awaited never crashes the process. */
export function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
