import WebSocket from 'ws';
import { dynamicVariables, handoverSummary } from '../../core/call/persona.js';
import {
  type EngineCallContext,
  type EngineCapabilities,
  type EngineListener,
  type EngineSession,
  EngineStartError,
  type VoiceEngine,
} from '../../core/ports/engine.js';
import { base64ByteLength } from '../../core/shared/audio.js';
import { undecodable } from '../../core/shared/decoded.js';
import { forCall } from '../../core/shared/logging.js';
import { getJson, type JsonAnswer } from '../http/get-json.js';
import { type EngineSocketOptions, startEngineSocket } from '../ws/engine-socket.js';
import {
  clientToolResultMessage,
  contextualUpdateMessage,
  initiationMessage,
  parseServerEvent,
  parseSignedUrlResponse,
  pongMessage,
  REQUIRED_AUDIO_FORMAT,
  userAudioMessage,
} from './codec.js';

export interface ElevenLabsEngineOptions {
  apiKey: string;
  agentId: string;
  /** Base of the REST API (default https://api.elevenlabs.io); the signed URL it returns is used as is. */
  apiUrl: string;
  /** A WebSocket ping of ours this often once ready (default 2000 ms); the server's transport answers it. */
  pingIntervalMs?: number;
  /**
   * No pong and no message for this long: the engine froze (`engine-stalled`, `keepalive`). Default
   * 5000 ms; checked at each ping, so a freeze is found within this plus one ping interval (7 s).
   */
  stallAfterMs?: number;
  /**
   * ElevenLabs' own `ping`s: once three have come, their interval is known (the longest gap seen);
   * none for this many intervals (and at least `stallAfterMs`) means its conversation loop froze
   * although the socket answers (`keepalive`). Default 3.
   */
  missedPings?: number;
  /**
   * After the caller's turn ends (`user_transcript`) or a tool result is sent, the agent must answer
   * (audio, `agent_response`, a tool call…) within this long, counted from when its audio already
   * sent has played; otherwise its turn-taking or LLM froze (`response`). Signs that it is still
   * listening or thinking (`tentative_user_transcript`, `agent_typing`,
   * `internal_tentative_agent_response`) give it the time again. Default 6000 ms (its LLM itself
   * times out at 20 s).
   */
  replyTimeoutMs?: number;
}

export const ELEVENLABS_TIMING_DEFAULTS = {
  pingIntervalMs: 2000,
  stallAfterMs: 5000,
  missedPings: 3,
  replyTimeoutMs: 6000,
} as const;

/** Events of the agent answering: the reply watchdog is satisfied. */
const AGENT_ANSWERS: ReadonlySet<string> = new Set([
  'agent_tool_request',
  'agent_tool_response',
  'agent_tool_response_full_payload',
  'agent_chat_response_part',
  'mcp_tool_call',
]);

/** Events of the engine still listening or thinking: the reply watchdog starts again. */
const STILL_WORKING: ReadonlySet<string> = new Set([
  'tentative_user_transcript',
  'agent_typing',
  'internal_tentative_agent_response',
]);

/** μ-law 8 kHz: 8 bytes a millisecond (ElevenLabs `ulaw_8000`, checked at the start). */
const ULAW_BYTES_PER_MS = 8;

const SETUP_HINT =
  "set the agent's audio to μ-law 8000 Hz for both input and output (run `npm run agent:sync`, " +
  'or in the dashboard: Voice → output format μ-law 8000 Hz, Advanced → input format μ-law 8000 Hz)';

const ELEVENLABS_CAPABILITIES: EngineCapabilities = {
  turnDetection: 'engine',
  bargeIn: 'engine',
  truncateOnBargeIn: false,
  toolProtocol: 'client-tool',
};

/**
 * ElevenLabs Conversational AI as a voice engine. ElevenLabs' turn-taking model decides when the
 * caller has finished and when they barge in; we forward audio untouched both ways, answer pings at
 * once, and run client tools through the bridge.
 */
export function createElevenLabsEngine(options: ElevenLabsEngineOptions): VoiceEngine {
  return {
    name: 'elevenlabs',
    capabilities: ELEVENLABS_CAPABILITIES,
    async start(context, listener, signal) {
      const signedUrl = await fetchSignedUrl(options, signal);
      return connect(signedUrl, context, listener, signal, {
        pingIntervalMs: options.pingIntervalMs ?? ELEVENLABS_TIMING_DEFAULTS.pingIntervalMs,
        stallAfterMs: options.stallAfterMs ?? ELEVENLABS_TIMING_DEFAULTS.stallAfterMs,
        missedPings: options.missedPings ?? ELEVENLABS_TIMING_DEFAULTS.missedPings,
        replyTimeoutMs: options.replyTimeoutMs ?? ELEVENLABS_TIMING_DEFAULTS.replyTimeoutMs,
      });
    },
  };
}

