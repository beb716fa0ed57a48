import type { Calendar, Interval } from '../ports/calendar.js';
import { type BusinessHours, openIntervalsOn } from '../shared/business-hours.js';
import { formatLocalDate } from './local-time.js';

export interface BusinessSettings {
  name: string;
  /** IANA time zone: every local date and time the tools take or give is in it. */
  timezone: string;
  hours: BusinessHours;
  /** The hours as configured (`mon-fri 09:00-17:00`), for sentences; derived when absent. */
  hoursText?: string;
}

const MINUTE_MS = 60_000;

function overlaps(a: Interval, b: Interval): boolean {
  return a.start < b.end && b.start < a.end;
}

/**
 * Bookable slots of `slotMinutes` on the given local dates: inside opening hours, not overlapping
 * a busy interval, and starting no earlier than `now`. Slots start on the opening time and follow
 * each other back to back, so they line up with what `bookingProblem` accepts.
 */
export async function freeSlots(input: {
  calendar: Calendar;
  business: BusinessSettings;
  dates: string[];
  now: number;
  slotMinutes: number;
}): Promise<Interval[]> {
  const { calendar, business, dates, now, slotMinutes } = input;
  const slotMs = slotMinutes * MINUTE_MS;
  const candidates: Interval[] = [];
  for (const date of dates) {
    for (const open of openIntervalsOn(business.hours, business.timezone, date)) {
      for (let start = open.start; start + slotMs <= open.end; start += slotMs) {
        if (start >= now) candidates.push({ start, end: start + slotMs });
      }
    }
  }
  const first = candidates[0];
  const last = candidates[candidates.length - 1];
  if (!first || !last) return [];
  const busy = await calendar.busy(first.start, last.end);
  return candidates.filter((slot) => !busy.some((b) => overlaps(slot, b)));
}

export type BookingProblem = 'past' | 'outside-hours' | 'taken';

/**
 * Why `[start, end)` cannot be booked, or undefined when it can. Free/busy is read again here, at
 * booking time, because the slot the caller heard about may have been taken since.
 */
export async function bookingProblem(input: {
  calendar: Calendar;
  business: BusinessSettings;
  slot: Interval;
  now: number;
}): Promise<BookingProblem | undefined> {
  const { calendar, business, slot, now } = input;
  if (slot.start < now) return 'past';
  const date = formatLocalDate(slot.start, business.timezone);
  const inside = openIntervalsOn(business.hours, business.timezone, date).some(
    (open) => slot.start >= open.start && slot.end <= open.end,
  );
  if (!inside) return 'outside-hours';
  const busy = await calendar.busy(slot.start, slot.end);
  return busy.some((b) => overlaps(slot, b)) ? 'taken' : undefined;
}
