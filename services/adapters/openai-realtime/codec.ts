import * as z from 'zod';
import type { ToolDefinition, ToolResult } from '../../core/ports/tool-calls.js';
import { isBase64 } from '../../core/shared/audio.js';
import { type Decoded, decoded, jsonObject, undecodable } from '../../core/shared/decoded.js';
import type { EngineUsage } from '../../core/shared/engines.js';
import { integerEnd, plainStringEnd } from '../../core/shared/json-scan.js';

/**
 * The OpenAI Realtime wire format (GA protocol, docs/protocols.md §2): pure builders for the client
 * events we send and a parser for the server events we use. GA only: no `OpenAI-Beta` header, a
 * nested `session` with `type: "realtime"`, audio formats as objects, `response.output_audio.*`.
 */

export type VadEagerness = 'low' | 'medium' | 'high' | 'auto';

export interface SessionSettings {
  model: string;
  voice: string;
  instructions: string;
  vadEagerness: VadEagerness;
  tools: ToolDefinition[];
  /** What the call is about, to guide the transcription of the caller (names, numbers, emails). */
  transcriptionPrompt?: string;
}

/** The transcription model for the caller's side (reported as caller transcript turns). */
export const TRANSCRIPTION_MODEL = 'gpt-4o-mini-transcribe';

/** μ-law 8 kHz, Twilio's format, so audio passes through untouched both ways. */
const PCMU = { type: 'audio/pcmu' } as const;

export function sessionUpdate(settings: SessionSettings): string {
  return JSON.stringify({
    type: 'session.update',
    session: {
      type: 'realtime',
      model: settings.model,
      output_modalities: ['audio'],
      instructions: settings.instructions,
      audio: {
        input: {
          format: PCMU,
          // Semantic VAD ends the caller's turn on meaning, not only on silence, so a thinking pause
          // does not cut them off; `low` eagerness waits longest (at most about 8 s). The server
          // neither stops its speech nor answers on its own: the bridge tells a barge-in from a
          // backchannel ("mm-hmm") and asks for the answer (`response.create`) only after a real turn
          // (BARGE_IN_MIN_MS). The GA schema's semantic VAD takes only `eagerness`: `threshold`,
          // `prefix_padding_ms`, `silence_duration_ms` and `idle_timeout_ms` belong to `server_vad`
          // (silence-based, which cuts a caller off at a thinking pause), so none is sent.
          turn_detection: {
            type: 'semantic_vad',
            eagerness: settings.vadEagerness,
            create_response: false,
            interrupt_response: false,
          },
          // The caller's side as text (caller turns on the record and in a failover's handover). The
          // prompt says what the call is about, so names, numbers and email addresses come out right.
          transcription: {
            model: TRANSCRIPTION_MODEL,
            ...(settings.transcriptionPrompt ? { prompt: settings.transcriptionPrompt } : {}),
          },
          // A phone handset is a close-talking microphone: near-field noise reduction filters line
          // and background noise before VAD and the model hear it, so fewer noises start a false
          // `speech_started` (a false barge-in) and the model hears the caller better.
          noise_reduction: { type: 'near_field' },
        },
        output: { format: PCMU, voice: settings.voice },
      },
      tools: settings.tools.map((tool) => ({
        type: 'function',
        name: tool.name,
        description: tool.description,
        parameters: tool.parameters,
      })),
      tool_choice: 'auto',
    },
  });
}

const APPEND_PREFIX = '{"type":"input_audio_buffer.append","audio":"';
const APPEND_SUFFIX = '"}';

/**
 * Caller audio, built by concatenation so the payload is the identical string Twilio sent (no
 * JSON re-encoding on the per-frame path). The payload is base64 (validated by the bridge's Twilio
 * codec), whose alphabet needs no JSON escaping.
 */
export function inputAudioAppend(payload: string): string {
  return APPEND_PREFIX + payload + APPEND_SUFFIX;
}

/** Tells the server how much of an assistant item the caller heard (inclusive, whole ms, ≥ 0). */
export function itemTruncate(itemId: string, audioEndMs: number): string {
  const ms = Number.isFinite(audioEndMs) ? Math.max(0, Math.floor(audioEndMs)) : 0;
  return JSON.stringify({
    type: 'conversation.item.truncate',
    item_id: itemId,
    content_index: 0,
    audio_end_ms: ms,
  });
}

/** A tool's result as the model reads it; a failure is marked so the model knows it did not work. */
export function toolOutputText(result: ToolResult): string {
  return result.ok ? result.text : `Error: the tool failed: ${result.text}`;
}

