/**
 * Validators for ElevenLabs Conversational AI WebSocket messages, compiled from the official
 * AsyncAPI contract (services/local/sim/schemas/elevenlabs/agent.asyncapi.json, elevenlabs/packages@2a9057e).
 *
 * Routing (docs/protocols.md §6a): a frame with `user_audio_chunk` and no `type` is user audio; every
 * other message routes on `type` to the payload schema the contract lists for that direction; a
 * type the contract does not list for that direction is a violation.
 *
 * Two deliberate changes to the contract before compiling, both documented in docs/protocols.md §6a:
 * - `nullable: true` beside a `$ref` (which Ajv refuses) becomes `anyOf: [ref, null]`;
 * - unless `allowUnknownFields` is set, every object schema that lists `properties` and says nothing
 *   about extra ones gets `additionalProperties: false`, so a misspelt field (`audio_base64`) or a
 *   field beyond the protocol is caught. The contract leaves objects open; the bridge must not send
 *   fields beyond it (DESIGN.md, media path), and the simulator must not invent any.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { describeMessage, formatAjvErrors, isRecord, parseFrame, type Violation } from './violation.js';

export type ElevenLabsDirection = 'client-to-server' | 'server-to-client';

export interface ElevenLabsValidateOptions {
  /** Accept fields the contract does not name (the contract's own, open reading). Default false. */
  allowUnknownFields?: boolean;
}

const SPEC_PATH = join(__dirname, 'schemas', 'elevenlabs', 'agent.asyncapi.json');
const SPEC_ID = 'elevenlabs-agent.asyncapi.json';
/** The key of a frame that carries user audio; it is the only client message without `type`. */
const USER_AUDIO_KEY = 'user_audio_chunk';

/** Strict base64 (what `format: base64` promises): groups of 4, optional padding. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** RFC 3339 date-time (the only other format the contract uses; ajv-formats is not installed). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

type Json = unknown;

function fixNullableRefs(node: Json): Json {
  if (Array.isArray(node)) return node.map(fixNullableRefs);
  if (!isRecord(node)) return node;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(node)) out[key] = fixNullableRefs(value);
  if (typeof out.$ref === 'string' && out.nullable === true) {
    const { $ref, nullable: _nullable, ...rest } = out;
    return { ...rest, anyOf: [{ $ref }, { type: 'null' }] };
  }
  return out;
}

function closeObjects(node: Json, openNames: Set<string>, name?: string): Json {
  if (Array.isArray(node)) return node.map((item) => closeObjects(item, openNames));
  if (!isRecord(node)) return node;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(node)) out[key] = closeObjects(value, openNames);
  const composed = 'allOf' in out || 'anyOf' in out || 'oneOf' in out;
  if (
    isRecord(out.properties) &&
    !('additionalProperties' in out) &&
    !composed &&
    !openNames.has(name ?? '')
  ) {
    out.additionalProperties = false;
  }
  return out;
}

/** Schemas used as an `allOf` branch must stay open, or no object could satisfy the composition. */
function namesUsedInAllOf(schemas: Record<string, Json>): Set<string> {
  const names = new Set<string>();
  const visit = (node: Json): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (isRecord(node)) {
      if (Array.isArray(node.allOf)) {
        for (const branch of node.allOf) {
          if (isRecord(branch) && typeof branch.$ref === 'string')
            names.add(branch.$ref.split('/').pop() ?? '');
        }
      }
      Object.values(node).forEach(visit);
    }
  };
  visit(schemas);
  return names;
}

interface Route {
  /** payload schema name by `type`; the user audio schema under USER_AUDIO_KEY */
  byType: Map<string, string>;
}

interface Compiled {
  routes: Record<ElevenLabsDirection, Route>;
  validators: Map<string, ValidateFunction>;
}

const compiled = new Map<boolean, Compiled>();

function messageRefs(spec: Record<string, Json>, operation: 'publish' | 'subscribe'): string[] {
  const channels = spec.channels as Record<
    string,
    Record<string, { message: { oneOf: Array<{ $ref: string }> } }>
  >;
  const channel = channels.AgentMessages;
  if (!channel) throw new Error('AsyncAPI contract has no AgentMessages channel');
  return channel[operation]?.message.oneOf.map((m) => m.$ref.split('/').pop() ?? '') ?? [];
}

