import { z } from 'zod';

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

export type ParsedServerEvent =
  | { ok: true; event: ElevenLabsServerEvent | IgnoredEvent }
  | { ok: false; error: string };

const HANDLED = new Set(serverEventSchema.options.map((o) => o.shape.type.value));

/** Parses one server frame. Never throws. */
export function parseServerEvent(text: string): ParsedServerEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
  if (typeof type !== 'string') return { ok: false, error: 'no type' };
  if (!HANDLED.has(type as ElevenLabsServerEvent['type']))
    return { ok: true, event: { type: 'ignored', name: type } };
  const parsed = serverEventSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      error: `invalid ${type}: ${issue ? `${issue.path.join('.')} ${issue.message}` : ''}`,
    };
  }
  return { ok: true, event: parsed.data };
}

const signedUrlSchema = z.object({ signed_url: z.string().regex(/^wss?:\/\//) });

export function parseSignedUrlResponse(body: unknown): string | undefined {
  const parsed = signedUrlSchema.safeParse(body);
  return parsed.success ? parsed.data.signed_url : undefined;
}
