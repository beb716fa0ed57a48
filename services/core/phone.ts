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
