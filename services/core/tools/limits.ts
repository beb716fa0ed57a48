import type { ToolResult } from '../ports/tool-calls.js';
import type { ToolContext } from './tool.js';
import { type LimitedAction, OVER_LIMIT_TEXT, overLimit } from './tool-usage.js';

/**
 * Counts one action of this call against `TOOL_LIMITS`. Undefined: go ahead. Otherwise the result
 * the agent speaks instead, with one log line that names the limit (never the caller's number).
 * Call it after the tool's own checks, so a refused request does not use up the allowance.
 */
export async function limitRefusal(
  context: ToolContext,
  action: LimitedAction,
  operation: string,
  counted: { recipient?: string; at?: number } = {},
): Promise<ToolResult | undefined> {
  const { deps, callSid, remoteNumber, log } = context;
  const over = await overLimit({
    counter: deps.usage,
    limits: deps.limits,
    action,
    callSid,
    callerNumber: remoteNumber,
    operation,
    timezone: deps.business.timezone,
    now: deps.now(),
    ...counted,
  });
  if (!over) return undefined;
  log.warn('Tool limit reached: the agent was told it cannot', { action, limit: over });
  return { ok: false, text: OVER_LIMIT_TEXT[action] };
}

/**
 * The customer row a booking or lead is kept under. Name, email and business reach it only for the
 * caller's own number on a call whose number is vouched for (`callerVerified`): anyone can claim a
 * number or say someone else's, and the next verified call from that number is greeted with what
 * is stored there. Otherwise the row is bare (created if absent, left as it is if not) and the
 * details stay on the lead or appointment itself.
 */
export function customerFields<T extends { name?: string; email?: string; business?: string }>(
  phone: string,
  caller: { number: string; verified: boolean },
  fields: T,
): { phone: string } & Partial<T> {
  return phone === caller.number && caller.verified
    ? { phone, ...fields }
    : ({ phone } as { phone: string } & Partial<T>);
}

/**
 * The caller of this tool call as `customerFields` needs it. Asked only when `phone` is their own
 * number; a failed lookup counts as unverified (the lead or booking still goes ahead).
 */
export async function callerOf(
  context: ToolContext,
  phone: string,
): Promise<{ number: string; verified: boolean }> {
  const { callSid, remoteNumber, deps, log } = context;
  if (phone !== remoteNumber || !deps.callers) return { number: remoteNumber, verified: false };
  try {
    return { number: remoteNumber, verified: await deps.callers.callerVerified(callSid) };
  } catch (error) {
    log.warn('Caller verification could not be read: the customer row is left as it is', { error });
    return { number: remoteNumber, verified: false };
  }
}
