/**
 * How often a caller may make the agent act on the world (issue 11): tools that email, book or
 * call back are counted per call and per caller number per local day. The counters live in the
 * call table (DynamoDB conditional writes) so they hold across calls and bridge tasks.
 */
import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';

/**
 * A set of distinct operations under one scope, bounded in size. Counting operations (not calls
 * of `take`) keeps a retried tool call, which repeats its operation key, from using up the limit.
 */
export interface UsageCounter {
  /**
   * Records `operation` under `scope` unless the scope already holds `limit` other operations.
   * True when the operation is (now, or already was) within the limit; false when it is over.
   * `expiresAt` (epoch ms) lets the store forget the scope once it no longer matters.
   */
  take(scope: string, operation: string, limit: number, expiresAt: number): Promise<boolean>;
}

export type LimitedAction = 'follow-up-email' | 'booking' | 'callback';

/** Per call; and per caller number per local day where the action reaches outside the call. */
export const TOOL_LIMITS: Record<LimitedAction, { perCall: number; perCallerPerDay?: number }> = {
  'follow-up-email': { perCall: 2, perCallerPerDay: 3 },
  booking: { perCall: 2 },
  callback: { perCall: 1, perCallerPerDay: 2 },
};

/** What the agent says when a limit is reached: a sentence it can speak as it is. */
export const OVER_LIMIT_TEXT: Record<LimitedAction, string> = {
  'follow-up-email':
    'I have already sent as many emails as I can for now. The owner will follow up with anything else you need.',
  booking:
    'I have already made as many bookings as I can on one call. For more, the team will be glad to help directly.',
  callback:
    'A call back is already arranged, and I cannot add more today. The team will be in touch as planned.',
};

const DAY_MS = 24 * 60 * 60 * 1000;
/** How long a usage scope is kept: past its local day, whatever the time zone. */
const USAGE_RETENTION_MS = 2 * DAY_MS;

export interface UsageCheck {
  counter: UsageCounter;
  action: LimitedAction;
  callSid: string;
  /** The other party's number: the per-day scope (hashed, so no phone number becomes a key). */
  callerNumber: string;
  /** Identifies the operation (the tool's own idempotency key): a retry is not counted twice. */
  operation: string;
  timezone: string;
  now: number;
}

/** `undefined` when the action may go ahead; otherwise which limit it is over. */
export async function overLimit(check: UsageCheck): Promise<'per-call' | 'per-caller-per-day' | undefined> {
  const limits = TOOL_LIMITS[check.action];
  const operation = digest(check.operation);
  const expiresAt = check.now + USAGE_RETENTION_MS;
  if (
    !(await check.counter.take(`call:${check.callSid}:${check.action}`, operation, limits.perCall, expiresAt))
  )
    return 'per-call';
  if (limits.perCallerPerDay === undefined) return undefined;
  const day = DateTime.fromMillis(check.now, { zone: check.timezone }).toISODate();
  const caller = digest(check.callerNumber || 'unknown');
  const scope = `caller:${caller}:${day}:${check.action}`;
  if (!(await check.counter.take(scope, operation, limits.perCallerPerDay, expiresAt)))
    return 'per-caller-per-day';
  return undefined;
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 32);
}

/** The in-process counter: unit tests and tool runners built without the call table. */
export class InProcessUsageCounter implements UsageCounter {
  private readonly scopes = new Map<string, { operations: Set<string>; expiresAt: number }>();

  async take(scope: string, operation: string, limit: number, expiresAt: number): Promise<boolean> {
    // Scopes that expired before this one began are forgotten (the caller's clock, not the wall's:
    // every scope lives USAGE_RETENTION_MS from the take that made it).
    const now = expiresAt - USAGE_RETENTION_MS;
    for (const [key, entry] of this.scopes) if (entry.expiresAt < now) this.scopes.delete(key);
    const entry = this.scopes.get(scope) ?? { operations: new Set<string>(), expiresAt };
    this.scopes.set(scope, entry);
    if (entry.operations.has(operation)) return true;
    if (entry.operations.size >= limit) return false;
    entry.operations.add(operation);
    return true;
  }
}
