type AsyncMethod = (...args: unknown[]) => Promise<unknown>;

/**
 * Makes the named methods of `target` fail before doing anything while `isDown()` answers true,
 * as a service answering 503 does; the rest of the object behaves as it always does.
 */
export function failWhileDown<T extends object>(
  target: T,
  methods: ReadonlyArray<keyof T & string>,
  isDown: () => boolean,
  unavailable: () => Error,
): void {
  const slots = target as Record<string, unknown>;
  for (const name of methods) {
    const method = slots[name];
    if (typeof method !== 'function') throw new Error(`${name} is not a method`);
    const call = (method as AsyncMethod).bind(target);
    slots[name] = async (...args: unknown[]) => {
      if (isDown()) throw unavailable();
      return call(...args);
    };
  }
}
