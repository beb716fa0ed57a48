/**
 * The email the owner gets about one call. The owner sees the full phone number (they call back
 * from it); only logs mask numbers.
 */

import { describeCost } from './call-cost.js';
import {
  type CallLinks,
  callFlags,
  escapeHtml,
  formatDuration,
  formatLocal,
  truncate,
} from './call-report.js';
import type { TurnLatencySummary } from './call-session.js';
import type { CallRow, EmailMessage } from './ports.js';

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
  return `call-${callSid}`;
}

export function ownerCallEmail(to: string, input: OwnerEmailInput): EmailMessage {
  const { row, links, business } = input;
  const flags = callFlags(row);
  const other = row.direction === 'inbound' ? row.from : row.to;
  const name = input.customerName ?? links.lead?.name ?? links.appointment?.name;
  const party = name ? `${name} (${other})` : other;

  const flagLines: string[] = [];
  if (input.voicemail)
    flagLines.push('VOICEMAIL: a machine answered; we left a message asking them to call back.');
  else if (flags.missed) flagLines.push(`MISSED: ${missedReason(row)}.`);
  if (flags.short) flagLines.push(`VERY SHORT CALL: ${formatDuration(row.durationSeconds ?? 0)}.`);
  if (row.failedOver) flagLines.push(`Engine failover: served by ${row.servedBy ?? 'unknown'}.`);

  const facts: Array<[string, string]> = [
    [row.direction === 'inbound' ? 'Caller' : 'Called', party],
    ['When', `${formatLocal(row.startedAt, business.timezone)} (${business.timezone})`],
    ['Duration', row.durationSeconds !== undefined ? formatDuration(row.durationSeconds) : 'not answered'],
    ['Direction', row.direction],
    ['Outcome', row.outcome],
    ...(row.cost ? [['Estimated cost', describeCost(row.cost)] as [string, string]] : []),
    ...(row.turnLatency?.turns
      ? [['Response time', describeLatency(row.turnLatency)] as [string, string]]
      : []),
  ];
  const booked = bookedLine(links, business.timezone);
  const leadText = leadLine(links);
  const shownTurns = row.turns.slice(0, MAX_TURNS_IN_EMAIL);
  const moreTurns = row.turns.length - shownTurns.length;

  const text = [
    ...flagLines,
    ...(flagLines.length > 0 ? [''] : []),
    ...facts.map(([label, value]) => `${label}: ${value}`),
    '',
    row.direction === 'inbound' ? 'What they wanted:' : 'How it went:',
    row.summary ?? '(no summary)',
    '',
    `Booked: ${booked ?? 'nothing'}`,
    `Lead: ${leadText ?? 'none saved'}`,
    '',
    'Transcript:',
    ...(shownTurns.length === 0
      ? ['(nothing was said)']
      : shownTurns.map((t) => `${speaker(t.role, row.direction)}: ${truncate(t.text, MAX_TURN_CHARS)}`)),
    ...(moreTurns > 0 ? [`… ${moreTurns} more turns in the CRM.`] : []),
    '',
    `Call SID: ${row.callSid}`,
    `— ${business.name} receptionist`,
  ].join('\n');

  const html = [
    '<!doctype html><html><body style="font-family:sans-serif;line-height:1.4">',
    ...flagLines.map((l) => `<p style="color:#b00020;font-weight:bold">${escapeHtml(l)}</p>`),
    '<table>',
    ...facts.map(
      ([label, value]) => `<tr><th align="left">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`,
    ),
    '</table>',
    `<h3>${row.direction === 'inbound' ? 'What they wanted' : 'How it went'}</h3>`,
    `<p>${escapeHtml(row.summary ?? '(no summary)')}</p>`,
    `<p><b>Booked:</b> ${escapeHtml(booked ?? 'nothing')}<br><b>Lead:</b> ${escapeHtml(leadText ?? 'none saved')}</p>`,
    '<h3>Transcript</h3>',
    shownTurns.length === 0
      ? '<p>(nothing was said)</p>'
      : `<p>${shownTurns
          .map(
            (t) =>
              `<b>${escapeHtml(speaker(t.role, row.direction))}:</b> ${escapeHtml(truncate(t.text, MAX_TURN_CHARS))}`,
          )
          .join('<br>')}</p>`,
    ...(moreTurns > 0 ? [`<p>… ${moreTurns} more turns in the CRM.</p>`] : []),
    `<p style="color:#666">Call SID: ${escapeHtml(row.callSid)}</p>`,
    '</body></html>',
  ].join('\n');

  return {
    to,
    subject: subjectFor(row, party, flags, input.voicemail === true, booked),
    text,
    html,
    idempotencyKey: ownerCallEmailKey(row.callSid),
  };
}

function subjectFor(
  row: CallRow,
  party: string,
  flags: { missed: boolean; short: boolean },
  voicemail: boolean,
  booked: string | undefined,
): string {
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
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return `p50 ${s(latency.p50Ms)}, p90 ${s(latency.p90Ms)} over ${latency.turns} turn${latency.turns === 1 ? '' : 's'}`;
}

function speaker(role: 'caller' | 'agent', direction: 'inbound' | 'outbound'): string {
  if (role === 'agent') return 'Agent';
  return direction === 'inbound' ? 'Caller' : 'Them';
}
