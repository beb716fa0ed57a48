import { DateTime } from 'luxon';
import { renderBusinessProfile } from './business-profile.js';
import type { EngineCallContext } from './voice-engine.js';

/**
 * The one persona source. ElevenLabs receives it as dynamic variables (the agent's prompt, kept in
 * code by `agent:sync`, references them as {{name}}); OpenAI receives the same facts rendered into
 * its instructions. Change the receptionist's manner here, once, for both engines.
 */

/** Local wall-clock time of the business, e.g. `Wednesday 2026-11-25 09:30`. */
export function localTime(now: number, timezone: string): string {
  return DateTime.fromMillis(now, { zone: timezone }).toFormat('cccc yyyy-LL-dd HH:mm');
}

/** Dynamic variables sent for every call (DESIGN §3, media path). Values are strings only. */
export function dynamicVariables(context: EngineCallContext): Record<string, string> {
  const variables: Record<string, string> = {
    caller_number: context.remoteNumber,
    call_sid: context.callSid,
    business_name: context.businessName,
    business_timezone: context.businessTimezone,
    local_time: localTime(context.now, context.businessTimezone),
    call_direction: context.direction,
    // The agent's prompt references every variable, so each one is always sent (an unsent
    // variable ends an ElevenLabs session with `missing_dynamic_variable`): empty means unknown.
    customer_name: context.customer?.name ?? '',
    open_appointment: context.customer?.openAppointment ?? '',
    last_call_summary: context.customer?.lastCallSummary ?? '',
    outbound_reason: context.outboundReason ?? '',
    business_profile: context.businessProfile
      ? renderBusinessProfile(context.businessProfile)
      : NO_PROFILE_TEXT,
    first_message: openingLine(context),
  };
  return variables;
}

/** Said in place of the profile when the owner has not given one, so the prompt never reads blank. */
export const NO_PROFILE_TEXT =
  '(nothing on file: for any question about the business, offer to have the owner follow up)';

/**
 * The ElevenLabs agent's first message (set by `agent:sync`): a dynamic variable the bridge fills
 * per call, so an outbound call opens differently without the first-message override permission.
 */
export function firstMessage(): string {
  return '{{first_message}}';
}

/** The first thing the agent says on this call. */
export function openingLine(context: EngineCallContext): string {
  if (context.direction === 'outbound')
    return `Hi, this is the receptionist at ${context.businessName}${context.outboundReason ? `, calling about ${context.outboundReason}` : ''}. Is now a good time?`;
  return `Thanks for calling ${context.businessName}. How can I help you today?`;
}

/** The agent's standing instructions, with `{{variable}}` placeholders (the ElevenLabs prompt). */
export function promptTemplate(): string {
  return [
    'You are the friendly, efficient phone receptionist of {{business_name}}.',
    'The business is in the {{business_timezone}} time zone; it is now {{local_time}} there.',
    'You are on a {{call_direction}} phone call with {{caller_number}}.',
    'Caller name, if known: {{customer_name}}. Their next appointment, if any: {{open_appointment}}.',
    'Summary of their last call, if any: {{last_call_summary}}. Reason we are calling, if outbound: {{outbound_reason}}.',
    'Keep answers short and natural: one or two sentences, as people speak on the phone.',
    'Let the caller finish; people pause mid-sentence to think. Never guess what they were about to say.',
    'To book: ask what the appointment is for and when suits them, call check_availability for that day,',
    'offer at most three free times, then call book_appointment with the time they choose and their name.',
    'Dates and times you pass to tools are local to the business: YYYY-MM-DD and YYYY-MM-DDTHH:mm.',
    'Record every interested caller with save_lead (name, business, email, interest) before the call ends.',
    'Spell back email addresses to confirm them. Offer send_follow_up_email when they want details in writing.',
    'If they ask for a person or you cannot help, say you will connect them, then call transfer_to_human.',
    'When the conversation is over, say goodbye, then call end_call.',
    'What the business has told you about itself follows. Answer questions about the business only from it:',
    '{{business_profile}}',
    'When the answer is not there, say you will have the owner follow up, and note the question in save_lead.',
    'Never invent prices, availability or facts about the business; say you will have the owner follow up.',
  ].join('\n');
}

/** The OpenAI instructions: the same template with the variables filled in. */
export function renderInstructions(context: EngineCallContext): string {
  const variables = dynamicVariables(context);
  const filled = promptTemplate().replace(
    /\{\{(\w+)\}\}/g,
    (_, name: string) => variables[name] || 'unknown',
  );
  const greeting =
    context.direction === 'outbound'
      ? `Start the call by greeting them, saying you are calling from ${context.businessName}, and why.`
      : `Start the call by saying: "${openingLine(context)}"`;
  return `${filled}\n${greeting}`;
}
