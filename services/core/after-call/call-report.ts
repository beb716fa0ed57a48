/**
 * What a finished call amounts to, in words an owner reads: shared by the per-call email, the
 * summary built from the turns and the daily digest, so they never disagree about a call.
 */
import { DateTime } from 'luxon';
import { ENGINE_OUTAGE } from '../call/call-session.js';
import type { Appointment, CallRow, Lead } from '../ports/crm.js';

/** Under this many answered seconds a call is flagged as very short. */
export const SHORT_CALL_SECONDS = 15;

/**
 * Outcomes beyond Twilio's final statuses (`completed`, `busy`, `no-answer`, `failed`, `canceled`),
 * recorded as the call row's `outcome`: both mean the owner owes the caller a callback. An engine
 * outage carries the name of the bridge's end reason for it.
 */
export { ENGINE_OUTAGE };
export const TRANSFER_UNANSWERED = 'transfer-unanswered';

export interface CallFlags {
  /** Not answered (busy, no answer, failed, canceled), or answered but the other party never spoke. */
  missed: boolean;
  /** Answered and someone spoke, but it lasted under `SHORT_CALL_SECONDS`. */
  short: boolean;
  /** No voice engine could take the call: the caller heard an apology. A callback is due. */
  engineOutage: boolean;
  /** The caller asked for a person and nobody answered the transfer. A callback is due. */
  transferUnanswered: boolean;
  /** The owner should call back (engine outage or unanswered transfer). */
  callbackDue: boolean;
}

export function callFlags(row: Pick<CallRow, 'outcome' | 'turns' | 'durationSeconds'>): CallFlags {
  const engineOutage = row.outcome === ENGINE_OUTAGE;
  const transferUnanswered = row.outcome === TRANSFER_UNANSWERED;
  const spoke = row.turns.some((t) => t.role === 'caller' && t.text.trim() !== '');
  const answered = row.outcome === 'completed' || transferUnanswered;
  const missed = !engineOutage && (!answered || !spoke);
  const short =
    !missed && !engineOutage && row.durationSeconds !== undefined && row.durationSeconds < SHORT_CALL_SECONDS;
  return { missed, short, engineOutage, transferUnanswered, callbackDue: engineOutage || transferUnanswered };
}

/** What the CRM and the tools produced during one call: the links of its row. */
export interface CallLinks {
  lead?: Lead;
  appointment?: Appointment;
}

const SUMMARY_QUOTE_CHARS = 200;

/**
 * The summary used until (or unless) ElevenLabs' post-call analysis arrives: what the caller said
 * first, and what came of it. Plain facts, no guessing.
 */
export function summaryFromTurns(row: CallRow, links: CallLinks, timezone: string): string {
  const firstCaller = row.turns.find((t) => t.role === 'caller' && t.text.trim() !== '');
  const who = row.direction === 'inbound' ? 'The caller' : 'The person we called';
  const parts: string[] = [];
  if (!firstCaller) {
    parts.push(row.outcome === 'completed' ? `${who} did not speak.` : `Not answered (${row.outcome}).`);
  } else {
    parts.push(`${who} said: "${truncate(firstCaller.text.trim(), SUMMARY_QUOTE_CHARS)}"`);
  }
  if (links.appointment) {
    const purpose = links.appointment.purpose ? ` (${links.appointment.purpose})` : '';
    parts.push(`Booked an appointment for ${formatLocal(links.appointment.start, timezone)}${purpose}.`);
  }
  if (links.lead) parts.push(`Saved as a lead${links.lead.interest ? `: ${links.lead.interest}` : ''}.`);
  return parts.join(' ');
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

/** `Thu 26 Nov 2026, 10:00` in the business time zone. */
export function formatLocal(at: number, timezone: string): string {
  return DateTime.fromMillis(at, { zone: timezone }).toFormat('ccc d LLL yyyy, HH:mm');
}

/** `2 min 5 s`, `45 s`. */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  if (minutes === 0) return `${rest} s`;
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
}

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