async function fetchSignedUrl(options: ElevenLabsEngineOptions, signal: AbortSignal): Promise<string> {
  const url = `${options.apiUrl}/v1/convai/conversation/get-signed-url?agent_id=${encodeURIComponent(options.agentId)}`;
  let response: JsonAnswer;
  try {
    response = await getJson(url, { 'xi-api-key': options.apiKey }, signal);
  } catch (error) {
    throw new EngineStartError(
      'elevenlabs',
      signal.aborted
        ? 'timed out fetching the signed URL'
        : `signed URL request failed: ${(error as Error).message}`,
    );
  }
  if (response.status < 200 || response.status > 299) {
    throw new EngineStartError(
      'elevenlabs',
      `signed URL request answered HTTP ${response.status}${signedUrlHint(response.status)}`,
    );
  }
  const signed = parseSignedUrlResponse(response.body);
  if (!signed) throw new EngineStartError('elevenlabs', 'signed URL response had no signed_url');
  return signed;
}

/** What an operator should check when get-signed-url refuses. */
function signedUrlHint(status: number): string {
  if (status === 401) return ' (check ELEVENLABS_API_KEY)';
  if (status === 404) return ' (check ELEVENLABS_AGENT_ID)';
  if (status === 429 || status >= 500) return ' (ElevenLabs is unavailable or rate-limiting)';
  return '';
}

type Timings = Required<
  Pick<ElevenLabsEngineOptions, 'pingIntervalMs' | 'stallAfterMs' | 'missedPings' | 'replyTimeoutMs'>
>;

