import { emailKey, renderEmail } from '../email/email-document.js';
import type { Calendar, Interval } from '../ports/calendar.js';
import { AppointmentConflictError } from '../ports/crm.js';
import type { AppointmentRepair } from '../ports/tool-calls.js';
import type { Log } from '../shared/logging.js';
import { bookingProblem } from './availability.js';
import { textConfirmation } from './booking-text.js';
import {
  contactPhone,
  emailField,
  localDateTimeField,
  nameField,
  phoneField,
  shortText,
  toolArgs,
} from './fields.js';
import { callerOf, customerFields, limitRefusal } from './limits.js';
import { formatLocalDateTime, parseLocalDateTime, spokenDateTime } from './local-time.js';
import { defineTool, type ToolContext } from './tool.js';
import { firstValueOnly } from './tool-usage.js';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/**
 * One booking of one call for one name: a retried tool call maps to the same event and the same
 * email. The name is part of it, so the same slot asked again for someone else is not "our own
 * event" but taken.
 */
export function bookingKey(callSid: string, localStart: string, name: string): string {
  return `booking:${callSid}:${localStart}:${name.trim().toLowerCase().replace(/\s+/g, ' ')}`;
}

/**
 * The runner gave up on the booking (its timeout) and the caller heard it could not be made: the
 * event made meanwhile (or whose aborted request Google still carried out) is removed, so that stays
 * true and the slot is free again. A failure here is logged; the event then waits for the owner.
 */
async function undoGivenUpBooking(calendar: Calendar, key: string, log: Log): Promise<void> {
  try {
    const made = await calendar.findEvent(key);
    if (made) await calendar.deleteEvent(made.eventId);
    log.warn('booking given up after its timeout: its calendar event was removed', {
      removed: Boolean(made),
    });
  } catch (error) {
    log.error('booking given up after its timeout: its calendar event could not be removed', { error });
  }
}

/**
 * CRM appointments on the slot whose calendar event is gone (the owner cancelled it in the calendar)
 * are marked cancelled, so they stop holding the slot. True when one was; false when every row in
 * the way still has its event (really taken) or the check itself failed (logged).
 */
async function releaseStaleRows(context: ToolContext, slot: Interval, ourEventId: string): Promise<boolean> {
  const { deps, log } = context;
  try {
    let released = 0;
    for (const row of await deps.crm.appointmentsOverlapping(slot.start, slot.end)) {
      if (row.calendarEventId === ourEventId || (await deps.calendar.hasEvent(row.calendarEventId))) continue;
      await deps.crm.cancelAppointment(row.calendarEventId, deps.now());
      log.warn('a CRM appointment whose calendar event is gone was marked cancelled: its slot is free', {
        appointmentId: row.id,
      });
      released += 1;
    }
    return released > 0;
  } catch (error) {
    log.error('could not check the CRM rows holding the slot', { error });
    return false;
  }
}

/**
 * Whether our event is the first made of those on the slot (ties by id, so two bookers agree). Each
 * booker lists after its own insert, so the later of two always sees the earlier. A calendar that
 * cannot be listed keeps the booking (logged): the owner email still shows both.
 */
async function firstOnSlot(calendar: Calendar, eventId: string, slot: Interval, log: Log): Promise<boolean> {
  try {
    const events = await calendar.eventsOverlapping(slot.start, slot.end);
    const first = events.reduce<(typeof events)[number] | undefined>(
      (best, e) =>
        !best || e.createdAt < best.createdAt || (e.createdAt === best.createdAt && e.eventId < best.eventId)
          ? e
          : best,
      undefined,
    );
    return first === undefined || first.eventId === eventId;
  } catch (error) {
    log.error('could not list the slot to decide between bookings: keeping this one', { error });
    return true;
  }
}

