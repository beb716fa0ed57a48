/**
 * What the protocol validators report: one entry per message that breaks its protocol. Validators
 * never throw; a simulator collects these so a test can assert `expect(sim.violations).toEqual([])`.
 */
import type { ErrorObject } from 'ajv';

export interface Violation {
  /** Which way the message travelled, e.g. `client-to-server` or `to-twilio`. */
  direction: string;
  /** The offending message as text (long strings are shortened so test output stays readable). */
  message: string;
  /** Why it is a violation, in words. */
  why: string;
}

const MAX_MESSAGE_CHARS = 400;

/** The message as text for a report: the raw frame if we have it, else its JSON. */
export function describeMessage(data: unknown): string {
  let text: string;
  if (typeof data === 'string') text = data;
  else if (Buffer.isBuffer(data)) text = data.toString('utf8');
  else text = JSON.stringify(data) ?? String(data);
  return text.length > MAX_MESSAGE_CHARS
    ? `${text.slice(0, MAX_MESSAGE_CHARS)}… (${text.length} chars)`
    : text;
}

/**
 * A frame as received on a socket (text or bytes) parsed to JSON; anything else is taken as an
 * already parsed message. Returns `undefined` and a reason when the text is not JSON.
 */
export function parseFrame(data: unknown): { value: unknown } | { error: string } {
  if (typeof data !== 'string' && !Buffer.isBuffer(data)) return { value: data };
  const text = typeof data === 'string' ? data : data.toString('utf8');
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    return { error: `not JSON (${(error as Error).message})` };
  }
}

/** Ajv's errors as one readable sentence, e.g. `/audio_event must have required property 'audio_base_64'`. */
export function formatAjvErrors(errors: ErrorObject[] | null | undefined): string {
  if (!errors || errors.length === 0) return 'invalid';
  const lines = errors.map((e) => {
    const where = e.instancePath === '' ? '(message)' : e.instancePath;
    const extra =
      e.keyword === 'additionalProperties'
        ? ` '${String((e.params as { additionalProperty?: unknown }).additionalProperty)}'`
        : e.keyword === 'const' || e.keyword === 'enum'
          ? ` ${JSON.stringify((e.params as { allowedValue?: unknown; allowedValues?: unknown }).allowedValue ?? (e.params as { allowedValues?: unknown }).allowedValues)}`
          : '';
    return `${where} ${e.message ?? e.keyword}${extra}`;
  });
  return [...new Set(lines)].join('; ');
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
