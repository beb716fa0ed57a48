/**
 * The one way tests wait: poll a condition until it holds, never sleep a fixed time and hope.
 * Timeouts are generous on purpose: how long a wait takes is not under test (the bench scripts
 * measure speed), and a loaded CI machine can be many times slower than a laptop.
 */

const POLL_INTERVAL_MS = 10;
/**
 * Every limit is stretched by this much (`TEST_WAIT_SCALE`, default 3): the figures in the tests say
 * what a quiet machine needs, and CI's 2 cores, busy with the whole suite, can take several times
 * that. A wait that returns does so as soon as its condition holds, so this costs nothing then.
 */
const WAIT_SCALE = Number(process.env.TEST_WAIT_SCALE ?? '3') || 1;

/**
 * Resolves once `condition` holds; after `timeoutMs` fails with "timed out after N ms waiting for
 * <what>" (`what` may be a function, to describe the state at the time it failed).
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string | (() => string),
  timeoutMs = 5000,
): Promise<void> {
  const limitMs = timeoutMs * WAIT_SCALE;
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      const description = typeof what === 'function' ? what() : what;
      throw new Error(`timed out after ${limitMs} ms waiting for ${description}`);
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
