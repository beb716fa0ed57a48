/**
 * The owner's daily digest: one email about the previous local day in the business time zone
 * (the default 08:00 run reports yesterday, so the owner reads it in the morning). Calls finalised
 * after their own day's digest went out (the sweeper found them late) are listed in the next one,
 * marked late. It does no finalisation work itself (the sweeper retries those), so a run is a few
 * queries and one email. One digest per day: a marker is claimed before sending; the message is
 * frozen on the marker before the first attempt, so a retried run sends the very same email.
 */
import { DateTime } from 'luxon';
import { remoteNumber } from '../call/call-session.js';
import { type EmailBlock, type EmailDocument, emailKey, renderEmail } from '../email/email-document.js';
import type { DigestMarkers, FinalisationStore } from '../ports/call-store.js';
import type { Appointment, CallRow, Crm, Lead } from '../ports/crm.js';
import type { EmailMessage, Mailer } from '../ports/mail.js';
import type { WebhookDeliveryStore } from '../ports/webhooks.js';
import { logger } from '../shared/logging.js';
import { describeCost, sumCosts } from './call-cost.js';
import { callFlags, formatDuration, formatLocal } from './call-report.js';
import type { DigestCounts } from './digest-counts.js';

export interface DigestDeps {
  crm: Pick<Crm, 'callsBetween' | 'callsFinalisedBetween' | 'leadsBetween' | 'appointmentsBetween'>;
  markers: DigestMarkers;
  finalisations: Pick<FinalisationStore, 'listPending'>;
  mailer: Mailer;
  ownerEmail?: string;
  business: { name: string; timezone: string };
  now: () => number;
  /** The integration webhook's events kept as failed (absent: no webhook, nothing to say). */
  webhookFailures?: Pick<WebhookDeliveryStore, 'failedBetween'>;
}

export type DigestOutcome =
  | { kind: 'sent'; day: string; counts: DigestCounts; pending: number }
  /** Another run sent (or is sending) this day's digest. */
  | { kind: 'already-sent'; day: string }
  | { kind: 'no-owner-email'; day: string };

/** A claim older than this without `markSent` belongs to a run that died: the next run may take it. */
const CLAIM_STALE_AFTER_MS = 15 * 60 * 1000;
const MAX_CALLS_LISTED = 50;
/** Counted for the "not in the CRM yet" note; the sweeper does the work. */
const PENDING_COUNT_LIMIT = 100;

