import WebSocket from 'ws';
import { forCall } from '../../core/logging.js';
import { renderInstructions } from '../../core/persona.js';
import type { ToolResult } from '../../core/tool-types.js';
import {
  type EngineCallContext,
  type EngineCapabilities,
  type EngineListener,
  type EngineSession,
  EngineStartError,
  type VoiceEngine,
} from '../../core/voice-engine.js';
import {
  BETA_SERVER_EVENT_TYPES,
  engineUsage,
  functionCallItem,
  functionCallOutput,
  inputAudioAppend,
  itemTruncate,
  parseServerEvent,
  parseToolArguments,
  responseCancel,
  responseCreate,
  type ServerEvent,
  sessionUpdate,
  systemMessageItem,
  userContextItem,
  type VadEagerness,
} from './codec.js';

export interface OpenAiRealtimeEngineOptions {
  /** `wss://api.openai.com/v1/realtime` or a simulator's URL; `?model=` is added here. */
  url: string;
  apiKey: string;
  model: string;
  voice: string;
  vadEagerness: VadEagerness;
}

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
  if (signal.aborted) return Promise.reject(new EngineStartError('openai', 'aborted before connecting'));

  let socket: WebSocket;
  try {
    // Only the bearer token: an `OpenAI-Beta` header would select the retired beta protocol.
    socket = new WebSocket(realtimeUrl(options.url, options.model), {
      headers: { Authorization: `Bearer ${options.apiKey}` },
      // No per-message deflate: base64 audio barely compresses, and each socket's zlib state costs memory.
      perMessageDeflate: false,
    });
  } catch (error) {
    return Promise.reject(new EngineStartError('openai', `cannot connect: ${(error as Error).message}`));
  }
  const session = new OpenAiSession(socket, listener, log);

  return new Promise<EngineSession>((resolve, reject) => {
    let settled = false;
    let sessionUpdateSent = false;

    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      session.discard();
      log.warn('OpenAI Realtime session did not start', { reason });
      reject(new EngineStartError('openai', reason));
    };
    const onAbort = () => fail('connect timeout (aborted before session.updated)');
    signal.addEventListener('abort', onAbort, { once: true });

    // Handlers are attached before the socket opens: the server's first event can arrive at once.
    socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (settled) {
        session.onMessage(data, isBinary);
        return;
      }
      const parsed = parseServerEvent(rawText(data));
      if (parsed.kind !== 'event') {
        if (parsed.kind === 'invalid') fail(`unexpected server message: ${parsed.problem}`);
        return;
      }
      const event = parsed.event;
      if (event.type === 'session.created' && !sessionUpdateSent) {
        sessionUpdateSent = true;
        socket.send(
          sessionUpdate({
            model: options.model,
            voice: options.voice,
            instructions: renderInstructions(context),
            vadEagerness: options.vadEagerness,
            tools: context.tools,
          }),
        );
      } else if (event.type === 'session.updated' && sessionUpdateSent) {
        const problem = formatProblem(event);
        if (problem) {
          fail(problem);
          return;
        }
        settled = true;
        signal.removeEventListener('abort', onAbort);
        session.markReady();
        log.info('OpenAI Realtime session ready', { model: options.model });
        resolve(session);
        // The agent speaks first: its instructions say how to open the call.
        session.send(responseCreate());
      } else if (event.type === 'error') {
        fail(`server error before ready: ${event.error.message}`);
      }
    });
    socket.on('error', (error: Error) => {
      if (!settled) fail(`socket error: ${error.message}`);
      else session.onSocketError(error);
    });
    socket.on('close', (code: number, reason: Buffer) => {
      if (!settled) fail(`socket closed before ready (code ${code}${reason.length ? `: ${reason}` : ''})`);
      else session.onClose(code, reason.toString());
    });
  });
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

