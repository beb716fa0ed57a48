/**
 * The email the owner gets about one call. The owner sees the full phone number (they call back
 * from it); only logs mask numbers.
 */

import { describeCost } from '../after-call/call-cost.js';
import {
  type CallFlags,
  type CallLinks,
  callFlags,
  formatDuration,
  formatLocal,
  truncate,
} from '../after-call/call-report.js';
import { remoteNumber } from '../call/call-session.js';
import { NO_RECORDING } from '../call/recording.js';
import type { TurnLatencySummary } from '../call/turn-latency.js';
import type { CallRow } from '../ports/crm.js';
import type { EmailMessage } from '../ports/mail.js';
import { type EmailBlock, type EmailDocument, emailKey, renderEmail } from './email-document.js';

/** Turns shown in the email; the CRM keeps the full transcript. */
const MAX_TURNS_IN_EMAIL = 30;
const MAX_TURN_CHARS = 500;

export interface OwnerEmailInput {
  row: CallRow;
  links: CallLinks;
  /** The name the CRM knows for the other party, if any. */
  customerName?: string;
  /** An outbound call a machine answered: we left a voicemail. */
  voicemail?: boolean;
  business: { name: string; timezone: string };
}

export function ownerCallEmailKey(callSid: string): string {
  return emailKey('call', callSid);
}

export function ownerCallEmail(to: string, input: OwnerEmailInput): EmailMessage {
  return renderEmail(ownerCallDocument(to, input));
}

/** The owner's email about one call, as one structure (rendered to text and HTML together). */
export function ownerCallDocument(to: string, input: OwnerEmailInput): EmailDocument {
  const { row, links, business } = input;
  const flags = callFlags(row);
  const other = remoteNumber(row);
  const name = input.customerName ?? links.lead?.name ?? links.appointment?.name;
  const party = name ? `${name} (${other})` : other;

  const alerts: string[] = [];
  if (flags.engineOutage)
    alerts.push(
      `CALLBACK DUE: the agent could not answer (no voice engine was available); the caller heard an apology. Please call ${other} back.`,
    );
  else if (flags.transferUnanswered)
    alerts.push(
      `CALLBACK DUE: the caller asked for a person, nobody answered the transfer, and they were told we would call back. Please call ${other} back.`,
    );
  else if (input.voicemail)
    alerts.push('VOICEMAIL: a machine answered; we left a message asking them to call back.');
  else if (flags.missed) alerts.push(`MISSED: ${missedReason(row)}.`);
  if (flags.short) alerts.push(`VERY SHORT CALL: ${formatDuration(row.durationSeconds ?? 0)}.`);
  if (row.failedOver) alerts.push(`Engine failover: served by ${row.servedBy ?? 'unknown'}.`);

  const booked = bookedLine(links, business.timezone);
  const leadText = leadLine(links);
  const shownTurns = row.turns.slice(0, MAX_TURNS_IN_EMAIL);
  const moreTurns = row.turns.length - shownTurns.length;
  const blocks: EmailBlock[] = [
    ...alerts.map((text): EmailBlock => ({ kind: 'alert', text })),
    {
      kind: 'facts',
      rows: [
        [row.direction === 'inbound' ? 'Caller' : 'Called', party],
        ['When', `${formatLocal(row.startedAt, business.timezone)} (${business.timezone})`],
        [
          'Duration',
          row.durationSeconds !== undefined ? formatDuration(row.durationSeconds) : 'not answered',
        ],
        ['Direction', row.direction],
        ['Outcome', row.outcome],
        ...(row.cost ? [['Estimated cost', describeCost(row.cost)] as [string, string]] : []),
        ...(row.turnLatency?.turns
          ? [['Response time', describeLatency(row.turnLatency)] as [string, string]]
          : []),
        ...(row.recording
          ? [
              ['Recording', row.recording.status === 'recorded' ? row.recording.url : NO_RECORDING] as [
                string,
                string,
              ],
            ]
          : []),
      ],
    },
    { kind: 'heading', text: row.direction === 'inbound' ? 'What they wanted' : 'How it went' },
    { kind: 'paragraph', lines: [row.summary ?? '(no summary)'] },
    {
      kind: 'facts',
      rows: [
        ['Booked', booked ?? 'nothing'],
        ['Lead', leadText ?? 'none saved'],
      ],
    },
    { kind: 'heading', text: 'Transcript' },
    {
      kind: 'paragraph',
      lines: [
        ...(shownTurns.length === 0
          ? ['(nothing was said)']
          : shownTurns.map((t) => `${speaker(t.role, row.direction)}: ${truncate(t.text, MAX_TURN_CHARS)}`)),
        ...(moreTurns > 0 ? [`… ${moreTurns} more turns in the CRM.`] : []),
      ],
    },
    { kind: 'note', text: `Call SID: ${row.callSid}` },
    { kind: 'note', text: `— ${business.name} receptionist` },
  ];
  return {
    to,
    subject: subjectFor(row, party, flags, input.voicemail === true, booked),
    blocks,
    idempotencyKey: ownerCallEmailKey(row.callSid),
  };
}

function subjectFor(
  row: CallRow,
  party: string,
  flags: CallFlags,
  voicemail: boolean,
  booked: string | undefined,
): string {
  if (flags.engineOutage) return `Callback due: the agent could not answer ${party}`;
  if (flags.transferUnanswered) return `Callback due: transfer unanswered for ${party}`;
  if (row.direction === 'outbound') {
    if (voicemail) return `Voicemail left for ${party}`;
    if (flags.missed) return `Unanswered call to ${party}`;
    return `Call to ${party}${booked ? `: booked ${booked}` : ''}`;
  }
  if (flags.missed) return `Missed call from ${party}`;
  if (flags.short) return `Very short call from ${party}`;
  return `Call from ${party}${booked ? `: booked ${booked}` : ''}`;
}

function missedReason(row: CallRow): string {
  switch (row.outcome) {
    case 'busy':
      return 'the line was busy';
    case 'no-answer':
      return 'no one answered';
    case 'failed':
      return 'the call failed';
    case 'canceled':
      return 'the call was canceled before it was answered';
    default:
      return row.direction === 'inbound' ? 'the caller hung up without speaking' : 'no one spoke';
  }
}

function bookedLine(links: CallLinks, timezone: string): string | undefined {
  const a = links.appointment;
  if (!a) return undefined;
  return `${formatLocal(a.start, timezone)}${a.purpose ? ` (${a.purpose})` : ''}`;
}

function leadLine(links: CallLinks): string | undefined {
  const l = links.lead;
  if (!l) return undefined;
  const details = [l.business, l.email, l.phone].filter(Boolean).join(', ');
  return `${l.name}${details ? ` (${details})` : ''}${l.interest ? `: ${l.interest}` : ''}`;
}

/** `p50 0.8 s, p90 1.3 s over 6 turns`: how long the caller waited for the agent to answer. */
function describeLatency(latency: TurnLatencySummary): string {
  // Under a second in ms (a fast answer must not read as `0.0 s`), above it in seconds.
  const s = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
  return `p50 ${s(latency.p50Ms)}, p90 ${s(latency.p90Ms)} over ${latency.turns} turn${latency.turns === 1 ? '' : 's'}`;
}

function speaker(role: 'caller' | 'agent', direction: 'inbound' | 'outbound'): string {
  if (role === 'agent') return 'Agent';
  return direction === 'inbound' ? 'Caller' : 'Them';
}