export function digestEmailKey(day: string): string {
  return emailKey('digest', day);
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
  const day = options.day ?? previousLocalDay(deps.now(), timezone);
  const start = DateTime.fromISO(day, { zone: timezone }).startOf('day');
  if (!start.isValid) throw new Error(`Not a day: ${day}`);
  if (!deps.ownerEmail) {
    logger.warn('OWNER_EMAIL is not set: no daily digest', { day });
    return { kind: 'no-owner-email', day };
  }
  const claim = await deps.markers.claim(day, deps.now(), CLAIM_STALE_AFTER_MS);
  if (!claim.claimed) {
    logger.info('Daily digest already sent', { day });
    return { kind: 'already-sent', day };
  }
  try {
    let message = claim.message;
    let counts = claim.counts;
    const pending = (await deps.finalisations.listPending(PENDING_COUNT_LIMIT)).length;
    if (!message || !counts) {
      // Luxon's day boundaries follow the zone's rules: a DST day is 23 or 25 hours long.
      const from = start.toMillis();
      const to = start.plus({ days: 1 }).toMillis();
      // Late: rows written since the previous day's digest went out, for calls before this day.
      const previousDay = start.minus({ days: 1 }).toISODate() ?? '';
      const lateSince = (await deps.markers.sentAt(previousDay)) ?? from;
      const [calls, leads, appointments, finalisedSince, webhookFailures] = await Promise.all([
        deps.crm.callsBetween(from, to),
        deps.crm.leadsBetween(from, to),
        deps.crm.appointmentsBetween(from, to),
        deps.crm.callsFinalisedBetween(lateSince, deps.now()),
        // Kept as failed since the previous digest went out: each is reported once.
        deps.webhookFailures?.failedBetween(lateSince, deps.now()) ?? Promise.resolve([]),
      ]);
      const digest = buildDigest({
        to: deps.ownerEmail,
        day,
        business: deps.business,
        calls,
        lateCalls: finalisedSince.filter((c) => c.startedAt < from),
        leads,
        appointments,
        stillPending: pending,
        webhookFailures,
      });
      // Frozen before the first attempt: a retry sends exactly this, never a rebuilt variant.
      ({ message, counts } = await deps.markers.freeze(day, digest.message, digest.counts));
    }
    await deps.mailer.send(message);
    await deps.markers.markSent(day, deps.now());
    logger.info('Daily digest sent', { day, ...counts });
    return { kind: 'sent', day, counts, pending };
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
  /** Calls of earlier days that reached the CRM after their own day's digest. */
  lateCalls?: CallRow[];
  leads: Lead[];
  appointments: Appointment[];
  /** Finalisations still failing after the retry: the owner should know the CRM is behind. */
  stillPending: number;
  /** Integration webhook events kept as failed after 24 h of retries, since the previous digest. */
  webhookFailures?: Array<{ callSid: string; eventId: string }>;
}

interface FollowUp {
  who: string;
  why: string;
}

/** The digest email itself: pure, so its content is easy to see and test. */
export function buildDigest(input: DigestInput): { message: EmailMessage; counts: DigestCounts } {
  const doc = digestDocument(input);
  return { message: renderEmail(doc.document), counts: doc.counts };
}

function digestDocument(input: DigestInput): { document: EmailDocument; counts: DigestCounts } {
  const { business, day } = input;
  const tz = business.timezone;
  const dayTitle = DateTime.fromISO(day, { zone: tz }).toFormat('cccc d LLLL yyyy');
  const calls = [...input.calls].sort((a, b) => a.startedAt - b.startedAt);
  const lateCalls = [...(input.lateCalls ?? [])].sort((a, b) => a.startedAt - b.startedAt);
  const flagged = calls.map((call) => ({ call, flags: callFlags(call) }));
  const missed = flagged.filter((f) => f.flags.missed);
  const followUps = followUpsDue([...calls, ...lateCalls], input.leads, input.appointments, tz);
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
    late: lateCalls.length,
  };
  const pendingNote =
    input.stillPending > 0
      ? `Note: ${input.stillPending} call(s) could not be written to the CRM yet; they are retried and will appear in a later digest.`
      : undefined;
  const key = digestEmailKey(day);
  const failures = input.webhookFailures ?? [];
  const pendingBlocks: EmailBlock[] = [
    ...(pendingNote ? [{ kind: 'paragraph' as const, lines: [pendingNote] }] : []),
    ...(failures.length > 0
      ? [
          {
            kind: 'paragraph' as const,
            lines: [
              `Integration webhook: ${failures.length} call event(s) could not be delivered after 24 h of retries (the receiver never answered 2xx): ${failures
                .map((f) => `${f.eventId} (call ${f.callSid})`)
                .join(', ')}.`,
            ],
          },
        ]
      : []),
  ];
  const lateBlocks: EmailBlock[] =
    lateCalls.length > 0
      ? [
          { kind: 'heading', text: 'Late: earlier calls that reached the CRM since the last digest' },
          { kind: 'list', items: lateCalls.map((c) => `LATE ${callLine(c, tz, 'ccc d LLL HH:mm')}`) },
        ]
      : [];

  if (counts.calls === 0 && counts.leads === 0 && counts.appointments === 0) {
    return {
      counts,
      document: {
        to: input.to,
        subject: `${business.name} daily digest, ${dayTitle}: a quiet day${lateCalls.length > 0 ? `, ${lateCalls.length} late` : ''}`,
        blocks: [
          { kind: 'paragraph', lines: [`No calls, leads or appointments on ${dayTitle}.`] },
          ...lateBlocks,
          ...pendingBlocks,
        ],
        idempotencyKey: key,
      },
    };
  }

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
    const listed = calls.slice(0, MAX_CALLS_LISTED).map((call) => callLine(call, tz, 'HH:mm'));
    if (calls.length > MAX_CALLS_LISTED)
      listed.push(`… and ${calls.length - MAX_CALLS_LISTED} more in the CRM.`);
    sections.push({ title: 'Calls', lines: listed });
  }

  const headline = [
    `${counts.calls} call${counts.calls === 1 ? '' : 's'}`,
    ...(counts.missed > 0 ? [`${counts.missed} missed`] : []),
    ...(counts.appointments > 0 ? [`${counts.appointments} booked`] : []),
    ...(counts.leads > 0 ? [`${counts.leads} new lead${counts.leads === 1 ? '' : 's'}`] : []),
    ...(counts.late > 0 ? [`${counts.late} late`] : []),
  ].join(', ');
  return {
    counts,
    document: {
      to: input.to,
      subject: `${business.name} daily digest, ${dayTitle}: ${headline}`,
      blocks: [
        { kind: 'paragraph', lines: [`${business.name}: ${dayTitle} (${tz})`] },
        ...sections.flatMap((section): EmailBlock[] => [
          { kind: 'heading', text: section.title },
          { kind: 'list', items: section.lines },
        ]),
        ...lateBlocks,
        ...pendingBlocks,
      ],
      idempotencyKey: key,
    },
  };
}

