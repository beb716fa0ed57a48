import { parsePhoneNumberFromString } from 'libphonenumber-js';
import * as z from 'zod';
import { headerSafe } from '../email/email-headers.js';
import { isE164 } from '../shared/phone.js';
import { isLocalDate, parseLocalDateTime } from './local-time.js';

/**
 * Argument fields shared by the tools. Each carries the sentence the agent speaks when the model
 * gets it wrong, so an invalid argument becomes a request the caller can answer.
 */

export const toolArgs = <Shape extends z.ZodRawShape>(shape: Shape) =>
  z.object(shape, { error: 'I could not read the details for that request.' });

export const localDateField = z
  .string({ error: 'I need the date as year-month-day, for example 2026-11-26.' })
  .trim()
  .refine(isLocalDate, 'I need the date as year-month-day, for example 2026-11-26.');

/** Checked against the time zone by the handler; here only its shape and calendar validity. */
export const localDateTimeField = z
  .string({
    error: 'I need the time as year-month-day, then T, then hours and minutes, like 2026-11-26T14:30.',
  })
  .trim()
  .refine(
    (v) => parseLocalDateTime(v, 'UTC') !== undefined,
    'I need the time as year-month-day, then T, then hours and minutes, like 2026-11-26T14:30.',
  );

export const nameField = z
  .string({ error: 'I need the name of the person.' })
  .trim()
  .min(1, 'I need the name of the person.')
  .max(200, 'That name is too long for me to note down.')
  // A name reaches email subjects and greetings: one line, whatever the model passed.
  .transform(headerSafe);

const EMAIL_AGAIN = 'That email address does not look complete; could you spell it again?';

export const emailField = z
  .string({ error: EMAIL_AGAIN })
  .trim()
  .max(254, 'That email address is too long.')
  .pipe(z.email({ error: EMAIL_AGAIN }));

export const phoneField = z
  .string({ error: 'I need the phone number with its area code.' })
  .trim()
  .min(3, 'I need the phone number with its area code.')
  .max(40, 'I need the phone number with its area code.');

export const shortText = (what: string, max = 500) =>
  z
    .string({ error: `I could not read the ${what}.` })
    .trim()
    .max(max, `The ${what} is too long; could you keep it shorter?`);

/**
 * A phone number as E.164. A spoken national number (`555 123 4567`) is read in the country of the
 * caller's own number, which is the best guess for a number the caller gives us.
 */
export function toE164(phone: string, callerNumber: string): string | undefined {
  if (isE164(phone)) return phone;
  const callerCountry = parsePhoneNumberFromString(callerNumber)?.country;
  const parsed = parsePhoneNumberFromString(phone, callerCountry ?? 'US');
  return parsed?.isValid() ? parsed.number : undefined;
}

/** The phone a booking or lead is kept under: the one given, else the caller's own number. */
export function contactPhone(given: string | undefined, callerNumber: string): string | undefined {
  if (given) return toE164(given, callerNumber);
  return isE164(callerNumber) ? callerNumber : undefined;
}
