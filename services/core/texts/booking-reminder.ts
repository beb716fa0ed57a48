/**
 * The reminder text of a booking, the day before: a one-time schedule made with the booking (the
 * same EventBridge Scheduler path as callbacks; a timer in the local stack) whose payload the
 * place-call function hands here when it fires. A booking cancelled since (its calendar event is
 * gone) gets no reminder: the event is looked up when the schedule fires.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { Calendar } from '../ports/calendar.js';
import type { BusinessProfileSource } from '../ports/flags.js';
import type { OneTimeSchedule } from '../ports/scheduler.js';
import type { Log } from '../shared/logging.js';
import { spokenDateTime } from '../tools/local-time.js';
import { sendText, type TextDeps } from './texts.js';

const HOUR_MS = 60 * 60 * 1000;
/** The reminder goes this long before the appointment. */
export const REMINDER_LEAD_MS = 24 * HOUR_MS;
/** No reminder for a booking this close to its reminder time: the confirmation just went. */
const MIN_NOTICE_MS = HOUR_MS;

export const REMINDER_KIND = 'booking-reminder';

const reminderPayloadSchema = z.object({
  kind: z.literal(REMINDER_KIND),
  bookingKey: z.string().min(1),
  callSid: z.string().min(1),
  callerNumber: z.string(),
  to: z.string(),
  /** Epoch ms of the appointment. */
  start: z.number(),
});

export type ReminderPayload = z.infer<typeof reminderPayloadSchema>;

export function isReminderPayload(payload: Record<string, unknown>): boolean {
  return payload.kind === REMINDER_KIND;
}

/** The schedule of a booking's reminder; undefined when the appointment is too close for one. */
export function reminderSchedule(
  reminder: Omit<ReminderPayload, 'kind'>,
  now: number,
  timezone: string,
): OneTimeSchedule | undefined {
  const at = reminder.start - REMINDER_LEAD_MS;
  if (at < now + MIN_NOTICE_MS) return undefined;
  // EventBridge schedule names: at most 64 of [0-9a-zA-Z-_.]; one booking, one name.
  const name = `reminder-${createHash('sha256').update(reminder.bookingKey).digest('hex').slice(0, 40)}`;
  return { name, at, timezone, payload: { kind: REMINDER_KIND, ...reminder } };
}

/** A text about an appointment: its first sentence, then the address if any, then how to change it. */
export function appointmentText(
  first: string,
  details: { address?: string; callBackNumber?: string },
): string {
  return [
    first,
    ...(details.address ? [`Address: ${details.address}.`] : []),
    details.callBackNumber
      ? `To change it, call us at ${details.callBackNumber}.`
      : 'To change it, call us back.',
  ].join(' ');
}

export function reminderText(reminder: {
  businessName: string;
  when: string;
  address?: string;
  callBackNumber?: string;
}): string {
  return appointmentText(
    `${reminder.businessName}: a reminder of your appointment ${reminder.when}.`,
    reminder,
  );
}

export interface ReminderDeps {
  texts: TextDeps;
  calendar: Pick<Calendar, 'findEvent'>;
  businessName: string;
  /** `TWILIO_PHONE_NUMBER`. */
  businessNumber: string;
  businessProfile?: BusinessProfileSource;
}

export type ReminderOutcome = { kind: 'reminder'; sent: boolean; why?: string };

/**
 * Sends a due reminder. Throws only when the text failed to go (the schedule's retries send it
 * then); a cancelled booking or a refused text is final, and logged.
 */
export async function sendBookingReminder(
  deps: ReminderDeps,
  payload: Record<string, unknown>,
  log: Log,
): Promise<ReminderOutcome> {
  const parsed = reminderPayloadSchema.safeParse(payload);
  if (!parsed.success) {
    log.error('A reminder schedule carried a malformed payload: nothing sent');
    return { kind: 'reminder', sent: false, why: 'malformed' };
  }
  const reminder = parsed.data;
  if (!(await deps.calendar.findEvent(reminder.bookingKey))) {
    log.info('Reminder not sent: the booking was cancelled');
    return { kind: 'reminder', sent: false, why: 'cancelled' };
  }
  const profile = await deps.businessProfile?.current();
  const outcome = await sendText(
    deps.texts,
    {
      kind: REMINDER_KIND,
      callSid: reminder.callSid,
      callerNumber: reminder.callerNumber,
      to: reminder.to,
      body: reminderText({
        businessName: deps.businessName,
        when: spokenDateTime(reminder.start, deps.texts.timezone),
        address: profile?.address,
        callBackNumber: deps.businessNumber,
      }),
      operation: `reminder:${reminder.bookingKey}`,
    },
    log,
  );
  if ('failed' in outcome) throw new Error(`Reminder not sent: ${outcome.failed.message}`);
  if ('refused' in outcome) return { kind: 'reminder', sent: false, why: outcome.refused };
  return { kind: 'reminder', sent: true };
}
