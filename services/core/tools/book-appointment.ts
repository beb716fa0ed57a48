import { bookingProblem } from './availability.js';
import {
  contactPhone,
  emailField,
  localDateTimeField,
  nameField,
  phoneField,
  shortText,
  toolArgs,
} from './fields.js';
import { customerFields, limitRefusal } from './limits.js';
import { formatLocalDateTime, parseLocalDateTime, spokenDateTime } from './local-time.js';
import { defineTool } from './tool.js';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** One booking request of one call: a retried tool call maps to the same event and the same email. */
export function bookingKey(callSid: string, localStart: string): string {
  return `booking:${callSid}:${localStart}`;
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
    const { callSid, remoteNumber, deps, log } = context;
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
    const key = bookingKey(callSid, localStart);
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
      const refusal = await limitRefusal(context, 'booking', key);
      if (refusal) return refusal;
    }

    const purpose = args.purpose || 'Appointment';
    const event =
      existing ??
      (await deps.calendar.createEvent({
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
      }));

    const customer = await deps.crm.upsertCustomer(
      customerFields(phone, remoteNumber, { name: args.name, email: args.email }),
    );
    await deps.crm.recordAppointment({
      customerId: customer.id,
      callSid,
      start,
      end,
      calendarEventId: event.eventId,
      name: args.name,
      phone,
      email: args.email,
      purpose: args.purpose,
    });
    log.info('appointment booked', { eventId: event.eventId, start: localStart });

    let confirmation = '';
    if (args.email) {
      try {
        await deps.mailer.send({
          to: args.email,
          subject: `Your appointment with ${deps.business.name}: ${when}`,
          text: [
            `Hello ${args.name},`,
            '',
            `Your appointment with ${deps.business.name} is booked for ${when} (${timezone}).`,
            args.purpose ? `Purpose: ${args.purpose}` : '',
            '',
            'If you need to change it, just call us back.',
          ]
            .filter((line, i, all) => line !== '' || all[i - 1] !== '')
            .join('\n'),
          idempotencyKey: `${key}:confirmation`,
        });
        confirmation = ` A confirmation is on its way to ${args.email}.`;
      } catch (error) {
        // The booking stands; only the email failed, and the caller should know that.
        log.error('booking confirmation email failed', { error });
        confirmation = ' I could not send the confirmation email, but the booking is made.';
      }
    }
    return { ok: true, text: `Booked for ${when} (${localStart}) for ${args.name}.${confirmation}` };
  },
});
