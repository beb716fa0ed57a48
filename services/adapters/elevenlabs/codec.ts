import * as z from 'zod';
import { isBase64 } from '../../core/shared/audio.js';

/**
 * Pure codec for the ElevenLabs Conversational AI WebSocket (docs/protocols.md §1, schema
 * `agent.asyncapi.yaml`). Messages we send are built here; messages we receive are validated here.
 * Caller audio is spliced into `{"user_audio_chunk": …}` unchanged (no `type` field, by design).
 */

export const REQUIRED_AUDIO_FORMAT = 'ulaw_8000';

export function userAudioMessage(payload: string): string {
  return `{"user_audio_chunk":"${payload}"}`;
}

export function pongMessage(eventId: number): string {
  return JSON.stringify({ type: 'pong', event_id: eventId });
}

export function initiationMessage(dynamicVariables: Record<string, string>): string {
  return JSON.stringify({ type: 'conversation_initiation_client_data', dynamic_variables: dynamicVariables });
}

export function clientToolResultMessage(toolCallId: string, result: string, isError: boolean): string {
  return JSON.stringify({ type: 'client_tool_result', tool_call_id: toolCallId, result, is_error: isError });
}

/** A keypad press has no message of its own in the protocol: it is context for the agent. */
export function contextualUpdateMessage(text: string): string {
  return JSON.stringify({ type: 'contextual_update', text });
}

const eventId = z.number().int();

const serverEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('conversation_initiation_metadata'),
    conversation_initiation_metadata_event: z.object({
      conversation_id: z.string(),
      agent_output_audio_format: z.string(),
      user_input_audio_format: z.string(),
    }),
  }),
  z.object({
    type: z.literal('audio'),
    audio_event: z.object({ audio_base_64: z.string(), event_id: eventId }),
  }),
  z.object({ type: z.literal('interruption'), interruption_event: z.object({ event_id: eventId }) }),
  z.object({
    type: z.literal('ping'),
    ping_event: z.object({ event_id: eventId, ping_ms: z.number().nullish() }),
  }),
  z.object({
    type: z.literal('user_transcript'),
    user_transcription_event: z.object({ user_transcript: z.string(), event_id: eventId.optional() }),
  }),
  z.object({
    type: z.literal('agent_response'),
    agent_response_event: z.object({ agent_response: z.string(), event_id: eventId.optional() }),
  }),
  z.object({
    type: z.literal('agent_response_correction'),
    agent_response_correction_event: z.object({
      original_agent_response: z.string(),
      corrected_agent_response: z.string(),
    }),
  }),
  z.object({
    type: z.literal('client_tool_call'),
    client_tool_call: z.object({
      tool_name: z.string(),
      tool_call_id: z.string(),
      parameters: z.record(z.string(), z.unknown()),
    }),
  }),
  z.object({
    type: z.literal('error'),
    error_event: z
      .object({
        code: z.number().optional(),
        message: z.string().nullish(),
        error_type: z.string().nullish(),
        reason: z.string().nullish(),
      })
      .optional(),
  }),
]);

export type ElevenLabsServerEvent = z.infer<typeof serverEventSchema>;

/** Server events the bridge does not act on (VAD scores, tentative transcripts, internal events…). */
export type IgnoredEvent = { type: 'ignored'; name: string };

/** A frame that breaks the protocol: dropped (and logged once per call) by the engine. */
export type MalformedEvent = { type: 'malformed'; error: string };

/** The result is the event itself (no wrapper): agent audio costs `JSON.parse` and nothing more. */
export type ParsedServerEvent = ElevenLabsServerEvent | IgnoredEvent | MalformedEvent;

type AudioEvent = Extract<ElevenLabsServerEvent, { type: 'audio' }>;

const HANDLED = new Set(serverEventSchema.options.map((o) => o.shape.type.value));

/** Parses one server frame. Never throws. */
export function parseServerEvent(text: string): ParsedServerEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return malformed('not JSON');
  }
  if (typeof raw !== 'object' || raw === null) return malformed('not an object');
  const type = (raw as { type?: unknown }).type;
  // Agent audio, the bulk of the traffic, is checked field by field; the rest by the schema.
  if (type === 'audio') return checkAudio(raw as { audio_event?: unknown });
  if (typeof type !== 'string') return malformed('no type');
  if (!HANDLED.has(type as ElevenLabsServerEvent['type'])) return { type: 'ignored', name: type };
  const parsed = serverEventSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return malformed(`invalid ${type}: ${issue ? `${issue.path.join('.')} ${issue.message}` : ''}`);
  }
  return parsed.data;
}

/**
 * The audio fast path: the schema's rules as plain field tests, and the parsed object passed on as
 * is. The payload is checked to be base64 here, once: it is spliced unescaped into Twilio's JSON.
 */
function checkAudio(raw: { audio_event?: unknown }): AudioEvent | MalformedEvent {
  const audio = raw.audio_event as { audio_base_64?: unknown; event_id?: unknown } | null | undefined;
  if (typeof audio !== 'object' || audio === null) return malformed('invalid audio: audio_event missing');
  if (!Number.isInteger(audio.event_id))
    return malformed('invalid audio: audio_event.event_id not an integer');
  const payload = audio.audio_base_64;
  if (typeof payload !== 'string' || !isBase64(payload))
    return malformed('invalid audio: audio_event.audio_base_64 must be base64');
  return raw as AudioEvent;
}

function malformed(error: string): MalformedEvent {
  return { type: 'malformed', error };
}

const signedUrlSchema = z.object({ signed_url: z.string().regex(/^wss?:\/\//) });

export function parseSignedUrlResponse(body: unknown): string | undefined {
  const parsed = signedUrlSchema.safeParse(body);
  return parsed.success ? parsed.data.signed_url : undefined;
}
