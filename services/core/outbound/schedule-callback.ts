/**
 * The `schedule_callback` tool: a caller asks to be called back at a local time. It goes through
 * the same `placeCall` path as `POST /calls`, so the callback is a one-time schedule that places an
 * ordinary outbound call when due. The tool registry registers this handler with the schema below.
 */
import { DateTime } from 'luxon';
import type { ToolInvocation, ToolResult } from '../ports/tool-calls.js';
import { isWithinHours } from '../shared/business-hours.js';
import { forCall } from '../shared/logging.js';
import { localDateTimeField, shortText, toolArgs } from '../tools/fields.js';
import { type PlaceCallDeps, placeCall } from './place-call.js';

export const SCHEDULE_CALLBACK_TOOL = 'schedule_callback';
export const SCHEDULE_CALLBACK_DESCRIPTION =
  'Schedule a call back to the caller at a local date and time within opening hours, when they ask to be called later.';

/** The tool's arguments: the registry validates a call with it, and the use case reads them with it. */
export const scheduleCallbackArgsSchema = toolArgs({
  at: localDateTimeField.describe('Local date and time in the business time zone, YYYY-MM-DDTHH:mm.'),
  reason: shortText('reason', 300).optional().describe('What the call back is about, in a few words.'),
});

/** A callback sooner than this is not worth a schedule (and must not ring the caller mid-call). */
const MIN_LEAD_MS = 5 * 60 * 1000;

/**
 * `allowed` is asked once the time has passed every check (the tool counts it against its limits),
 * with the callback's key and when it rings; a result it returns is answered instead of scheduling.
 */
export async function scheduleCallback(
  deps: PlaceCallDeps,
  invocation: ToolInvocation,
  allowed: (operation: string, at: number) => Promise<ToolResult | undefined> = async () => undefined,
): Promise<ToolResult> {
  const log = forCall(invocation.callSid);
  const args = scheduleCallbackArgsSchema.safeParse(invocation.args);
  if (!args.success) {
    return {
      ok: false,
      text: 'I need the time for the call back as a date and time, like 2026-11-26T10:00.',
    };
  }
  const { business } = deps.settings;
  const at = DateTime.fromISO(args.data.at, { zone: business.timezone });
  if (!at.isValid) return { ok: false, text: `${args.data.at} is not a real date and time.` };
  const spoken = at.toFormat("cccc d LLLL 'at' HH:mm");
  if (at.toMillis() < deps.now() + MIN_LEAD_MS) {
    return { ok: false, text: `${spoken} is too soon or already past. Please choose a later time.` };
  }
  // The business calls back while it is open; `POST /calls` may set any time, the agent may not.
  if (!isWithinHours(business.hours, business.timezone, at.toMillis())) {
    return { ok: false, text: `${spoken} is outside our opening hours (${business.hoursText}).` };
  }

  const idempotencyKey = callbackKey(invocation.callSid, at);
  const refusal = await allowed(idempotencyKey, at.toMillis());
  if (refusal) return refusal;

  let outcome: Awaited<ReturnType<typeof placeCall>>;
  try {
    outcome = await placeCall(deps, {
      to: invocation.remoteNumber,
      at: args.data.at,
      ...(args.data.reason ? { reason: args.data.reason } : {}),
      idempotencyKey,
    });
  } catch (error) {
    // A tool never throws into the call: the agent hears that it did not work.
    log.error('Scheduling the call back failed', { error: error as Error });
    return {
      ok: false,
      text: 'I could not schedule the call back just now. I can take a message for the team instead.',
    };
  }
  switch (outcome.kind) {
    case 'scheduled':
      log.info('Call back scheduled', { at: outcome.at, created: outcome.created });
      return { ok: true, text: `Done: we will call you back on ${spoken}.` };
    case 'refused':
      log.warn('Call back refused', { code: outcome.code });
      return {
        ok: false,
        text:
          outcome.code === 'invalid-number' ||
          outcome.code === 'country-not-allowed' ||
          outcome.code === 'premium-rate'
            ? 'I cannot schedule a call back to this number. I can take a message for the team instead.'
            : `I could not schedule that call back: ${outcome.message}.`,
      };
    default:
      // The time was checked to be well ahead, so placeCall never places it now.
      log.error('Call back was not scheduled', { outcome: outcome.kind });
      return {
        ok: false,
        text: 'I could not schedule the call back. I can take a message for the team instead.',
      };
  }
}

/**
 * One callback per call and time: the agent retrying the tool, or the caller asking twice for the
 * same time, schedules one call. `<callSid>-<yyyyMMddHHmm>` fits the 48-character key.
 */
export function callbackKey(callSid: string, at: DateTime): string {
  const safeSid = callSid.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 35);
  return `${safeSid}-${at.toFormat('yyyyMMddHHmm')}`;
}
