/**
 * A resource a whole suite shares (a stack, a database: the slow part to start): started before the
 * suite's first test and stopped after its last. The returned function reads it; call it inside
 * tests and hooks only, where the resource is set.
 */
export function perSuite<T>(
  label: string,
  start: () => Promise<T>,
  stop: (resource: T) => Promise<void> | void,
): () => T {
  let resource: T | undefined;
  beforeAll(async () => {
    resource = await start();
  });
  afterAll(() => (resource === undefined ? undefined : stop(resource)));
  return () => {
    if (resource === undefined) throw new Error(`${label}: read it inside a test or a hook`);
    return resource;
  };
}

/**
 * An object that stands for what `current` returns at the time each property is read, so a suite can
 * hold a resource started later by a hook as if it were the resource itself.
 */
export function readThrough<T extends object>(current: () => T): T {
  return new Proxy({} as T, {
    get: (_target, property) => Reflect.get(current(), property),
  });
}
