/** Polls `read` until `accept` holds, or fails with the last value seen after `timeoutMs`. */
export async function eventually<T>(
  read: () => Promise<T> | T,
  accept: (value: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(value)?.slice(0, 400)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
