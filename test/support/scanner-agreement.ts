import fc from 'fast-check';

/**
 * A strict scanner (an audio fast path) never disagrees with its full parser on a damaged message:
 * with one character of `base` replaced or inserted (one of `damage`), it answers what the parser
 * answers, or steps aside (undefined) and leaves the message to the parser.
 */
export function expectScannerNeverDisagrees<M>(
  base: string,
  damage: readonly string[],
  scan: (text: string) => M | undefined,
  parse: (text: string) => unknown,
  numRuns: number,
): void {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: base.length - 1 }),
      fc.constantFrom(...damage),
      fc.boolean(),
      (at, char, insert) => {
        const text = base.slice(0, at) + char + base.slice(insert ? at : at + 1);
        const fast = scan(text);
        if (fast !== undefined) expect(parse(text)).toEqual({ ok: true, message: fast });
      },
    ),
    { numRuns },
  );
}
