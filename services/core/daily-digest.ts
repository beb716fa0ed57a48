/**
 * The owner's daily digest: one email about the previous local day in the business time zone
 * (a run at 07:00 reports yesterday). It first retries finalisations left pending, so the day's
 * calls are in the CRM before they are counted. One digest per day: a marker is claimed before
 * sending and given back if the send fails, so a retried schedule sends exactly one.
 */
import { DateTime } from 'luxon';
import type { DigestMarkers } from './after-call-ports.js';
import { describeCost, sumCosts } from './call-cost.js';
import { callFlags, escapeHtml, formatDuration, formatLocal } from './call-report.js';
import { type FinaliseDeps, type RetryReport, retryPendingFinalisations } from './finalise-call.js';
import { logger } from './logging.js';
import type { Appointment, CallRow, Crm, EmailMessage, Lead } from './ports.js';

export interface DigestDeps extends FinaliseDeps {
  crm: Pick<
    Crm,
    'saveCall' | 'leadsBetween' | 'appointmentsBetween' | 'callsBetween' | 'upsertCustomer' | 'saveLead'
  >;
  markers: DigestMarkers;
}

export interface DigestCounts {
  calls: number;
  inbound: number;
  outbound: number;
  answered: number;
  missed: number;
  failedOver: number;
  leads: number;
  appointments: number;
  followUps: number;
}

export type DigestOutcome =
  | { kind: 'sent'; day: string; counts: DigestCounts; retry: RetryReport }
  /** Another run sent (or is sending) this day's digest. */
  | { kind: 'already-sent'; day: string; retry: RetryReport }
  | { kind: 'no-owner-email'; day: string; retry: RetryReport };

/** A claim older than this without `markSent` belongs to a run that died: the next run may take it. */
const CLAIM_STALE_AFTER_MS = 15 * 60 * 1000;
const MAX_CALLS_LISTED = 50;

export function digestEmailKey(day: string): string {
  return `digest-${day}`;
}

/** The local day before `now`, `YYYY-MM-DD`, in `timezone`. */
export function previousLocalDay(now: number, timezone: string): string {
  return DateTime.fromMillis(now, { zone: timezone }).minus({ days: 1 }).toISODate() ?? '';
}

/**
 * `day` overrides the reported day (`YYYY-MM-DD`, e.g. to resend a day by hand); by default the
 * local day before `deps.now()`.
 */
export async function runDailyDigest(
  deps: DigestDeps,
  options: { day?: string } = {},
): Promise<DigestOutcome> {
  const { timezone } = deps.business;
  const retry = await retryPendingFinalisations(deps);
  const day = options.day ?? previousLocalDay(deps.now(), timezone);
  const start = DateTime.fromISO(day, { zone: timezone }).startOf('day');
  if (!start.isValid) throw new Error(`Not a day: ${day}`);
  if (!deps.ownerEmail) {
    logger.warn('OWNER_EMAIL is not set: no daily digest', { day });
    return { kind: 'no-owner-email', day, retry };
  }
  if (!(await deps.markers.claim(day, deps.now(), CLAIM_STALE_AFTER_MS))) {
    logger.info('Daily digest already sent', { day });
    return { kind: 'already-sent', day, retry };
  }
  try {
    // Luxon's day boundaries follow the zone's rules: a DST day is 23 or 25 hours long.
    const from = start.toMillis();
    const to = start.plus({ days: 1 }).toMillis();
    const [calls, leads, appointments] = await Promise.all([
      deps.crm.callsBetween(from, to),
      deps.crm.leadsBetween(from, to),
      deps.crm.appointmentsBetween(from, to),
    ]);
    const digest = buildDigest({
      to: deps.ownerEmail,
      day,
      business: deps.business,
      calls,
      leads,
      appointments,
      stillPending: retry.stillPending.length,
    });
    await deps.mailer.send(digest.message);
    await deps.markers.markSent(day, deps.now());
    logger.info('Daily digest sent', { day, ...digest.counts });
    return { kind: 'sent', day, counts: digest.counts, retry };
  } catch (error) {
    await deps.markers.release(day);
    throw error;
  }
}