function connect(
  signedUrl: string,
  context: EngineCallContext,
  listener: EngineListener,
  signal: AbortSignal,
  timings: Timings,
): Promise<EngineSession> {
  const log = forCall(context.callSid);
  // ElevenLabs' own pings: the last three, and the longest gap between two.
  const appPings: number[] = [];
  let longestPingGapMs = 0;
  const pingsStopped = (now: number): string | undefined => {
    const lastPing = appPings.at(-1);
    if (appPings.length < 3 || lastPing === undefined) return undefined;
    const limitMs = Math.max(timings.missedPings * longestPingGapMs, timings.stallAfterMs);
    const sincePingMs = now - lastPing;
    if (sincePingMs < limitMs) return undefined;
    return `its pings stopped: none for ${sincePingMs} ms (they came every ${longestPingGapMs} ms at most)`;
  };
  const options: EngineSocketOptions = {
    engine: 'elevenlabs',
    vendor: 'ElevenLabs',
    messageWord: 'message',
    readyMessage: 'conversation_initiation_metadata',
    url: signedUrl,
    signal,
    log,
    listener,
    keepalive: timings,
    vendorStall: pingsStopped,
  };
  return startEngineSocket(options, (link) => {
    const socket = link.socket;
    let ready = false;
    let lastInterruptionId = -1;
    let malformedLogged = false;
    /** When the agent audio sent so far has played out (it arrives faster than real time). */
    let agentAudioEndsAt = 0;
    const replyWatch = link.watchdog(() =>
      link.stall('response', `no agent reply within ${timings.replyTimeoutMs} ms of the caller's turn`),
    );

    /** The agent owes the caller an answer: it must come within the reply timeout of its audio playing out. */
    const awaitReply = () => {
      if (link.closed) return;
      const playingMs = Math.max(0, agentAudioEndsAt - Date.now());
      replyWatch.arm(playingMs + timings.replyTimeoutMs);
    };

    const session: EngineSession = {
      sendCallerAudio: (payload) => {
        if (socket.readyState !== WebSocket.OPEN) return false;
        socket.send(userAudioMessage(payload));
        return true;
      },
      sendToolResult: (callId, result) => {
        if (link.closed || !link.send(clientToolResultMessage(callId, result.text, !result.ok))) return;
        // The agent speaks again with the result.
        awaitReply();
      },
      truncate: () => {
        // ElevenLabs tracks what was heard itself (agent_response_correction); nothing to send.
      },
      // Its own turn-taking model decides barge-ins and when to answer (`bargeIn: 'engine'`).
      cancelResponse: () => {},
      respond: () => {},
      instruct: (text) => {
        link.send(contextualUpdateMessage(text));
      },
      sendKeypress: (digit) => {
        link.send(contextualUpdateMessage(`The caller pressed ${digit} on their keypad.`));
      },
      bufferedAmount: () => socket.bufferedAmount,
      close: () => link.close(),
    };

    socket.on('open', () => {
      socket.send(initiationMessage(dynamicVariables(context)));
    });

    // One handler before and after ready: ElevenLabs may send its metadata in the same packet as
    // the handshake (DESIGN §3, media path).
    const onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
      const parsed = isBinary ? undecodable('binary frame') : parseServerEvent(data.toString());
      if (!parsed.ok) {
        if (!malformedLogged) {
          malformedLogged = true;
          log.warn('Dropped a malformed ElevenLabs message (logged once per call)', {
            error: parsed.problem,
          });
        }
        return;
      }
      const event = parsed.message;
      if (!ready) {
        if (event.type !== 'conversation_initiation_metadata') {
          if (event.type === 'error')
            link.fail(`error before ready: ${event.error_event?.message ?? 'unknown'}`);
          return; // the protocol sends metadata first; anything else before it is noise
        }
        const meta = event.conversation_initiation_metadata_event;
        if (
          meta.agent_output_audio_format !== REQUIRED_AUDIO_FORMAT ||
          meta.user_input_audio_format !== REQUIRED_AUDIO_FORMAT
        ) {
          log.error(`ElevenLabs agent audio formats are wrong: ${SETUP_HINT}`, {
            output: meta.agent_output_audio_format,
            input: meta.user_input_audio_format,
          });
          link.fail(
            `agent audio is ${meta.user_input_audio_format} in / ${meta.agent_output_audio_format} out, not ulaw_8000`,
          );
          return;
        }
        ready = true;
        log.info('ElevenLabs conversation ready', { conversationId: meta.conversation_id });
        session.conversationId = meta.conversation_id;
        // Named before its first audio: the bridge sets up the playback for the engine it is told of.
        listener.engineChanged({
          engine: 'elevenlabs',
          capabilities: ELEVENLABS_CAPABILITIES,
          at: Date.now(),
          conversationId: meta.conversation_id,
        });
        // Taking over mid-call: the conversation so far, as context the agent does not answer by itself.
        if (context.handover) socket.send(contextualUpdateMessage(handoverSummary(context.handover)));
        link.ready(session, onMessage);
        return;
      }
      switch (event.type) {
        case 'audio': {
          const { audio_base_64: payload, event_id: id } = event.audio_event;
          // Audio generated before the caller interrupted is stale: drop it (not newer than the interruption).
          if (id <= lastInterruptionId) return;
          replyWatch.cancel();
          // The clock read for this message (once per agent frame, not twice).
          agentAudioEndsAt =
            Math.max(agentAudioEndsAt, link.lastHeardAt) + base64ByteLength(payload) / ULAW_BYTES_PER_MS;
          listener.audio(payload);
          return;
        }
        case 'ping': {
          socket.send(pongMessage(event.ping_event.event_id));
          const now = Date.now();
          const previous = appPings.at(-1);
          if (previous !== undefined) longestPingGapMs = Math.max(longestPingGapMs, now - previous);
          appPings.push(now);
          if (appPings.length > 3) appPings.shift();
          return;
        }
        case 'interruption':
          lastInterruptionId = event.interruption_event.event_id;
          // The caller spoke over the agent: what was queued to play is cleared.
          agentAudioEndsAt = Date.now();
          replyWatch.cancel();
          listener.interruption();
          return;
        case 'user_transcript':
          // ElevenLabs sends the final transcript when its turn-taking model ends the caller's turn.
          awaitReply();
          listener.callerTurnEnded();
          if (event.user_transcription_event.user_transcript.trim()) {
            listener.transcript('caller', event.user_transcription_event.user_transcript);
          }
          return;
        case 'agent_response':
          replyWatch.cancel();
          listener.transcript('agent', event.agent_response_event.agent_response);
          return;
        case 'agent_response_correction':
          replyWatch.cancel();
          // Sent after an interruption: the reply as far as the caller heard it replaces the full one.
          listener.transcript('agent', event.agent_response_correction_event.corrected_agent_response, {
            interrupted: true,
            replacesLast: true,
          });
          return;
        case 'client_tool_call':
          // The agent waits for the result (`sendToolResult` starts the wait for its reply).
          replyWatch.cancel();
          listener.toolCall({
            callId: event.client_tool_call.tool_call_id,
            name: event.client_tool_call.tool_name,
            args: event.client_tool_call.parameters,
          });
          return;
        case 'error':
          log.error('ElevenLabs reported an error', {
            code: event.error_event?.code,
            errorType: event.error_event?.error_type,
            message: event.error_event?.message,
          });
          return;
        case 'ignored':
          if (AGENT_ANSWERS.has(event.name)) replyWatch.cancel();
          else if (replyWatch.armed && STILL_WORKING.has(event.name)) awaitReply();
          return;
        default:
          return;
      }
    };
    return onMessage;
  });
}
