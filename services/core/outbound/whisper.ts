/**
 * The whisper of a warm transfer: what the owner hears on picking up, before the caller is put
 * through. Who is calling (what the CRM knows, only for a caller the carrier vouched for) and why
 * (the agent's `reason`, which comes from the caller's words), then how to accept.
 */
import { type CallRecord, otherPartyVerified } from '../call/call-session.js';
import { speakableName } from '../call/persona.js';
import { parseLocalDateTime, spokenDateTime } from '../tools/local-time.js';

/** The owner presses this to take the call; any other key, or none, leaves the caller with the agent. */
export const WHISPER_ACCEPT_DIGIT = '1';

/** Longest stretch of the caller's own words the owner hears. */
const MAX_SPOKEN_REASON_CHARS = 160;

/**
 * Caller-originated text made safe to say to the owner: letters, digits, marks and plain
 * punctuation only (no markup, no control or direction characters), one line, bounded at a word.
 */
export function spokenQuote(text: string | undefined, max = MAX_SPOKEN_REASON_CHARS): string {
  const clean = (text ?? '')
    .normalize('NFC')
    .replace(/[^\p{L}\p{M}\p{N} .,'?!:;/&()$%+-]+/gu, ' ')
    .replace(/ +/g, ' ')
    .trim();
  if (clean.length <= max) return clean;
  const cut = clean.slice(0, max);
  const lastSpace = cut.lastIndexOf(' ');
  return (lastSpace > max / 2 ? cut.slice(0, lastSpace) : cut).trim();
}

/** The `reason` the agent gave its last `transfer_to_human` on this call, if any. */
export function transferReason(record: CallRecord): string | undefined {
  const transfer = record.toolCalls.filter((call) => call.name === 'transfer_to_human').at(-1);
  const args = transfer?.args;
  if (typeof args !== 'object' || args === null) return undefined;
  const reason = (args as { reason?: unknown }).reason;
  return typeof reason === 'string' ? reason : undefined;
}

/** What the owner hears, in full: who, why, and how to accept. */
export function whisperMessage(
  record: CallRecord | undefined,
  business: { name: string; timezone: string },
): string {
  const parts = [`A caller for ${business.name}, put through by the receptionist.`];
  const session = record?.session;
  const customer = session && otherPartyVerified(session) ? session.customer : undefined;
  const name = speakableName(customer?.name);
  if (name) parts.push(`It is ${name}, a returning customer.`);
  const appointment =
    customer?.openAppointment && parseLocalDateTime(customer.openAppointment, business.timezone);
  if (appointment) parts.push(`Their next appointment is ${spokenDateTime(appointment, business.timezone)}.`);
  const reason = record && spokenQuote(transferReason(record));
  parts.push(reason ? `They want: ${reason}.` : 'They did not say why.');
  parts.push(
    `Press ${WHISPER_ACCEPT_DIGIT} to take the call, or hang up and the receptionist will take a message.`,
  );
  return parts.join(' ');
}