export interface DigestInput {
  to: string;
  day: string;
  business: { name: string; timezone: string };
  calls: CallRow[];
  leads: Lead[];
  appointments: Appointment[];
  /** Finalisations still failing after the retry: the owner should know the CRM is behind. */
  stillPending: number;
}

interface FollowUp {
  who: string;
  why: string;
}

/** The digest email itself: pure, so its content is easy to see and test. */
export function buildDigest(input: DigestInput): { message: EmailMessage; counts: DigestCounts } {
  const { business, day } = input;
  const tz = business.timezone;
  const dayTitle = DateTime.fromISO(day, { zone: tz }).toFormat('cccc d LLLL yyyy');
  const calls = [...input.calls].sort((a, b) => a.startedAt - b.startedAt);
  const flagged = calls.map((call) => ({ call, flags: callFlags(call) }));
  const missed = flagged.filter((f) => f.flags.missed);
  const followUps = followUpsDue(calls, input.leads, input.appointments, tz);
  const counts: DigestCounts = {
    calls: calls.length,
    inbound: calls.filter((c) => c.direction === 'inbound').length,
    outbound: calls.filter((c) => c.direction === 'outbound').length,
    answered: calls.length - missed.length,
    missed: missed.length,
    failedOver: calls.filter((c) => c.failedOver).length,
    leads: input.leads.length,
    appointments: input.appointments.length,
    followUps: followUps.length,
  };
  const pendingNote =
    input.stillPending > 0
      ? `Note: ${input.stillPending} call(s) could not be written to the CRM yet; they are retried and will appear in a later digest.`
      : undefined;

  if (counts.calls === 0 && counts.leads === 0 && counts.appointments === 0) {
    const line = `No calls, leads or appointments on ${dayTitle}.`;
    const text = [line, ...(pendingNote ? ['', pendingNote] : [])].join('\n');
    return {
      counts,
      message: {
        to: input.to,
        subject: `${business.name} daily digest, ${dayTitle}: a quiet day`,
        text,
        html: `<!doctype html><html><body><p>${escapeHtml(line)}</p>${pendingNote ? `<p>${escapeHtml(pendingNote)}</p>` : ''}</body></html>`,
        idempotencyKey: digestEmailKey(day),
      },
    };
  }

  const time = (at: number) => DateTime.fromMillis(at, { zone: tz }).toFormat('HH:mm');
  const other = (c: CallRow) => (c.direction === 'inbound' ? c.from : c.to);
  const sections: Array<{ title: string; lines: string[] }> = [
    {
      title: 'At a glance',
      lines: [
        `Calls: ${counts.calls} (${counts.inbound} inbound, ${counts.outbound} outbound)`,
        `Answered: ${counts.answered}`,
        `Missed: ${counts.missed}`,
        `Engine failovers: ${counts.failedOver}`,
        `New leads: ${counts.leads}`,
        `Appointments booked: ${counts.appointments}`,
        `Follow-ups due: ${counts.followUps}`,
        ...costLine(calls),
      ],
    },
  ];
  if (followUps.length > 0) {
    sections.push({ title: 'Follow-ups due', lines: followUps.map((f) => `${f.who}: ${f.why}`) });
  }
  if (input.appointments.length > 0) {
    sections.push({
      title: 'Appointments booked',
      lines: [...input.appointments]
        .sort((a, b) => a.start - b.start)
        .map((a) => `${formatLocal(a.start, tz)}  ${a.name} ${a.phone}${a.purpose ? `: ${a.purpose}` : ''}`),
    });
  }
  if (input.leads.length > 0) {
    sections.push({
      title: 'New leads',
      lines: input.leads.map((l) => {
        const details = [l.business, l.email, l.phone].filter(Boolean).join(', ');
        return `${l.name} (${details})${l.interest ? `: ${l.interest}` : ''}`;
      }),
    });
  }
  if (calls.length > 0) {
    const listed = flagged.slice(0, MAX_CALLS_LISTED).map(({ call, flags }) => {
      const state = flags.missed
        ? `MISSED (${call.outcome === 'completed' ? 'nobody spoke' : call.outcome})`
        : `${formatDuration(call.durationSeconds ?? 0)}${flags.short ? ' VERY SHORT' : ''}`;
      const failover = call.failedOver ? ` [failover: ${call.servedBy ?? '?'}]` : '';
      const summary = call.summary ? `\n      ${call.summary}` : '';
      return `${time(call.startedAt)}  ${call.direction === 'inbound' ? 'in ' : 'out'}  ${other(call)}  ${state}${failover}${summary}`;
    });
    if (calls.length > MAX_CALLS_LISTED)
      listed.push(`… and ${calls.length - MAX_CALLS_LISTED} more in the CRM.`);
    sections.push({ title: 'Calls', lines: listed });
  }

  const text = [
    `${business.name}: ${dayTitle} (${tz})`,
    '',
    ...sections.flatMap((s) => [`${s.title}:`, ...s.lines.map((l) => `  ${l}`), '']),
    ...(pendingNote ? [pendingNote] : []),
  ]
    .join('\n')
    .trimEnd();
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif;line-height:1.4">',
    `<h2>${escapeHtml(`${business.name}: ${dayTitle}`)}</h2>`,
    ...sections.map(
      (s) =>
        `<h3>${escapeHtml(s.title)}</h3><ul>${s.lines.map((l) => `<li>${escapeHtml(l).replaceAll('\n', '<br>')}</li>`).join('')}</ul>`,
    ),
    ...(pendingNote ? [`<p><i>${escapeHtml(pendingNote)}</i></p>`] : []),
    '</body></html>',
  ].join('\n');

  const headline = [
    `${counts.calls} call${counts.calls === 1 ? '' : 's'}`,
    ...(counts.missed > 0 ? [`${counts.missed} missed`] : []),
    ...(counts.appointments > 0 ? [`${counts.appointments} booked`] : []),
    ...(counts.leads > 0 ? [`${counts.leads} new lead${counts.leads === 1 ? '' : 's'}`] : []),
  ].join(', ');
  return {
    counts,
    message: {
      to: input.to,
      subject: `${business.name} daily digest, ${dayTitle}: ${headline}`,
      text,
      html,
      idempotencyKey: digestEmailKey(day),
    },
  };
}

