import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** E.164: a plus, a country code that does not start with 0, at most 15 digits in all. */
export function isE164(value: string): boolean {
  return /^\+[1-9]\d{6,14}$/.test(value);
}

/**
 * Masks a phone number for logs: keeps the country-code hint and the last two digits
 * (`+1555•••••67`), enough to tell calls apart without storing who called.
 */
export function maskPhone(value: string | undefined): string {
  if (!value) return '';
  const digits = value.replace(/[^\d+]/g, '');
  if (digits.length <= 6) return '•'.repeat(digits.length);
  return `${digits.slice(0, 4)}${'•'.repeat(digits.length - 6)}${digits.slice(-2)}`;
}

export type DestinationProblemCode = 'invalid-number' | 'country-not-allowed' | 'premium-rate';

/**
 * The toll-fraud guard for anything we dial or text: a real E.164 number, in one of
 * `OUTBOUND_ALLOWED_COUNTRIES`, not premium-rate or shared-cost. Undefined: the number may be used.
 */
export function destinationProblem(
  to: string,
  allowedCountries: readonly string[],
): { code: DestinationProblemCode; message: string } | undefined {
  if (!isE164(to))
    return {
      code: 'invalid-number',
      message: `to must be an E.164 number such as +12125550123, not "${to}"`,
    };
  const phone = parsePhoneNumberFromString(to);
  if (!phone?.isValid()) return { code: 'invalid-number', message: `to ${to} is not a valid phone number` };
  if (!phone.country || !allowedCountries.includes(phone.country)) {
    return {
      code: 'country-not-allowed',
      message: `Calls to ${phone.country ?? `country code +${phone.countryCallingCode}`} are not allowed (OUTBOUND_ALLOWED_COUNTRIES=${allowedCountries.join(',')})`,
    };
  }
  const type = phone.getType();
  if (type === 'PREMIUM_RATE' || type === 'SHARED_COST') {
    return {
      code: 'premium-rate',
      message: `to ${to} is a ${type === 'PREMIUM_RATE' ? 'premium-rate' : 'shared-cost'} number`,
    };
  }
  return undefined;
}