export const bookAppointment = defineTool({
  name: 'book_appointment',
  description:
    'Book an appointment at a free time the caller chose (check_availability first). start is local ' +
    'YYYY-MM-DDTHH:mm in the business time zone. phone defaults to the number the caller is calling from. ' +
    'Give email only if the caller wants a confirmation by email.',
  schema: toolArgs({
    start: localDateTimeField.describe('Local start time, YYYY-MM-DDTHH:mm, in the business time zone.'),
    name: nameField.describe('Name of the person the appointment is for.'),
    phone: phoneField.optional().describe("Contact phone; leave out to use the caller's own number."),
    email: emailField.optional().describe('Where to send a confirmation, if the caller wants one.'),
    purpose: shortText('purpose').optional().describe('What the appointment is for, in a few words.'),
  }),
  failureText:
    'I could not complete the booking just now. I can take your details and have someone confirm a time with you.',
  handler: async (args, context) => {
    const { callSid, remoteNumber, deps, log, signal } = context;
    const { timezone } = deps.business;
    const start = parseLocalDateTime(args.start, timezone);
    if (start === undefined) {
      return {
        ok: false,
        text: `${args.start} does not exist on the local clock; please pick another time.`,
      };
    }
    const phone = contactPhone(args.phone, remoteNumber);
    if (!phone) return { ok: false, text: 'I need a phone number with its area code to book under.' };
    const end = start + deps.slotMinutes * MINUTE_MS;
    const localStart = formatLocalDateTime(start, timezone);
    const key = bookingKey(callSid, localStart, args.name);
    const when = spokenDateTime(start, timezone);

    // A retry of a booking that already went through skips the free/busy check: the slot is
    // "busy" with our own event, and the caller must hear the same confirmation again.
    const existing = await deps.calendar.findEvent(key);
    if (!existing) {
      const problem = await bookingProblem({
        calendar: deps.calendar,
        business: deps.business,
        slot: { start, end },
        now: deps.now(),
      });
      if (problem === 'past')
        return { ok: false, text: `${when} has already passed; please pick a later time.` };
      if (problem === 'outside-hours') {
        const hours = deps.business.hoursText ? ` We are open ${deps.business.hoursText}.` : '';
        return { ok: false, text: `${when} is outside our opening hours.${hours} Please pick another time.` };
      }
      if (problem === 'taken') {
        return { ok: false, text: `${when} has just been taken; please pick another time.` };
      }
      if (start > deps.now() + deps.bookingHorizonDays * DAY_MS) {
        return {
          ok: false,
          text: `I can only book up to ${deps.bookingHorizonDays} days ahead; please pick an earlier date.`,
        };
      }
      // Counted against the phone it is booked under too: rotating the claimed number does not
      // let anyone fill the calendar in one person's name.
      const refusal = await limitRefusal(context, 'booking', key, { recipient: phone });
      if (refusal) return refusal;
    }

    const purpose = args.purpose || 'Appointment';
    signal.throwIfAborted();
    let event: { eventId: string; created: boolean };
    try {
      event = existing
        ? { ...existing, created: false }
        : await deps.calendar.createEvent(
            {
              idempotencyKey: key,
              start,
              end,
              summary: `${purpose}: ${args.name}`,
              description: [
                `Phone: ${phone}`,
                args.email ? `Email: ${args.email}` : '',
                `Booked on call ${callSid}`,
              ]
                .filter(Boolean)
                .join('\n'),
            },
            { signal },
          );
    } catch (error) {
      if (signal.aborted) await undoGivenUpBooking(deps.calendar, key, log);
      throw error;
    }
    if (signal.aborted && event.created) {
      await undoGivenUpBooking(deps.calendar, key, log);
      signal.throwIfAborted();
    }

    // The event holds the slot; the CRM row follows. The database refuses an overlapping row (two
    // calls booking one slot at once): then our event goes and the caller hears "taken". If the
    // CRM is down, the booking stands and the row is kept with the tool call for finalisation.
    // Only a verified caller's own number gets the name and email on its customer row.
    const customerInput = customerFields(phone, await callerOf(context, phone), {
      name: args.name,
      email: args.email,
    });
    const appointment = {
      callSid,
      start,
      end,
      calendarEventId: event.eventId,
      name: args.name,
      phone,
      email: args.email,
      purpose: args.purpose,
    };
    let crmRepair: AppointmentRepair | undefined;
    const writeRow = async () => {
      const customer = await deps.crm.upsertCustomer(customerInput);
      await deps.crm.recordAppointment({ ...appointment, customerId: customer.id });
    };
    try {
      try {
        await writeRow();
      } catch (error) {
        // The calendar had the slot free: the CRM row in the way may be one whose event the owner
        // has since removed. Released (marked cancelled), the booking is written once more.
        if (!(error instanceof AppointmentConflictError)) throw error;
        if (!(await releaseStaleRows(context, { start, end }, event.eventId))) throw error;
        await writeRow();
      }
    } catch (error) {
      if (error instanceof AppointmentConflictError) {
        if (event.created) {
          await deps.calendar
            .deleteEvent(event.eventId)
            .catch((deleteError: unknown) =>
              log.error('refused booking: its calendar event could not be removed', { error: deleteError }),
            );
        }
        log.warn('booking refused by the CRM: the slot overlaps another appointment', { start: localStart });
        return { ok: false, text: `${when} has just been taken; please pick another time.` };
      }
      // The CRM's constraint cannot decide between two bookings of this slot now: the calendar
      // does. The first event made keeps the slot; ours, made later, goes and the caller hears
      // "taken", as the constraint would have said.
      if (event.created && !(await firstOnSlot(deps.calendar, event.eventId, { start, end }, log))) {
        await deps.calendar
          .deleteEvent(event.eventId)
          .catch((deleteError: unknown) =>
            log.error('losing booking: its calendar event could not be removed', { error: deleteError }),
          );
        log.warn('booking refused by the calendar while the CRM is down: the slot was taken first', {
          start: localStart,
        });
        return { ok: false, text: `${when} has just been taken; please pick another time.` };
      }
      log.error('appointment not written to the CRM: finalisation will write it', { error });
      crmRepair = { kind: 'appointment', customer: customerInput, appointment };
    }
    log.info('appointment booked', {
      eventId: event.eventId,
      start: localStart,
      crmPending: Boolean(crmRepair),
    });

    const confirmation = args.email
      ? await sendConfirmation(context, {
          key,
          email: args.email,
          name: args.name,
          purpose: args.purpose,
          when,
        })
      : '';
    const texted = await textConfirmation(context, { key, phone, when, start });
    return {
      ok: true,
      text: `Booked for ${when} (${localStart}) for ${args.name}.${confirmation}${texted}`,
      ...(crmRepair ? { crmRepair } : {}),
    };
  },
});

