/**
 * The missed-call text-back: an inbound call that ended before the agent could help (missed or
 * unanswered, very short, no engine could take it, or a transfer nobody took) gets one text inviting
 * the caller to call back; at most one per number per local day, whatever the number of such calls.
 * Sent by finalisation, once the owner email is out, through the one texts use case (`texts.ts`).
 */
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { type CallFlags, callFlags } from '../after-call/call-report.js';
import type { CallRow } from '../ports/crm.js';
import type { Log } from '../shared/logging.js';
import { firstValueOnly } from '../tools/tool-usage.js';
import { sendText, type TextDeps } from './texts.js';

export interface MissedCallTextDeps {
  texts: TextDeps;
  businessName: string;
  /** `TWILIO_PHONE_NUMBER`: the number the text asks the caller to call. */
  businessNumber: string;
}

export function missedCallText(businessName: string, businessNumber: string): string {
  // A reply reaches the owner (POST /twilio/sms), so the text may invite one.
  return `${businessName}: sorry we could not help you on your call just now. Please call us back at ${businessNumber}, or reply to this text.`;
}

/** Whether the row is a call the agent did not help: the flags the owner email and digest use. */
export function owesTextBack(
  row: Pick<CallRow, 'direction' | 'outcome' | 'turns' | 'durationSeconds'>,
): boolean {
  if (row.direction !== 'inbound') return false;
  const flags: CallFlags = callFlags(row);
  return flags.missed || flags.short || flags.engineOutage || flags.transferUnanswered;
}

/**
 * Texts the caller of `row` if it owes a text-back and none went to that number today. A retried
 * finalisation sends nothing more: the day's one slot is claimed with a value of this attempt's own.
 */
export async function textBackMissedCall(
  deps: MissedCallTextDeps,
  row: Pick<CallRow, 'callSid' | 'direction' | 'from' | 'outcome' | 'turns' | 'durationSeconds'>,
  log: Log,
): Promise<void> {
  if (!deps.texts.enabled || !owesTextBack(row)) return;
  const day = DateTime.fromMillis(deps.texts.now(), { zone: deps.texts.timezone }).toISODate();
  const first = await firstValueOnly(
    deps.texts.usage,
    `missed-text:${row.from}:${day}`,
    randomUUID(),
    deps.texts.now(),
  );
  if (!first) {
    log.info('No missed-call text: one already went to this number today');
    return;
  }
  await sendText(
    deps.texts,
    {
      kind: 'missed-call',
      callSid: row.callSid,
      callerNumber: row.from,
      to: row.from,
      body: missedCallText(deps.businessName, deps.businessNumber),
      operation: `missed-text:${row.callSid}`,
    },
    log,
  );
}
