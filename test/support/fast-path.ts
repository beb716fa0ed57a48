import fc from 'fast-check';

/**
 * What every wire codec's fast path promises: on a frame damaged by one character (inserted or
 * replaced anywhere), it answers exactly what the full parser answers, or steps aside (undefined).
 */
export function expectFastPathAgrees<T>(
  base: string,
  paths: { scan: (text: string) => T | undefined; parseAny: (text: string) => unknown },
  damage: readonly string[],
  numRuns: number,
): void {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: base.length - 1 }),
      fc.constantFrom(...damage),
      fc.boolean(),
      (at, char, insert) => {
        const text = base.slice(0, at) + char + base.slice(insert ? at : at + 1);
        const fast = paths.scan(text);
        if (fast !== undefined) expect(paths.parseAny(text)).toEqual({ ok: true, message: fast });
      },
    ),
    { numRuns },
  );
}
