import { DateTime } from 'luxon';

/** Opening hours per ISO weekday (1 = Monday … 7 = Sunday), as minutes after local midnight. */
export type BusinessHours = Array<{ weekday: number; openMinute: number; closeMinute: number }>;

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/**
 * Parses `mon-fri 09:00-17:00,sat 10:00-14:00`. Days `mon`…`sun`, single or as a range;
 * `24:00` is allowed as an end. Throws with a message that says what is wrong.
 */
export function parseBusinessHours(text: string): BusinessHours {
  const hours: BusinessHours = [];
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^([a-z]{3})(?:-([a-z]{3}))?\s+(\d{2}):(\d{2})-(\d{2}):(\d{2})$/i.exec(part);
    if (!match)
      throw new Error(`must look like "mon-fri 09:00-17:00,sat 10:00-14:00" (could not read "${part}")`);
    const [, fromDay = '', toDay, oh = '', om = '', ch = '', cm = ''] = match;
    const from = dayNumber(fromDay);
    const to = toDay ? dayNumber(toDay) : from;
    const openMinute = Number(oh) * 60 + Number(om);
    const closeMinute = Number(ch) * 60 + Number(cm);
    if (Number(om) > 59 || Number(cm) > 59 || openMinute >= 24 * 60 || closeMinute > 24 * 60) {
      throw new Error(`has an impossible time in "${part}"`);
    }
    if (closeMinute <= openMinute) throw new Error(`closes before it opens in "${part}"`);
    if (to < from) throw new Error(`has a day range that runs backwards in "${part}"`);
    for (let weekday = from; weekday <= to; weekday++) hours.push({ weekday, openMinute, closeMinute });
  }
  if (hours.length === 0) throw new Error('names no opening hours');
  return hours;
}

function dayNumber(day: string): number {
  const index = DAYS.indexOf(day.toLowerCase() as (typeof DAYS)[number]);
  if (index < 0) throw new Error(`has an unknown day "${day}" (use mon, tue, wed, thu, fri, sat, sun)`);
  return index + 1;
}

/** Whether `tz` is an IANA time zone this runtime knows (`America/New_York`). */
export function isIanaTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Whether the business is open at `at` (epoch ms) in its time zone. */
export function isWithinHours(hours: BusinessHours, timezone: string, at: number): boolean {
  const local = DateTime.fromMillis(at, { zone: timezone });
  const minute = local.hour * 60 + local.minute;
  return hours.some((h) => h.weekday === local.weekday && minute >= h.openMinute && minute < h.closeMinute);
}

/** The opening intervals of one local date (`YYYY-MM-DD`), as epoch-ms pairs, in order. */
export function openIntervalsOn(
  hours: BusinessHours,
  timezone: string,
  localDate: string,
): Array<{ start: number; end: number }> {
  const day = DateTime.fromISO(localDate, { zone: timezone });
  if (!day.isValid) return [];
  return hours
    .filter((h) => h.weekday === day.weekday)
    .sort((a, b) => a.openMinute - b.openMinute)
    .map((h) => ({
      start: day.startOf('day').plus({ minutes: h.openMinute }).toMillis(),
      end: day.startOf('day').plus({ minutes: h.closeMinute }).toMillis(),
    }));
}
