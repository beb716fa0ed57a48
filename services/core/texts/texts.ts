/**
 * Texts (SMS) the business sends: one use case for every kind (a booking's confirmation, a missed
 * call's text-back). A text goes only when texts are on, only to an E.164 number in
 * `OUTBOUND_ALLOWED_COUNTRIES` that is not premium-rate, and only within the text limits (per call,
 * per caller number and per recipient per day, for the business per day). What was sent is kept
 * with the call. Logs name the kind and the masked number, never the body.
 */

import type { SentText, TextKind } from '../call/call-session.js';
import type { TextLog, UsageCounter } from '../ports/call-store.js';
import type { TextSender } from '../ports/telephony.js';
import type { Log } from '../shared/logging.js';
import { destinationProblem, maskPhone } from '../shared/phone.js';
import { type LimitName, overLimit, type ToolLimits } from '../tools/tool-usage.js';

export interface TextDeps {
  sender: TextSender;
  enabled: boolean;
  allowedCountries: readonly string[];
  usage: UsageCounter;
  limits?: ToolLimits;
  timezone: string;
  now: () => number;
  /** Absent: texts are sent but not kept with the call. */
  log?: TextLog;
}

export interface TextRequest {
  kind: TextKind;
  callSid: string;
  /** The call's other party: the per-caller scope of the limits. */
  callerNumber: string;
  to: string;
  body: string;
  /** Identifies this text (a retry repeats it and is not counted twice). */
  operation: string;
}

export type TextRefusal = 'disabled' | 'invalid-number' | 'country-not-allowed' | 'premium-rate' | LimitName;

export type TextOutcome = { sent: SentText } | { refused: TextRefusal } | { failed: Error };

/** Sends one text if every rule allows it. Never throws: a failure is an outcome the caller words. */
export async function sendText(deps: TextDeps, request: TextRequest, log: Log): Promise<TextOutcome> {
  const to = maskPhone(request.to);
  if (!deps.enabled) return { refused: 'disabled' };
  const problem = destinationProblem(request.to, deps.allowedCountries);
  if (problem) {
    log.warn('Text refused: the number may not be texted', { kind: request.kind, to, problem: problem.code });
    return { refused: problem.code };
  }
  const over = await overLimit({
    counter: deps.usage,
    limits: deps.limits,
    action: 'text',
    callSid: request.callSid,
    callerNumber: request.callerNumber,
    recipient: request.to,
    operation: request.operation,
    timezone: deps.timezone,
    now: deps.now(),
  });
  if (over) {
    log.warn('Text refused: over a text limit', { kind: request.kind, to, limit: over });
    return { refused: over };
  }
  let sid: string;
  try {
    ({ sid } = await deps.sender.send({ to: request.to, body: request.body }));
  } catch (error) {
    log.error('Text not sent', { kind: request.kind, to, error: error as Error });
    return { failed: error as Error };
  }
  const sent: SentText = { kind: request.kind, to: request.to, body: request.body, sid, at: deps.now() };
  log.info('Text sent', { kind: request.kind, to, sid });
  try {
    await deps.log?.appendText(request.callSid, sent);
  } catch (error) {
    // The text is out; only the call record misses it.
    log.error('Sent text not kept with the call', { kind: request.kind, sid, error: error as Error });
  }
  return { sent };
}
