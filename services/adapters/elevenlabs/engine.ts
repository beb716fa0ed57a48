import WebSocket from 'ws';
import { forCall } from '../../core/logging.js';
import { dynamicVariables, handoverSummary } from '../../core/persona.js';
import {
  type EngineCallContext,
  type EngineCapabilities,
  type EngineListener,
  type EngineSession,
  EngineStartError,
  type VoiceEngine,
} from '../../core/voice-engine.js';
import {
  clientToolResultMessage,
  contextualUpdateMessage,
  initiationMessage,
  type ParsedServerEvent,
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
}

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
      return connect(signedUrl, context, listener, signal);
    },
  };
}

async function fetchSignedUrl(options: ElevenLabsEngineOptions, signal: AbortSignal): Promise<string> {
  const url = `${options.apiUrl}/v1/convai/conversation/get-signed-url?agent_id=${encodeURIComponent(options.agentId)}`;
  let response: Response;
  try {
    response = await fetch(url, { headers: { 'xi-api-key': options.apiKey }, signal });
  } catch (error) {
    throw new EngineStartError(
      'elevenlabs',
      signal.aborted
        ? 'timed out fetching the signed URL'
        : `signed URL request failed: ${(error as Error).message}`,
    );
  }
  if (!response.ok) {
    throw new EngineStartError(
      'elevenlabs',
      `signed URL request answered HTTP ${response.status}${signedUrlHint(response.status)}`,
    );
  }
  const signed = parseSignedUrlResponse(await response.json().catch(() => undefined));
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

function connect(
  signedUrl: string,
  context: EngineCallContext,
  listener: EngineListener,
  signal: AbortSignal,
): Promise<EngineSession> {
  const log = forCall(context.callSid);
  return new Promise<EngineSession>((resolve, reject) => {
    const socket = new WebSocket(signedUrl, { perMessageDeflate: false });
    let ready = false;
    let closedByUs = false;
    let lastInterruptionId = -1;
    let malformedLogged = false;

    const fail = (reason: string) => {
      if (ready) return;
      ready = true; // settles once: later events are ignored
      signal.removeEventListener('abort', onAbort);
      closedByUs = true;
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.terminate();
      reject(new EngineStartError('elevenlabs', reason));
    };
    const onAbort = () => fail('no conversation_initiation_metadata before the connect timeout');
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });

    const session: EngineSession = {
      sendCallerAudio: (payload) => {
        if (socket.readyState !== WebSocket.OPEN) return false;
        socket.send(userAudioMessage(payload));
        return true;
      },
      sendToolResult: (callId, result) => {
        if (socket.readyState === WebSocket.OPEN)
          socket.send(clientToolResultMessage(callId, result.text, !result.ok));
      },
      truncate: () => {
        // ElevenLabs tracks what was heard itself (agent_response_correction); nothing to send.
      },
      // Its own turn-taking model decides barge-ins and when to answer (`bargeIn: 'engine'`).
      cancelResponse: () => {},
      respond: () => {},
      instruct: (text) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(contextualUpdateMessage(text));
      },
      sendKeypress: (digit) => {
        if (socket.readyState === WebSocket.OPEN) {
          socket.send(contextualUpdateMessage(`The caller pressed ${digit} on their keypad.`));
        }
      },
      bufferedAmount: () => socket.bufferedAmount,
      close: () => {
        if (closedByUs) return;
        closedByUs = true;
        if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING)
          socket.close(1000);
      },
    };

    // Handlers are attached before `open`: ElevenLabs may send its metadata in the same packet as
    // the handshake (DESIGN §3, media path).
    socket.on('message', (data, isBinary) => {
      if (closedByUs && ready) return;
      const event: ParsedServerEvent = isBinary
        ? { type: 'malformed', error: 'binary frame' }
        : parseServerEvent(data.toString());
      if (event.type === 'malformed') {
        if (!malformedLogged) {
          malformedLogged = true;
          log.warn('Dropped a malformed ElevenLabs message (logged once per call)', { error: event.error });
        }
        return;
      }
      if (!ready) {
        if (event.type !== 'conversation_initiation_metadata') {
          if (event.type === 'error') fail(`error before ready: ${event.error_event?.message ?? 'unknown'}`);
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
          return fail(
            `agent audio is ${meta.user_input_audio_format} in / ${meta.agent_output_audio_format} out, not ulaw_8000`,
          );
        }
        ready = true;
        signal.removeEventListener('abort', onAbort);
        log.info('ElevenLabs conversation ready', { conversationId: meta.conversation_id });
        session.conversationId = meta.conversation_id;
        // Taking over mid-call: the conversation so far, as context the agent does not answer by itself.
        if (context.handover) socket.send(contextualUpdateMessage(handoverSummary(context.handover)));
        resolve(session);
        return;
      }
      switch (event.type) {
        case 'audio': {
          const { audio_base_64: payload, event_id: id } = event.audio_event;
          // Audio generated before the caller interrupted is stale: drop it (not newer than the interruption).
          if (id <= lastInterruptionId) return;
          listener.audio(payload);
          return;
        }
        case 'ping':
          socket.send(pongMessage(event.ping_event.event_id));
          return;
        case 'interruption':
          lastInterruptionId = event.interruption_event.event_id;
          listener.interruption();
          return;
        case 'user_transcript':
          // ElevenLabs sends the final transcript when its turn-taking model ends the caller's turn.
          listener.callerTurnEnded();
          if (event.user_transcription_event.user_transcript.trim()) {
            listener.transcript('caller', event.user_transcription_event.user_transcript);
          }
          return;
        case 'agent_response':
          listener.transcript('agent', event.agent_response_event.agent_response);
          return;
        case 'agent_response_correction':
          // Sent after an interruption: the reply as far as the caller heard it replaces the full one.
          listener.transcript('agent', event.agent_response_correction_event.corrected_agent_response, {
            interrupted: true,
            replacesLast: true,
          });
          return;
        case 'client_tool_call':
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
        default:
          return;
      }
    });
    socket.on('open', () => {
      socket.send(initiationMessage(dynamicVariables(context)));
    });
    socket.on('unexpected-response', (_request, response) => {
      fail(`socket refused with HTTP ${response.statusCode}`);
    });
    socket.on('error', (error) => {
      if (!ready) fail(`socket error: ${error.message}`);
      else log.warn('ElevenLabs socket error', { error: error.message });
    });
    socket.on('close', (code, reason) => {
      if (!ready) return fail(`socket closed before ready (code ${code})`);
      if (closedByUs) return;
      closedByUs = true;
      listener.ended({ kind: 'engine-closed', code, detail: reason.toString() || undefined });
    });
  });
}
