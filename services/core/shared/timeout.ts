/** The error of work that did not settle in time; `ms` is the limit it was given. */
export class TimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * `work`, or a TimeoutError after `ms`. The work itself goes on (a promise cannot be cancelled);
 * its late result is ignored. The timer never outlives the race.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(ms)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A signal for one bounded attempt; `done()` once the attempt has settled. */
export interface AttemptSignal {
  signal: AbortSignal;
  done(): void;
}

/**
 * A signal that aborts after `ms` (with the reason `AbortSignal.timeout` gives) or when `outer`
 * does, until `done()`. `AbortSignal.any([AbortSignal.timeout(ms), outer])` does the same, but its
 * timer stays armed after the attempt succeeded (firing, building its error, and aborting listeners
 * long gone) and the composite is tracked through weak references until collected: per call setup,
 * on a bridge that starts calls by the hundred.
 */
export function attemptSignal(ms: number, outer: AbortSignal): AttemptSignal {
  const controller = new AbortController();
  const forward = () => controller.abort(outer.reason);
  if (outer.aborted) forward();
  else outer.addEventListener('abort', forward, { once: true });
  const timer = setTimeout(
    () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    ms,
  );
  return {
    signal: controller.signal,
    done: () => {
      clearTimeout(timer);
      outer.removeEventListener('abort', forward);
    },
  };
}