/** `Estimated cost: $1.23 (ElevenLabs 12.5 min $1.25; OpenAI …; Twilio 16 min $0.14)`, when priced. */
function costLine(calls: CallRow[]): string[] {
  const total = sumCosts(calls.flatMap((c) => (c.cost ? [c.cost] : [])));
  return total ? [`Estimated cost: ${describeCost(total)}`] : [];
}

/**
 * Who the owner should get back to: leads of the day with no appointment for the same person, and
 * missed inbound callers who were not reached by a later answered call that day.
 */
function followUpsDue(calls: CallRow[], leads: Lead[], appointments: Appointment[], tz: string): FollowUp[] {
  const followUps: FollowUp[] = [];
  const bookedCustomers = new Set(appointments.map((a) => a.customerId));
  const bookedPhones = new Set(appointments.map((a) => a.phone));
  for (const lead of leads) {
    if (bookedCustomers.has(lead.customerId) || bookedPhones.has(lead.phone)) continue;
    followUps.push({ who: `${lead.name} ${lead.phone}`, why: 'lead without an appointment' });
  }
  const listedPhones = new Set(leads.map((l) => l.phone));
  for (const call of calls) {
    if (call.direction !== 'inbound' || !callFlags(call).missed || listedPhones.has(call.from)) continue;
    const reachedLater = calls.some(
      (c) =>
        c.startedAt > call.startedAt &&
        (c.direction === 'inbound' ? c.from : c.to) === call.from &&
        !callFlags(c).missed,
    );
    if (reachedLater) continue;
    listedPhones.add(call.from);
    followUps.push({
      who: call.from,
      why: `missed call at ${DateTime.fromMillis(call.startedAt, { zone: tz }).toFormat('HH:mm')}, not reached since`,
    });
  }
  return followUps;
}
