import { randomUUID } from 'node:crypto';
import { appointmentText, reminderSchedule } from '../texts/booking-reminder.js';
import { sendText } from '../texts/texts.js';
import type { ToolContext } from './tool.js';
import { firstValueOnly } from './tool-usage.js';

/** The confirmation text of a booking: who, when (local), where (the profile's address), how to change it. */
export function bookingConfirmationText(booking: {
  businessName: string;
  when: string;
  address?: string;
  callBackNumber?: string;
}): string {
  return appointmentText(`${booking.businessName}: your appointment is booked for ${booking.when}.`, booking);
}

/**
 * Texts the booking's confirmation, once per booking, and says what the agent adds to its answer.
 * It goes to the caller's own number, or to the `phone` they booked under when the call's number
 * is vouched for (anyone can say someone else's number; a text there is one they did not ask for).
 */
export async function textConfirmation(
  context: ToolContext,
  booking: { key: string; phone: string; when: string; start: number },
): Promise<string> {
  const { deps, callSid, remoteNumber, log } = context;
  if (!deps.texts) return '';
  const to = booking.phone === remoteNumber || (await vouchedFor(context)) ? booking.phone : remoteNumber;
  // Once per booking, not once per attempt: a retried booking tool call must not text again, so
  // each attempt claims the booking's one slot with a value of its own and only the first wins.
  if (!(await firstValueOnly(deps.usage, `text-confirmation:${booking.key}`, randomUUID(), deps.now())))
    return '';
  const profile = await deps.businessProfile?.current();
  const outcome = await sendText(
    deps.texts,
    {
      kind: 'booking-confirmation',
      callSid,
      callerNumber: remoteNumber,
      to,
      body: bookingConfirmationText({
        businessName: deps.business.name,
        when: booking.when,
        address: profile?.address,
        callBackNumber: deps.businessNumber,
      }),
      operation: `text-confirmation:${booking.key}`,
    },
    log,
  );
  if ('sent' in outcome) {
    await scheduleReminder(context, { ...booking, to });
    return ' A text with the details is on its way.';
  }
  if ('failed' in outcome) return ' I could not send the confirmation text, but the booking is made.';
  return '';
}

/**
 * The day-before reminder, through the callbacks' one-time schedules (absent there: none). Made
 * only once the confirmation went, so it goes to a number texts may reach; a failure to schedule
 * is logged and leaves the booking and its confirmation as they are.
 */
async function scheduleReminder(
  context: ToolContext,
  booking: { key: string; start: number; to: string },
): Promise<void> {
  const { deps, callSid, remoteNumber, log } = context;
  const scheduler = deps.callbacks?.scheduler;
  if (!scheduler) return;
  const schedule = reminderSchedule(
    { bookingKey: booking.key, callSid, callerNumber: remoteNumber, to: booking.to, start: booking.start },
    deps.now(),
    deps.business.timezone,
  );
  if (!schedule) return;
  try {
    await scheduler.scheduleOnce(schedule);
    log.info('booking reminder scheduled', { schedule: schedule.name });
  } catch (error) {
    log.error('booking reminder not scheduled', { error });
  }
}

async function vouchedFor({ deps, callSid, log }: ToolContext): Promise<boolean> {
  try {
    return (await deps.callers?.callerVerified(callSid)) ?? false;
  } catch (error) {
    log.warn('caller verification unreadable: the text goes to the calling number', { error });
    return false;
  }
}
