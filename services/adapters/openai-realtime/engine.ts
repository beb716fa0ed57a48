import { renderInstructions } from '../../core/call/persona.js';
import type {
  EngineCallContext,
  EngineCapabilities,
  EngineListener,
  EngineSession,
  VoiceEngine,
} from '../../core/ports/engine.js';
import { forCall } from '../../core/shared/logging.js';
import { type EngineSocketOptions, startEngineSocket } from '../ws/engine-socket.js';
import { parseServerEvent, type ServerEvent, sessionUpdate, type VadEagerness } from './codec.js';
import { OpenAiSession } from './session.js';

export interface OpenAiRealtimeEngineOptions {
  /** `wss://api.openai.com/v1/realtime` or a simulator's URL; `?model=` is added here. */
  url: string;
  apiKey: string;
  model: string;
  voice: string;
  vadEagerness: VadEagerness;
  /** A WebSocket ping this often once ready (default 2000 ms). */
  pingIntervalMs?: number;
  /**
   * No pong and no event for this long: the engine froze (`engine-stalled`, `keepalive`). Default
   * 5000 ms; checked at each ping, so a freeze is found within this plus one ping interval (7 s).
   */
  stallAfterMs?: number;
  /**
   * A `response.create` with no `response.created`, or a response that sends nothing (audio, its
   * other output, its end) for this long: the engine froze (`engine-stalled`, `response`). Default 5000 ms.
   */
  responseTimeoutMs?: number;
}

export const OPENAI_TIMING_DEFAULTS = {
  pingIntervalMs: 2000,
  stallAfterMs: 5000,
  // response.created comes within a few hundred ms of response.create, before any generation.
  responseTimeoutMs: 4000,
} as const;

export const OPENAI_CAPABILITIES: EngineCapabilities = {
  turnDetection: 'engine',
  bargeIn: 'bridge',
  truncateOnBargeIn: true,
  toolProtocol: 'function-call',
};

/** OpenAI Realtime (GA) as a voice engine: one WebSocket per call. */
export function createOpenAiRealtimeEngine(options: OpenAiRealtimeEngineOptions): VoiceEngine {
  return {
    name: 'openai',
    capabilities: OPENAI_CAPABILITIES,
    start: (context, listener, signal) => startSession(options, context, listener, signal),
  };
}

function realtimeUrl(base: string, model: string): string {
  const url = new URL(base);
  url.searchParams.set('model', model);
  return url.toString();
}

function startSession(
  options: OpenAiRealtimeEngineOptions,
  context: EngineCallContext,
  listener: EngineListener,
  signal: AbortSignal,
): Promise<EngineSession> {
  const log = forCall(context.callSid);
  const socketOptions: EngineSocketOptions = {
    engine: 'openai',
    vendor: 'OpenAI Realtime',
    messageWord: 'event',
    readyMessage: 'session.updated',
    url: realtimeUrl(options.url, options.model),
    // Only the bearer token: an `OpenAI-Beta` header would select the retired beta protocol.
    headers: { Authorization: `Bearer ${options.apiKey}` },
    signal,
    log,
    listener,
    keepalive: {
      pingIntervalMs: options.pingIntervalMs ?? OPENAI_TIMING_DEFAULTS.pingIntervalMs,
      stallAfterMs: options.stallAfterMs ?? OPENAI_TIMING_DEFAULTS.stallAfterMs,
    },
  };
  const responseTimeoutMs = options.responseTimeoutMs ?? OPENAI_TIMING_DEFAULTS.responseTimeoutMs;
  return startEngineSocket(socketOptions, (link) => {
    const session = new OpenAiSession(link, listener, log, responseTimeoutMs);
    let sessionUpdateSent = false;
    // The server's first event can arrive as soon as the socket opens.
    return (data) => {
      const parsed = parseServerEvent(data.toString());
      if (!parsed.ok) {
        link.fail(`unexpected server message: ${parsed.problem}`);
        return;
      }
      const event = parsed.message;
      if (event.type === 'session.created' && !sessionUpdateSent) {
        sessionUpdateSent = true;
        link.send(
          sessionUpdate({
            model: options.model,
            voice: options.voice,
            instructions: renderInstructions(context),
            vadEagerness: options.vadEagerness,
            tools: context.tools,
            transcriptionPrompt: transcriptionPrompt(context),
          }),
        );
      } else if (event.type === 'session.updated' && sessionUpdateSent) {
        const problem = formatProblem(event);
        if (problem) {
          link.fail(problem);
          return;
        }
        log.info('OpenAI Realtime session ready', { model: options.model });
        // Named before its first audio: the bridge sets up the playback for the engine it is told of.
        listener.engineChanged({ engine: 'openai', capabilities: OPENAI_CAPABILITIES, at: Date.now() });
        link.ready(session, session.onMessage);
        // The agent speaks first: its instructions say how to open the call.
        session.respond();
      } else if (event.type === 'error') {
        link.fail(`server error before ready: ${event.error.message}`);
      }
    };
  });
}

/** Guides the transcription of the caller's side: whom they called, and what callers say here. */
function transcriptionPrompt(context: EngineCallContext): string {
  return (
    `A phone call to ${context.businessName}, a business. The caller may give their name, spell an ` +
    'email address, and say phone numbers, dates and times.'
  );
}

/** session.updated reports the effective config: anything but μ-law both ways would garble the call. */
function formatProblem(event: Extract<ServerEvent, { type: 'session.updated' }>): string | undefined {
  const input = event.session.audio?.input?.format?.type;
  const output = event.session.audio?.output?.format?.type;
  for (const [side, format] of [
    ['input', input],
    ['output', output],
  ] as const) {
    if (format !== undefined && format !== 'audio/pcmu') {
      return `session.updated reports ${side} audio format ${format}, not audio/pcmu`;
    }
  }
  return undefined;
}
