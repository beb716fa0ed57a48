import type * as z from 'zod';

/** `parseArgs` declarations of options that take a value, checked later by a schema. */
export function stringOptions<K extends string>(...names: K[]): Record<K, { type: 'string' }> {
  return Object.fromEntries(names.map((name) => [name, { type: 'string' as const }])) as Record<
    K,
    { type: 'string' }
  >;
}

/** The options parsed by `schema`; throws an Error naming the first wrong option (`--name: why`). */
export function parsedOptions<T>(schema: z.ZodType<T>, input: Record<string, unknown>): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`--${String(issue?.path[0] ?? 'options')}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
