import * as z from 'zod';
import { freeSlots } from './availability.js';
import { localDateField, toolArgs } from './fields.js';
import { formatLocalDateTime, localDates } from './local-time.js';
import { defineTool } from './tool.js';

/** How many slots one answer lists: more is too long to hear; the rest are counted. */
export const MAX_SLOTS_SPOKEN = 6;

export const checkAvailability = defineTool({
  name: 'check_availability',
  description:
    'Find free appointment times. Give the first local date to look at and, optionally, how many days ' +
    'from it to search (1 to 14, default 1). Returns free start times as local YYYY-MM-DDTHH:mm.',
  schema: toolArgs({
    date: localDateField.describe('First local date to search, YYYY-MM-DD, in the business time zone.'),
    days: z
      .number({ error: 'I can look at between 1 and 14 days at a time.' })
      .int('I can look at between 1 and 14 days at a time.')
      .min(1, 'I can look at between 1 and 14 days at a time.')
      .max(14, 'I can look at between 1 and 14 days at a time.')
      .optional()
      .describe('How many days to search from the date, 1 to 14. Default 1.'),
  }),
  failureText:
    'I could not reach the calendar just now. Could I take your details and have someone call you back?',
  handler: async ({ date, days = 1 }, { deps }) => {
    const dates = localDates(date, days);
    const slots = await freeSlots({
      calendar: deps.calendar,
      business: deps.business,
      dates,
      now: deps.now(),
      slotMinutes: deps.slotMinutes,
    });
    const range = days === 1 ? `on ${date}` : `from ${date} to ${dates[dates.length - 1]}`;
    if (slots.length === 0) return { ok: true, text: `There are no free times ${range}.` };
    const listed = slots
      .slice(0, MAX_SLOTS_SPOKEN)
      .map((slot) => formatLocalDateTime(slot.start, deps.business.timezone));
    const more = slots.length - listed.length;
    const rest = more > 0 ? `, and ${more} more` : '';
    return {
      ok: true,
      text: `Free ${deps.slotMinutes}-minute times ${range}: ${listed.join(', ')}${rest}.`,
    };
  },
});
