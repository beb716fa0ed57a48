/**
 * Validators for Twilio Media Streams WebSocket messages, compiled from
 * services/local/sim/schemas/twilio-media-streams.schema.json (written from the catalog
 * services/local/sim/schemas/catalog/twilio-media-streams.json; provenance in its `$comment`).
 *
 * Messages route on `event` within their direction; an event the protocol does not define for that
 * direction is a violation (Twilio would answer it with error 31951).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { describeMessage, formatAjvErrors, isRecord, parseFrame, type Violation } from './violation.js';

export type TwilioDirection = 'from-twilio' | 'to-twilio';

export const FROM_TWILIO_EVENTS = ['connected', 'start', 'media', 'dtmf', 'mark', 'stop'] as const;
export const TO_TWILIO_EVENTS = ['media', 'mark', 'clear'] as const;

const SCHEMA_PATH = join(__dirname, 'schemas', 'twilio-media-streams.schema.json');
const SCHEMA_ID = 'twilio-media-streams.schema.json';

let validators: Record<TwilioDirection, Map<string, ValidateFunction>> | undefined;

function compile(): Record<TwilioDirection, Map<string, ValidateFunction>> {
  if (validators) return validators;
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addSchema(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object);
  const build = (group: string, events: readonly string[]): Map<string, ValidateFunction> =>
    new Map(events.map((e) => [e, ajv.compile({ $ref: `${SCHEMA_ID}#/definitions/${group}/${e}` })]));
  validators = {
    'from-twilio': build('fromTwilio', FROM_TWILIO_EVENTS),
    'to-twilio': build('toTwilio', TO_TWILIO_EVENTS),
  };
  return validators;
}

/**
 * Validates one message (a raw socket frame, text or bytes, or an already parsed object) travelling
 * in `direction`. Returns the violations (empty when valid); never throws.
 */
export function validateTwilioMessage(direction: TwilioDirection, data: unknown): Violation[] {
  const violation = (why: string): Violation[] => [{ direction, message: describeMessage(data), why }];
  const parsed = parseFrame(data);
  if ('error' in parsed) return violation(parsed.error);
  const message = parsed.value;
  if (!isRecord(message)) return violation('a message must be a JSON object');
  const event = message.event;
  if (typeof event !== 'string') return violation("no 'event'");
  const validate = compile()[direction].get(event);
  if (!validate) return violation(`unknown ${direction} event '${event}'`);
  if (validate(message)) return [];
  return violation(`${event}: ${formatAjvErrors(validate.errors)}`);
}

/** A message Twilio (here: the simulated caller) sends to the bridge. */
export function validateFromTwilio(data: unknown): Violation[] {
  return validateTwilioMessage('from-twilio', data);
}

/** A message the bridge sends to Twilio: only media, mark and clear, with no extra fields. */
export function validateToTwilio(data: unknown): Violation[] {
  return validateTwilioMessage('to-twilio', data);
}
