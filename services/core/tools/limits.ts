import type { ToolResult } from '../tool-types.js';
import { type LimitedAction, OVER_LIMIT_TEXT, overLimit } from '../tool-usage.js';
import type { ToolContext } from './tool.js';

/**
 * Counts one action of this call against `TOOL_LIMITS`. Undefined: go ahead. Otherwise the result
 * the agent speaks instead, with one log line that names the limit (never the caller's number).
 * Call it after the tool's own checks, so a refused request does not use up the allowance.
 */
export async function limitRefusal(
  context: ToolContext,
  action: LimitedAction,
  operation: string,
): Promise<ToolResult | undefined> {
  const { deps, callSid, remoteNumber, log } = context;
  const over = await overLimit({
    counter: deps.usage,
    action,
    callSid,
    callerNumber: remoteNumber,
    operation,
    timezone: deps.business.timezone,
    now: deps.now(),
  });
  if (!over) return undefined;
  log.warn('Tool limit reached: the agent was told it cannot', { action, limit: over });
  return { ok: false, text: OVER_LIMIT_TEXT[action] };
}

/**
 * The customer row a booking or lead is kept under. A `phone` argument that is not the caller's own
 * number gets a bare row (created if absent) and nothing else: whoever is on the line cannot rename
 * or re-address someone else's record by saying their number. Name and email stay on the lead or
 * appointment itself.
 */
export function customerFields<T extends { name?: string; email?: string; business?: string }>(
  phone: string,
  callerNumber: string,
  fields: T,
): { phone: string } & Partial<T> {
  return phone === callerNumber ? { phone, ...fields } : ({ phone } as { phone: string } & Partial<T>);
}