export function functionCallOutput(callId: string, result: ToolResult): string {
  return JSON.stringify({
    type: 'conversation.item.create',
    item: { type: 'function_call_output', call_id: callId, output: toolOutputText(result) },
  });
}

/** Context for the model without asking it to answer (a keypad press has no audio of its own). */
export function userContextItem(text: string): string {
  return JSON.stringify({
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
  });
}

/** An instruction from the system (not the caller), seen by the model at its next response. */
export function systemMessageItem(text: string): string {
  return JSON.stringify({
    type: 'conversation.item.create',
    item: { type: 'message', role: 'system', content: [{ type: 'input_text', text }] },
  });
}

/**
 * Asks for a response. `eventId` (optional on every client event) comes back as `error.event_id`
 * when the server refuses this event, which is how a refused `response.create` is told apart.
 */
export function responseCreate(eventId?: string): string {
  return JSON.stringify(
    eventId ? { type: 'response.create', event_id: eventId } : { type: 'response.create' },
  );
}

/** Cancels the response in progress (`responseId`: that one only, if it is still the active one). */
export function responseCancel(responseId?: string): string {
  return JSON.stringify(
    responseId ? { type: 'response.cancel', response_id: responseId } : { type: 'response.cancel' },
  );
}

/** `response.done` usage, as the call record keeps it (absent fields count 0). */
export const usageSchema = z.object({
  input_token_details: z
    .object({
      cached_tokens: z.number().optional(),
      text_tokens: z.number().optional(),
      audio_tokens: z.number().optional(),
    })
    .optional(),
  output_token_details: z
    .object({ text_tokens: z.number().optional(), audio_tokens: z.number().optional() })
    .optional(),
});

export function engineUsage(usage: z.infer<typeof usageSchema>): EngineUsage {
  return {
    inputTextTokens: usage.input_token_details?.text_tokens ?? 0,
    inputAudioTokens: usage.input_token_details?.audio_tokens ?? 0,
    cachedInputTokens: usage.input_token_details?.cached_tokens ?? 0,
    outputTextTokens: usage.output_token_details?.text_tokens ?? 0,
    outputAudioTokens: usage.output_token_details?.audio_tokens ?? 0,
  };
}

// ---------- server events ----------

/** A function call as it appears in `response.done` output. */
export const functionCallItem = z.object({
  type: z.literal('function_call'),
  call_id: z.string(),
  name: z.string(),
  arguments: z.string(),
});

const serverEvents = z.discriminatedUnion('type', [
  z.object({ type: z.literal('session.created'), session: z.looseObject({}) }),
  z.object({
    type: z.literal('session.updated'),
    session: z.looseObject({
      audio: z
        .looseObject({
          input: z.looseObject({ format: z.looseObject({ type: z.string() }).optional() }).optional(),
          output: z.looseObject({ format: z.looseObject({ type: z.string() }).optional() }).optional(),
        })
        .optional(),
    }),
  }),
  z.object({ type: z.literal('response.output_audio.delta'), item_id: z.string(), delta: z.string() }),
  z.object({
    type: z.literal('response.output_audio_transcript.done'),
    item_id: z.string(),
    transcript: z.string(),
  }),
  z.object({
    type: z.literal('conversation.item.input_audio_transcription.completed'),
    item_id: z.string(),
    transcript: z.string(),
  }),
  z.object({ type: z.literal('input_audio_buffer.speech_started'), item_id: z.string().optional() }),
  z.object({ type: z.literal('input_audio_buffer.speech_stopped'), item_id: z.string().optional() }),
  z.object({
    type: z.literal('response.function_call_arguments.done'),
    call_id: z.string(),
    name: z.string(),
    arguments: z.string(),
  }),
  z.object({ type: z.literal('response.created'), response: z.looseObject({ id: z.string().optional() }) }),
  z.object({
    type: z.literal('response.done'),
    response: z.object({
      id: z.string().optional(),
      status: z.string().optional(),
      status_details: z.unknown().optional(),
      // Items are checked one by one where used: only function calls matter, others pass.
      output: z.array(z.unknown()).optional(),
      usage: usageSchema.nullish(),
    }),
  }),
  z.object({
    type: z.literal('error'),
    error: z.object({
      type: z.string(),
      message: z.string(),
      code: z.string().nullish(),
      param: z.string().nullish(),
      event_id: z.string().nullish(),
    }),
  }),
]);

export type ServerEvent = z.infer<typeof serverEvents>;
export type ServerEventType = ServerEvent['type'];
const USED_TYPES = new Set<string>(serverEvents.options.map((option) => option.shape.type.value));

