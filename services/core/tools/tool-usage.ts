/**
 * How often a caller may make the agent act on the world: tools that email, book or call back are
 * counted per call, per caller number per local day, per recipient and for the whole business. The
 * counters live in the call table (DynamoDB conditional writes) so they hold across calls and tasks.
 */
import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import type { UsageCounter } from '../ports/call-store.js';

export type LimitedAction = 'email' | 'booking' | 'callback' | 'text';

/**
 * How many of one action may happen, in each scope. Per caller number per day alone is not enough:
 * anyone can rotate the number they claim. So an email also counts against its recipient's daily
 * allowance (an inbox is flooded from many numbers), and every action against a daily total for the
 * whole business. Days are local days of the business; a callback's day is the day it rings.
 */
export interface ActionLimits {
  perCall: number;
  perCallerPerDay: number;
  /** Per address (case-insensitive) an email goes to, per phone a booking is made under, per day. */
  perRecipientPerDay?: number;
  /** Every caller together. */
  perDay: number;
}

export type ToolLimits = Record<LimitedAction, ActionLimits>;

export const TOOL_LIMITS: ToolLimits = {
  // Follow-ups and booking confirmations alike: both are mail from the business's domain.
  email: { perCall: 2, perCallerPerDay: 3, perRecipientPerDay: 2, perDay: 100 },
  booking: { perCall: 2, perCallerPerDay: 3, perRecipientPerDay: 3, perDay: 40 },
  callback: { perCall: 1, perCallerPerDay: 2, perDay: 20 },
  // Texts (booking confirmations, missed-call text-backs): each costs money and reaches a phone.
  text: { perCall: 2, perCallerPerDay: 3, perRecipientPerDay: 2, perDay: 100 },
};

/** What the agent says when a limit is reached: a sentence it can speak as it is. */
export const OVER_LIMIT_TEXT: Record<LimitedAction, string> = {
  email:
    'I have already sent as many emails as I can for now. The owner will follow up with anything else you need.',
  booking:
    'I have already made as many bookings as I can for now. For more, the team will be glad to help directly.',
  callback: 'I cannot arrange another call back. The team will be in touch as planned.',
  text: 'I have already sent as many texts as I can for now.',
};

const DAY_MS = 24 * 60 * 60 * 1000;
/** How long a usage scope is kept after its day: past that local day, whatever the time zone. */
const USAGE_RETENTION_MS = 2 * DAY_MS;

export type LimitName = 'per-call' | 'per-caller-per-day' | 'per-recipient-per-day' | 'per-day';

export interface UsageCheck {
  counter: UsageCounter;
  limits?: ToolLimits;
  action: LimitedAction;
  callSid: string;
  /** The other party's number: the per-day scope (hashed, so no phone number becomes a key). */
  callerNumber: string;
  /** An email's address, a booking's phone: its per-recipient scope (hashed too). */
  recipient?: string;
  /** Identifies the operation (the tool's own idempotency key): a retry is not counted twice. */
  operation: string;
  timezone: string;
  now: number;
  /** The moment whose local day the action counts on (a callback: when it rings). Default `now`. */
  at?: number;
}

/**
 * `undefined` when the action may go ahead; otherwise which limit it is over. Scopes are taken in
 * order and not given back when a later one refuses: a refusal may use up some allowance, never add.
 */
export async function overLimit(check: UsageCheck): Promise<LimitName | undefined> {
  const limits = (check.limits ?? TOOL_LIMITS)[check.action];
  const operation = digest(check.operation);
  const at = check.at ?? check.now;
  const expiresAt = Math.max(check.now, at) + USAGE_RETENTION_MS;
  const day = DateTime.fromMillis(at, { zone: check.timezone }).toISODate();
  const scopes: Array<[LimitName, string, number | undefined]> = [
    ['per-call', `call:${check.callSid}:${check.action}`, limits.perCall],
    [
      'per-caller-per-day',
      `caller:${digest(check.callerNumber || 'unknown')}:${day}:${check.action}`,
      limits.perCallerPerDay,
    ],
    [
      'per-recipient-per-day',
      `to:${digest((check.recipient ?? '').toLowerCase())}:${day}:${check.action}`,
      check.recipient === undefined ? undefined : limits.perRecipientPerDay,
    ],
    ['per-day', `day:${day}:${check.action}`, limits.perDay],
  ];
  for (const [name, scope, limit] of scopes) {
    if (limit === undefined) continue;
    if (!(await check.counter.take(scope, operation, limit, expiresAt))) return name;
  }
  return undefined;
}

/**
 * True when `value` is the first (or the same as the first) recorded under `scope`: a booking's
 * confirmation goes to one address with one text, whatever a repeat of the booking asks for.
 */
export function firstValueOnly(
  counter: UsageCounter,
  scope: string,
  value: string,
  now: number,
): Promise<boolean> {
  return counter.take(`once:${digest(scope)}`, digest(value), 1, now + USAGE_RETENTION_MS);
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 32);
}

/** The in-process counter: unit tests and tool runners built without the call table. */
export class InProcessUsageCounter implements UsageCounter {
  private readonly scopes = new Map<string, { operations: Set<string>; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async take(scope: string, operation: string, limit: number, expiresAt: number): Promise<boolean> {
    const now = this.now();
    for (const [key, entry] of this.scopes) if (entry.expiresAt < now) this.scopes.delete(key);
    const entry = this.scopes.get(scope) ?? { operations: new Set<string>(), expiresAt };
    this.scopes.set(scope, entry);
    if (entry.operations.has(operation)) return true;
    if (entry.operations.size >= limit) return false;
    entry.operations.add(operation);
    return true;
  }
}
