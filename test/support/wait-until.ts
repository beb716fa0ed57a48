/**
 * The one way tests wait: poll a condition until it holds, never sleep a fixed time and hope.
 * Timeouts are generous on purpose: how long a wait takes is not under test (the bench scripts
 * measure speed), and a loaded CI machine can be many times slower than a laptop.
 */

const POLL_INTERVAL_MS = 10;

/**
 * Resolves once `condition` holds; after `timeoutMs` fails with "timed out after N ms waiting for
 * <what>" (`what` may be a function, to describe the state at the time it failed).
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string | (() => string),
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      const description = typeof what === 'function' ? what() : what;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** Reads until `accept` holds and returns that value; on timeout the error shows the last value read. */
export async function eventually<T>(
  read: () => Promise<T> | T,
  accept: (value: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  let last: T | undefined;
  await waitUntil(
    async () => {
      last = await read();
      return accept(last);
    },
    () => `a value to accept; the last read was ${JSON.stringify(last)?.slice(0, 400)}`,
    timeoutMs,
  );
  return last as T;
}