function rawText(data: WebSocket.RawData): string {
  if (typeof data === 'string') return data;
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

type Log = ReturnType<typeof forCall>;

/** One call's OpenAI session after it is ready: state lives here, the wire format in codec.ts. */
class OpenAiSession implements EngineSession {
  private ready = false;
  private closed = false;
  /** Call ids already reported, so a call seen in both `arguments.done` and `response.done` runs once. */
  private readonly reportedCalls = new Set<string>();
  /** Reported calls the bridge has not answered yet. */
  private readonly pendingCalls = new Set<string>();
  private responseActive = false;
  /** Tool outputs were sent while a response was still running: ask for the answer when it ends. */
  private responseWanted = false;
  private betaWarned = false;
  private malformedLogged = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly listener: EngineListener,
    private readonly log: Log,
  ) {}

  markReady(): void {
    this.ready = true;
  }

  /** A failed start: drop the socket at once, whatever state it is in. */
  discard(): void {
    this.closed = true;
    this.socket.removeAllListeners('message');
    this.socket.removeAllListeners('close');
    // Keep a listener: terminating a CONNECTING socket emits an error that must not go unhandled.
    this.socket.removeAllListeners('error');
    this.socket.on('error', () => {});
    this.socket.terminate();
  }

  send(message: string): void {
    if (this.closed || this.socket.readyState !== WebSocket.OPEN) return;
    this.socket.send(message);
  }

  sendCallerAudio(payload: string): boolean {
    if (this.closed || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(inputAudioAppend(payload));
    return true;
  }

  sendToolResult(callId: string, result: ToolResult): void {
    if (this.closed) return;
    this.pendingCalls.delete(callId);
    this.send(functionCallOutput(callId, result));
    // The model does not speak again on its own after a tool result. With several calls in one
    // response, answer once all are in; while that response is still running, wait for its end.
    if (this.pendingCalls.size > 0) return;
    if (this.responseActive) this.responseWanted = true;
    else this.send(responseCreate());
  }

  truncate(itemId: string, audioEndMs: number): void {
    this.send(itemTruncate(itemId, audioEndMs));
  }

  cancelResponse(): void {
    // Cancelling with no response in progress is an API error; an answer asked for is dropped too.
    this.responseWanted = false;
    if (this.responseActive) this.send(responseCancel());
  }

  respond(): void {
    // One response at a time: while one runs (e.g. the cancelled one finishing), answer after it.
    if (this.responseActive || this.pendingCalls.size > 0) this.responseWanted = true;
    else this.send(responseCreate());
  }

  instruct(text: string): void {
    this.send(systemMessageItem(text));
  }

  sendKeypress(digit: string): void {
    this.send(userContextItem(`The caller pressed ${digit} on their keypad.`));
  }

  bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.log.info('Closing OpenAI Realtime session');
    this.socket.close(1000);
  }

  onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.closed || !this.ready) return;
    if (isBinary) return;
    const parsed = parseServerEvent(rawText(data));
    switch (parsed.kind) {
      case 'audio':
        this.listener.audio(parsed.delta, parsed.itemId);
        return;
      case 'event':
        this.onEvent(parsed.event);
        return;
      case 'ignored':
        if (BETA_SERVER_EVENT_TYPES.has(parsed.type) && !this.betaWarned) {
          this.betaWarned = true;
          this.log.error('OpenAI sent a beta protocol event; the GA protocol is expected', {
            type: parsed.type,
          });
        }
        return;
      case 'invalid':
        if (this.malformedLogged) return;
        this.malformedLogged = true;
        this.log.warn('Dropped a malformed OpenAI Realtime event (logged once per call)', {
          type: parsed.type,
          problem: parsed.problem,
        });
        return;
    }
  }

  private onEvent(event: ServerEvent): void {
    switch (event.type) {
      case 'input_audio_buffer.speech_stopped':
        this.listener.callerTurnEnded();
        return;
      case 'input_audio_buffer.speech_started':
        // Only speech: the bridge decides whether it is a barge-in (`bargeIn: 'bridge'`).
        this.listener.callerSpeechStarted();
        return;
      case 'conversation.item.input_audio_transcription.completed': {
        const text = event.transcript.trim();
        if (text) this.listener.transcript('caller', text);
        return;
      }
      case 'response.output_audio_transcript.done': {
        const text = event.transcript.trim();
        if (text) this.listener.transcript('agent', text, { itemId: event.item_id });
        return;
      }
      case 'response.function_call_arguments.done':
        this.reportToolCall(event.call_id, event.name, event.arguments);
        return;
      case 'response.created':
        this.responseActive = true;
        // A response created after the outputs were sent already sees them.
        if (this.pendingCalls.size === 0) this.responseWanted = false;
        return;
      case 'response.done':
        this.responseActive = false;
        if (event.response.usage) this.listener.usage(engineUsage(event.response.usage));
        for (const item of event.response.output ?? []) {
          const call = functionCallItem.safeParse(item);
          if (call.success) this.reportToolCall(call.data.call_id, call.data.name, call.data.arguments);
        }
        if (event.response.status === 'failed') {
          this.log.error('OpenAI Realtime response failed', { statusDetails: event.response.status_details });
        }
        if (this.responseWanted && this.pendingCalls.size === 0) {
          this.responseWanted = false;
          this.send(responseCreate());
        }
        return;
      case 'error':
        // Most errors concern one client event and leave the session open.
        this.log.error('OpenAI Realtime error', {
          errorType: event.error.type,
          code: event.error.code,
          message: event.error.message,
          param: event.error.param,
        });
        return;
      default:
        return;
    }
  }

  private reportToolCall(callId: string, name: string, args: string): void {
    if (this.reportedCalls.has(callId)) return;
    this.reportedCalls.add(callId);
    this.pendingCalls.add(callId);
    this.listener.toolCall({ callId, name, args: parseToolArguments(args) });
  }

  onSocketError(error: Error): void {
    if (this.closed) return;
    this.log.error('OpenAI Realtime socket error', { message: error.message });
  }

  onClose(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.log.info('OpenAI Realtime session closed by the server', { code, reason });
    this.listener.ended({ kind: 'engine-closed', code, detail: reason || undefined });
  }
}
