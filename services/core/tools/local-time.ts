import { DateTime } from 'luxon';

/**
 * Tools speak the business's wall clock: dates as `YYYY-MM-DD` and times as `YYYY-MM-DDTHH:mm`,
 * local to `BUSINESS_TIMEZONE`. These helpers are the only place those strings become instants.
 */

export const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
export const LOCAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;

/**
 * Epoch ms of a local `YYYY-MM-DDTHH:mm`, or undefined when it is not a real wall-clock time there
 * (an impossible date, or a time skipped by a daylight-saving change, which luxon would shift).
 */
export function parseLocalDateTime(text: string, timezone: string): number | undefined {
  if (!LOCAL_DATE_TIME.test(text)) return undefined;
  const local = DateTime.fromISO(text, { zone: timezone });
  if (!local.isValid || local.toFormat("yyyy-LL-dd'T'HH:mm") !== text) return undefined;
  return local.toMillis();
}

/** Whether `text` is a real calendar date `YYYY-MM-DD`. */
export function isLocalDate(text: string): boolean {
  if (!LOCAL_DATE.test(text)) return false;
  const day = DateTime.fromISO(text, { zone: 'UTC' });
  return day.isValid && day.toFormat('yyyy-LL-dd') === text;
}

/** `YYYY-MM-DDTHH:mm` of an instant in the business time zone. */
export function formatLocalDateTime(at: number, timezone: string): string {
  return DateTime.fromMillis(at, { zone: timezone }).toFormat("yyyy-LL-dd'T'HH:mm");
}

/** `YYYY-MM-DD` of an instant in the business time zone. */
export function formatLocalDate(at: number, timezone: string): string {
  return DateTime.fromMillis(at, { zone: timezone }).toFormat('yyyy-LL-dd');
}

/** What a person says: `Thursday, November 26 at 10:30 AM`. */
export function spokenDateTime(at: number, timezone: string): string {
  return DateTime.fromMillis(at, { zone: timezone }).setLocale('en-US').toFormat("cccc, LLLL d 'at' h:mm a");
}

/** The local dates from `date` on, `days` of them. */
export function localDates(date: string, days: number): string[] {
  const first = DateTime.fromISO(date, { zone: 'UTC' });
  return Array.from({ length: days }, (_, i) => first.plus({ days: i }).toFormat('yyyy-LL-dd'));
}