/** Beta wire names: if one arrives, the server speaks the old protocol and our audio is lost. */
export const BETA_SERVER_EVENT_TYPES: ReadonlySet<string> = new Set([
  'response.audio.delta',
  'response.audio.done',
  'response.audio_transcript.delta',
  'response.audio_transcript.done',
  'response.text.delta',
  'response.text.done',
]);

/** What the engine acts on: an event it uses, or one it does not (`ignored`, by its wire name). */
export type ServerMessage = ServerEvent | { type: 'ignored'; name: string };

type AudioDelta = Extract<ServerEvent, { type: 'response.output_audio.delta' }>;

/**
 * Parses one server frame. Never throws. Audio deltas, the bulk of the traffic, skip zod: read by
 * position when in their documented shape, else by plain field tests (the delta base64, checked
 * once, and the same `delta` string passed on). Events we do not use are `ignored`; every other
 * event is checked by its schema.
 */
export function parseServerEvent(data: string): Decoded<ServerMessage> {
  const delta = scanAudioDelta(data);
  return delta ? decoded(delta) : parseAny(data);
}

/** The full parser: every event, any field order; the reference the fast path must agree with. */
export function parseAny(data: string): Decoded<ServerMessage> {
  const json = jsonObject(data);
  if (!json.ok) return json;
  const raw = json.message;
  const record = raw as { type?: unknown; delta?: unknown; item_id?: unknown };
  const type = record.type;
  if (type === 'response.output_audio.delta') {
    const { delta, item_id: itemId } = record;
    if (typeof itemId !== 'string') return undecodable('audio delta without item_id');
    // Checked here, once: the delta is spliced unescaped into Twilio's JSON.
    if (typeof delta !== 'string' || !isBase64(delta)) return undecodable('audio delta is not base64');
    return decoded({ type, item_id: itemId, delta });
  }
  if (typeof type !== 'string') return undecodable('no type');
  if (!USED_TYPES.has(type)) return decoded({ type: 'ignored', name: type });
  const parsed = serverEvents.safeParse(raw);
  if (!parsed.success) return undecodable(`${type}: ${z.prettifyError(parsed.error)}`);
  return decoded(parsed.data);
}

const DELTA_HEAD = '{"type":"response.output_audio.delta","event_id":"';
const DELTA_RESPONSE = ',"response_id":"';
const DELTA_ITEM = ',"item_id":"';
const DELTA_OUTPUT_INDEX = ',"output_index":';
const DELTA_CONTENT_INDEX = ',"content_index":';
const DELTA_AUDIO = ',"delta":"';

/**
 * The audio fast path: a `response.output_audio.delta` exactly as OpenAI writes it
 * (docs/protocols.md §2: `type`, `event_id`, `response_id`, `item_id`, `output_index`,
 * `content_index`, `delta`), read by position with no `JSON.parse`. Anything else (reordered,
 * spaced, an id with an escape) returns undefined and goes through the full parser.
 */
export function scanAudioDelta(text: string): AudioDelta | undefined {
  if (!text.startsWith(DELTA_HEAD)) return undefined;
  let at = plainStringEnd(text, DELTA_HEAD.length);
  if (at < 0 || !text.startsWith(DELTA_RESPONSE, at + 1)) return undefined;
  at = plainStringEnd(text, at + 1 + DELTA_RESPONSE.length);
  if (at < 0 || !text.startsWith(DELTA_ITEM, at + 1)) return undefined;
  const itemStart = at + 1 + DELTA_ITEM.length;
  const itemEnd = plainStringEnd(text, itemStart);
  if (itemEnd < 0 || !text.startsWith(DELTA_OUTPUT_INDEX, itemEnd + 1)) return undefined;
  at = integerEnd(text, itemEnd + 1 + DELTA_OUTPUT_INDEX.length);
  if (at < 0 || !text.startsWith(DELTA_CONTENT_INDEX, at)) return undefined;
  at = integerEnd(text, at + DELTA_CONTENT_INDEX.length);
  if (at < 0 || !text.startsWith(DELTA_AUDIO, at)) return undefined;
  const deltaStart = at + DELTA_AUDIO.length;
  const deltaEnd = text.length - 2;
  if (deltaEnd <= deltaStart || !text.endsWith('"}')) return undefined;
  const delta = text.slice(deltaStart, deltaEnd);
  if (!isBase64(delta)) return undefined;
  return { type: 'response.output_audio.delta', item_id: text.slice(itemStart, itemEnd), delta };
}

/** Tool arguments arrive as a JSON string; an unparsable one is passed on raw for the tool to reject. */
export function parseToolArguments(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}