function compile(allowUnknownFields: boolean): Compiled {
  const cached = compiled.get(allowUnknownFields);
  if (cached) return cached;
  const spec = JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as Record<string, Json>;
  const components = spec.components as {
    messages: Record<string, { payload: { $ref: string } }>;
    schemas: Record<string, Json>;
  };
  let schemas = fixNullableRefs(components.schemas) as Record<string, Json>;
  if (!allowUnknownFields) {
    const open = namesUsedInAllOf(schemas);
    schemas = Object.fromEntries(Object.entries(schemas).map(([n, s]) => [n, closeObjects(s, open, n)]));
  }
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('base64', BASE64);
  ajv.addFormat('date-time', DATE_TIME);
  ajv.addSchema({ $id: SPEC_ID, components: { schemas } });

  const validators = new Map<string, ValidateFunction>();
  const routeFor = (operation: 'publish' | 'subscribe'): Route => {
    const byType = new Map<string, string>();
    for (const messageName of messageRefs(spec, operation)) {
      const payloadRef = components.messages[messageName]?.payload.$ref;
      const schemaName = payloadRef?.split('/').pop();
      if (!schemaName) continue;
      const schema = schemas[schemaName];
      const typeConst = isRecord(schema) && isRecord(schema.properties) ? schema.properties.type : undefined;
      const key =
        isRecord(typeConst) && typeof typeConst.const === 'string' ? typeConst.const : USER_AUDIO_KEY;
      byType.set(key, schemaName);
      if (!validators.has(schemaName)) {
        validators.set(schemaName, ajv.compile({ $ref: `${SPEC_ID}#/components/schemas/${schemaName}` }));
      }
    }
    return { byType };
  };
  // AsyncAPI 2: `publish` is what the server sends to the client, `subscribe` what it receives.
  const result: Compiled = {
    routes: { 'server-to-client': routeFor('publish'), 'client-to-server': routeFor('subscribe') },
    validators,
  };
  compiled.set(allowUnknownFields, result);
  return result;
}

/** The AsyncAPI payload schema a message routes to, or `undefined` if it routes nowhere. */
export function elevenLabsSchemaName(direction: ElevenLabsDirection, message: unknown): string | undefined {
  const { routes } = compile(false);
  if (!isRecord(message)) return undefined;
  if (direction === 'client-to-server' && USER_AUDIO_KEY in message && !('type' in message)) {
    return routes[direction].byType.get(USER_AUDIO_KEY);
  }
  return typeof message.type === 'string' ? routes[direction].byType.get(message.type) : undefined;
}

/**
 * Validates one message (a raw socket frame, text or bytes, or an already parsed object) against
 * the contract for `direction`. Returns the violations (empty when valid); never throws.
 */
export function validateElevenLabsMessage(
  direction: ElevenLabsDirection,
  data: unknown,
  options: ElevenLabsValidateOptions = {},
): Violation[] {
  const violation = (why: string): Violation[] => [{ direction, message: describeMessage(data), why }];
  const parsed = parseFrame(data);
  if ('error' in parsed) return violation(parsed.error);
  const message = parsed.value;
  if (!isRecord(message)) return violation('a message must be a JSON object');
  const { routes, validators } = compile(options.allowUnknownFields ?? false);
  let schemaName: string | undefined;
  if (direction === 'client-to-server' && USER_AUDIO_KEY in message && !('type' in message)) {
    schemaName = routes[direction].byType.get(USER_AUDIO_KEY);
  } else if (typeof message.type !== 'string') {
    return violation("no 'type' (only a user audio chunk may omit it)");
  } else {
    schemaName = routes[direction].byType.get(message.type);
    if (!schemaName) return violation(`unknown ${direction} message type '${message.type}'`);
  }
  const validate = schemaName ? validators.get(schemaName) : undefined;
  if (!validate) return violation('no schema for this message');
  if (validate(message)) return [];
  return violation(`${schemaName}: ${formatAjvErrors(validate.errors)}`);
}

/** A message the bridge (client) sends to ElevenLabs. */
export function validateElevenLabsClientMessage(
  data: unknown,
  options?: ElevenLabsValidateOptions,
): Violation[] {
  return validateElevenLabsMessage('client-to-server', data, options);
}

/** A message ElevenLabs (here: the simulator) sends to the bridge. */
export function validateElevenLabsServerMessage(
  data: unknown,
  options?: ElevenLabsValidateOptions,
): Violation[] {
  return validateElevenLabsMessage('server-to-client', data, options);
}
