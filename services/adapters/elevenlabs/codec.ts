import * as z from 'zod';
import { isBase64 } from '../../core/shared/audio.js';
import { type Decoded, decoded, jsonObject, undecodable } from '../../core/shared/decoded.js';
import { arrayEnd, integerEnd, numberEnd, stringEnd } from '../../core/shared/json-scan.js';

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

/** What the engine acts on: an event, or one it does not use (`ignored`). */
export type ServerMessage = ElevenLabsServerEvent | IgnoredEvent;

type AudioEvent = Extract<ElevenLabsServerEvent, { type: 'audio' }>;

const HANDLED = new Set(serverEventSchema.options.map((o) => o.shape.type.value));

/** Parses one server frame. Never throws. */
export function parseServerEvent(text: string): Decoded<ServerMessage> {
  const audio = scanAudio(text);
  return audio ? decoded(audio) : parseAny(text);
}

/** The full parser: every event, any field order; the reference the fast path must agree with. */
export function parseAny(text: string): Decoded<ServerMessage> {
  const json = jsonObject(text);
  if (!json.ok) return json;
  const raw = json.message;
  const type = (raw as { type?: unknown }).type;
  // Agent audio, the bulk of the traffic, is checked field by field; the rest by the schema.
  if (type === 'audio') return checkAudio(raw as { audio_event?: unknown });
  if (typeof type !== 'string') return undecodable('no type');
  if (!HANDLED.has(type as ElevenLabsServerEvent['type'])) return decoded({ type: 'ignored', name: type });
  const parsed = serverEventSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return undecodable(`invalid ${type}: ${issue ? `${issue.path.join('.')} ${issue.message}` : ''}`);
  }
  return decoded(parsed.data);
}

/**
 * The schema's rules for audio as plain field tests. The payload is checked to be base64 here,
 * once: it is spliced unescaped into Twilio's JSON.
 */
function checkAudio(raw: { audio_event?: unknown }): Decoded<AudioEvent> {
  const audio = raw.audio_event as { audio_base_64?: unknown; event_id?: unknown } | null | undefined;
  if (typeof audio !== 'object' || audio === null) return undecodable('invalid audio: audio_event missing');
  if (!Number.isInteger(audio.event_id))
    return undecodable('invalid audio: audio_event.event_id not an integer');
  const payload = audio.audio_base_64;
  if (typeof payload !== 'string' || !isBase64(payload))
    return undecodable('invalid audio: audio_event.audio_base_64 must be base64');
  return decoded({
    type: 'audio',
    audio_event: { audio_base_64: payload, event_id: audio.event_id as number },
  });
}

const AUDIO_HEAD = '{"type":"audio","audio_event":{"audio_base_64":"';
const AUDIO_EVENT_ID = '","event_id":';
const ALIGNMENT_CHARS = ',"alignment":{"chars":';
const ALIGNMENT_STARTS = ',"char_start_times_ms":';
const ALIGNMENT_DURATIONS = ',"char_durations_ms":';

/**
 * The audio fast path: an `audio` event exactly as ElevenLabs writes it (docs/protocols.md §1:
 * `type`, then `audio_event` with `audio_base_64`, `event_id` and, in practice, the `alignment`
 * arrays), read by position with no `JSON.parse`. Anything else (reordered, spaced, escaped, an
 * alignment of another shape) returns undefined and goes through the full parser.
 */
export function scanAudio(text: string): AudioEvent | undefined {
  if (!text.startsWith(AUDIO_HEAD)) return undefined;
  const payloadStart = AUDIO_HEAD.length;
  const payloadEnd = text.indexOf('"', payloadStart);
  if (payloadEnd < 0 || !text.startsWith(AUDIO_EVENT_ID, payloadEnd)) return undefined;
  const idStart = payloadEnd + AUDIO_EVENT_ID.length;
  let at = integerEnd(text, idStart);
  if (at < 0) return undefined;
  const idEnd = at;
  if (text.startsWith(ALIGNMENT_CHARS, at)) at = alignmentEnd(text, at);
  if (at < 0 || at !== text.length - 2 || !text.endsWith('}}')) return undefined;
  const payload = text.slice(payloadStart, payloadEnd);
  if (!isBase64(payload)) return undefined;
  return {
    type: 'audio',
    audio_event: { audio_base_64: payload, event_id: Number(text.slice(idStart, idEnd)) },
  };
}

/** After `,"alignment":{…}` at `start` in its documented shape (three arrays, in order), or -1. */
function alignmentEnd(text: string, start: number): number {
  let at = arrayEnd(text, start + ALIGNMENT_CHARS.length, stringEnd);
  if (at < 0 || !text.startsWith(ALIGNMENT_STARTS, at)) return -1;
  at = arrayEnd(text, at + ALIGNMENT_STARTS.length, numberEnd);
  if (at < 0 || !text.startsWith(ALIGNMENT_DURATIONS, at)) return -1;
  at = arrayEnd(text, at + ALIGNMENT_DURATIONS.length, numberEnd);
  return at >= 0 && text.charCodeAt(at) === 125 ? at + 1 : -1;
}

const signedUrlSchema = z.object({ signed_url: z.string().regex(/^wss?:\/\//) });

export function parseSignedUrlResponse(body: unknown): string | undefined {
  const parsed = signedUrlSchema.safeParse(body);
  return parsed.success ? parsed.data.signed_url : undefined;
}
