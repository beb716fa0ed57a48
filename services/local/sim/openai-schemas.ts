import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';

/**
 * Conformance checks for the OpenAI Realtime GA protocol (docs/protocols.md §2, §6a): every event is
 * validated against the upstream GA schemas, plus explicit negative checks for beta shapes the
 * schemas let through (they rarely set `additionalProperties: false`) but the live API rejects.
 * Every function returns violations as readable strings and never throws.
 */

type Json = Record<string, unknown>;
interface SchemaFile {
  components: { schemas: Record<string, Json> };
}

const SCHEMA_DIR = join(__dirname, 'schemas', 'openai');
const GA_ID = 'openai-realtime-ga';

function loadSchemaFile(name: string): SchemaFile {
  return JSON.parse(readFileSync(join(SCHEMA_DIR, name), 'utf8')) as SchemaFile;
}

const ga = loadSchemaFile('realtime-ga.schemas.json');
const beta = loadSchemaFile('realtime-beta-2025-03.schemas.json');

// §6a: an OpenAPI-style `nullable` without a sibling `type` that Ajv refuses to compile.
const sessionRequest = ga.components.schemas.RealtimeSessionCreateRequestGA as {
  properties: { tracing: Json };
};
delete sessionRequest.properties.tracing.nullable;

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ $id: GA_ID, components: ga.components });

/** Event `type` → schema name, read from each schema's `type` enum (`RealtimeClientEvent*` / `RealtimeServerEvent*`). */
function eventSchemaNames(file: SchemaFile, prefix: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const [name, schema] of Object.entries(file.components.schemas)) {
    if (!name.startsWith(prefix) || name === prefix) continue;
    const type = (schema.properties as { type?: { enum?: string[] } } | undefined)?.type?.enum?.[0];
    if (type) names.set(type, name);
  }
  return names;
}

const clientSchemas = eventSchemaNames(ga, 'RealtimeClientEvent');
const serverSchemas = eventSchemaNames(ga, 'RealtimeServerEvent');
const betaServerTypes = eventSchemaNames(beta, 'RealtimeServerEvent');
const betaClientTypes = eventSchemaNames(beta, 'RealtimeClientEvent');

/** Beta wire names that GA renamed (response.audio.delta, response.audio_transcript.done, …). */
export const BETA_ONLY_EVENT_TYPES: ReadonlySet<string> = new Set(
  [...betaServerTypes.keys(), ...betaClientTypes.keys()].filter(
    (type) => !serverSchemas.has(type) && !clientSchemas.has(type),
  ),
);

/** Flat beta session fields GA moved or dropped (beta schema fields minus GA fields, plus later beta additions). */
export const BETA_SESSION_FIELDS: ReadonlySet<string> = new Set([
  ...Object.keys(
    (beta.components.schemas.RealtimeSessionCreateRequest?.properties as Json | undefined) ?? {},
  ).filter(
    (field) => !((sessionRequest as { properties: Json }).properties as Json)[field] && field !== 'id',
  ),
  'modalities',
  'voice',
  'input_audio_format',
  'output_audio_format',
  'turn_detection',
  'input_audio_transcription',
  'input_audio_noise_reduction',
  'temperature',
  'max_response_output_tokens',
]);

const compiled = new Map<string, ValidateFunction>();
function validatorFor(schemaName: string): ValidateFunction {
  let validate = compiled.get(schemaName);
  if (!validate) {
    validate = ajv.getSchema(`${GA_ID}#/components/schemas/${schemaName}`);
    if (!validate) throw new Error(`no schema ${schemaName}`);
    compiled.set(schemaName, validate);
  }
  return validate;
}

function schemaViolations(schemaName: string, event: unknown, label: string): string[] {
  try {
    const validate = validatorFor(schemaName);
    if (validate(event)) return [];
    return (validate.errors ?? []).map(
      (error) => `${label}: ${error.instancePath || '/'} ${error.message ?? 'is invalid'}`,
    );
  } catch (error) {
    return [`${label}: schema check failed: ${(error as Error).message}`];
  }
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Negative checks for beta shapes inside a GA `session` object. */
export function betaSessionViolations(session: unknown, label = 'session'): string[] {
  if (!isRecord(session)) return [`${label} is not an object`];
  const problems: string[] = [];
  if (session.type === undefined)
    problems.push(`${label}.type is missing (Missing required parameter: 'session.type')`);
  for (const field of BETA_SESSION_FIELDS) {
    if (field in session)
      problems.push(`${label}.${field} is a beta field (Unknown parameter: '${label}.${field}')`);
  }
  const audio = session.audio;
  if (isRecord(audio)) {
    for (const side of ['input', 'output'] as const) {
      const part = audio[side];
      if (isRecord(part) && 'format' in part && !isRecord(part.format)) {
        problems.push(
          `${label}.audio.${side}.format must be an object such as {"type":"audio/pcmu"}, got ${JSON.stringify(part.format)}`,
        );
      }
    }
  }
  return problems;
}

/**
 * The checks both directions share: a JSON object with a `type` that names a GA event of that
 * direction (a beta-only name says so), valid against its GA schema.
 */
function gaEventViolations(
  direction: 'client' | 'server',
  schemas: Map<string, string>,
  event: unknown,
): string[] {
  if (!isRecord(event)) return [`${direction} event is not a JSON object`];
  const type = event.type;
  if (typeof type !== 'string') return [`${direction} event has no type`];
  const schemaName = schemas.get(type);
  if (!schemaName) {
    return [
      BETA_ONLY_EVENT_TYPES.has(type)
        ? `${type} is a beta event name, not GA`
        : `${type} is not a GA ${direction} event`,
    ];
  }
  return schemaViolations(schemaName, event, type);
}

/** Validates one client → server event (already parsed) against the GA schemas and the beta negatives. */
export function validateClientEvent(event: unknown): string[] {
  const problems = gaEventViolations('client', clientSchemas, event);
  if (!isRecord(event)) return problems;
  if (event.type === 'session.update') problems.push(...betaSessionViolations(event.session));
  if (event.type === 'response.create' && isRecord(event.response)) {
    for (const field of ['modalities', 'voice', 'output_audio_format', 'temperature']) {
      if (field in event.response) problems.push(`response.${field} is a beta field`);
    }
  }
  return problems;
}

/** Validates one server → client event against the GA schemas; beta event names are violations. */
export function validateServerEvent(event: unknown): string[] {
  return gaEventViolations('server', serverSchemas, event);
}

/** Handshake headers: the GA API takes only `Authorization`; `OpenAI-Beta` selects the retired beta protocol. */
export function handshakeViolations(headers: Record<string, string | string[] | undefined>): string[] {
  const problems: string[] = [];
  if (headers['openai-beta'] !== undefined) {
    problems.push(
      `OpenAI-Beta header sent (${String(headers['openai-beta'])}): the beta protocol is retired`,
    );
  }
  const auth = headers.authorization;
  if (typeof auth !== 'string' || !/^Bearer \S+$/.test(auth))
    problems.push('Authorization: Bearer <key> missing');
  return problems;
}
