import type { Violation } from '../../services/local/sim/violation.js';

/** A schema check found exactly one violation, saying `why` (and travelling `direction`, when given). */
export function expectOneViolation(violations: Violation[], why: string, direction?: string): void {
  expect(violations).toHaveLength(1);
  expect(violations[0]?.why).toContain(why);
  if (direction !== undefined) expect(violations[0]?.direction).toBe(direction);
}