/** `Estimated cost: $1.23 (ElevenLabs 12.5 min $1.25; OpenAI …; Twilio 16 min $0.14)`, when priced. */
function costLine(calls: CallRow[]): string[] {
  const total = sumCosts(calls.flatMap((c) => (c.cost ? [c.cost] : [])));
  return total ? [`Estimated cost: ${describeCost(total)}`] : [];
}

/** One call in the digest's list: time, direction, number, what happened, its summary. */
function callLine(call: CallRow, tz: string, timeFormat: string): string {
  const flags = callFlags(call);
  const other = remoteNumber(call);
  const state = flags.engineOutage
    ? 'AGENT COULD NOT ANSWER (callback due)'
    : flags.transferUnanswered
      ? `TRANSFER UNANSWERED (callback due) ${formatDuration(call.durationSeconds ?? 0)}`
      : flags.missed
        ? `MISSED (${call.outcome === 'completed' ? 'nobody spoke' : call.outcome})`
        : `${formatDuration(call.durationSeconds ?? 0)}${flags.short ? ' VERY SHORT' : ''}`;
  const failover = call.failedOver ? ` [failover: ${call.servedBy ?? '?'}]` : '';
  const summary = call.summary ? `\n      ${call.summary}` : '';
  const time = DateTime.fromMillis(call.startedAt, { zone: tz }).toFormat(timeFormat);
  return `${time}  ${call.direction === 'inbound' ? 'in ' : 'out'}  ${other}  ${state}${failover}${summary}`;
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
    const flags = callFlags(call);
    if (!flags.callbackDue) continue;
    const other = remoteNumber(call);
    listedPhones.add(other);
    followUps.push({
      who: other,
      why: `CALLBACK DUE: ${flags.engineOutage ? 'the agent could not answer' : 'transfer unanswered'} at ${DateTime.fromMillis(call.startedAt, { zone: tz }).toFormat('HH:mm')}`,
    });
  }
  for (const call of calls) {
    if (call.direction !== 'inbound' || !callFlags(call).missed || listedPhones.has(call.from)) continue;
    const reachedLater = calls.some(
      (c) => c.startedAt > call.startedAt && remoteNumber(c) === call.from && !callFlags(c).missed,
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