/**
 * The booking's confirmation email, and what the agent adds to its answer. One booking confirms to
 * one address with one text: a repeat of the booking (it finds its own event) with another address
 * or purpose sends nothing, so the agent cannot be made to mail anyone many times with text the
 * caller chose. And each confirmation counts against the email limits like a follow-up.
 */
async function sendConfirmation(
  context: ToolContext,
  booking: { key: string; email: string; name: string; purpose?: string; when: string },
): Promise<string> {
  const { deps, log } = context;
  const { key, email, name, purpose, when } = booking;
  const first = await firstValueOnly(
    deps.usage,
    `confirmation:${key}`,
    `${email.toLowerCase()}\n${purpose ?? ''}`,
    deps.now(),
  );
  if (!first) {
    log.warn('A repeated booking asked for another confirmation: none sent');
    return ' The confirmation went to the address given when it was booked.';
  }
  const refusal = await limitRefusal(context, 'email', `confirmation:${key}`, { recipient: email });
  if (refusal) return ` ${refusal.text}`;
  try {
    await deps.mailer.send(
      renderEmail({
        to: email,
        subject: `Your appointment with ${deps.business.name}: ${when}`,
        blocks: [
          { kind: 'paragraph', lines: [`Hello ${name},`] },
          {
            kind: 'paragraph',
            lines: [
              `Your appointment with ${deps.business.name} is booked for ${when} (${deps.business.timezone}).`,
              ...(purpose ? [`Purpose: ${purpose}`] : []),
            ],
          },
          { kind: 'paragraph', lines: ['If you need to change it, just call us back.'] },
        ],
        // One booking, one confirmation (above): a retry carries the same key and Resend sends once.
        idempotencyKey: emailKey('confirmation', key),
      }),
    );
    return ` A confirmation is on its way to ${email}.`;
  } catch (error) {
    // The booking stands; only the email failed, and the caller should know that.
    log.error('booking confirmation email failed', { error });
    return ' I could not send the confirmation email, but the booking is made.';
  }
}
