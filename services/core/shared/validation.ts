import type * as z from 'zod';

/** A zod error as log-friendly lines, `path: message`; `root` names an issue about the whole input. */
export function zodProblems(error: z.ZodError, root: string): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || root}: ${issue.message}`);
}
