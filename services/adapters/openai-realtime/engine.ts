import WebSocket from 'ws';
import { renderInstructions } from '../../core/call/persona.js';
import {
  type EngineCallContext,
  type EngineCapabilities,
  type EngineListener,
  type EngineSession,
  type EngineStall,
  EngineStartError,
  type VoiceEngine,
} from '../../core/ports/engine.js';
import type { ToolResult } from '../../core/ports/tool-calls.js';
import { forCall } from '../../core/shared/logging.js';
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

/**
 * Before the first pong, silence may last this many times `stallAfterMs`: a server (or a proxy in
 * front of it) that does not answer WebSocket pings must not look frozen in every quiet moment.
 */
const UNPROVEN_PING_FACTOR = 3;

/** A failed response (an `error` refusing our `response.create`, or `response.done` failed) is retried once. */
const RESPONSE_ATTEMPTS = 2;

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
  const session = new OpenAiSession(socket, listener, log, {
    pingIntervalMs: options.pingIntervalMs ?? OPENAI_TIMING_DEFAULTS.pingIntervalMs,
    stallAfterMs: options.stallAfterMs ?? OPENAI_TIMING_DEFAULTS.stallAfterMs,
    responseTimeoutMs: options.responseTimeoutMs ?? OPENAI_TIMING_DEFAULTS.responseTimeoutMs,
  });

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
      if (!parsed.ok) return fail(`unexpected server message: ${parsed.problem}`);
      const event = parsed.message;
      if (event.type === 'session.created' && !sessionUpdateSent) {
        sessionUpdateSent = true;
        socket.send(
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
          fail(problem);
          return;
        }
        settled = true;
        signal.removeEventListener('abort', onAbort);
        session.markReady();
        log.info('OpenAI Realtime session ready', { model: options.model });
        // Named before its first audio: the bridge sets up the playback for the engine it is told of.
        listener.engineChanged({ engine: 'openai', capabilities: OPENAI_CAPABILITIES, at: Date.now() });
        resolve(session);
        // The agent speaks first: its instructions say how to open the call.
        session.respond();
      } else if (event.type === 'error') {
        fail(`server error before ready: ${event.error.message}`);
      }
    });
    socket.on('error', (error: Error) => {
      if (!settled) fail(`socket error: ${error.message}`);
      else session.onSocketError(error);
    });
    socket.on('pong', () => session.heard(true));
    socket.on('close', (code: number, reason: Buffer) => {
      if (!settled) fail(`socket closed before ready (code ${code}${reason.length ? `: ${reason}` : ''})`);
      else session.onClose(code, reason.toString());
    });
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

function rawText(data: WebSocket.RawData): string {
  if (typeof data === 'string') return data;
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

type Log = ReturnType<typeof forCall>;

interface SessionTimings {
  pingIntervalMs: number;
  stallAfterMs: number;
  responseTimeoutMs: number;
}

/**
 * One call's OpenAI session after it is ready: state lives here, the wire format in codec.ts.
 *
 * Responses: the bridge asks for one (`respond`) after a caller's turn, the session after tool
 * outputs. At most one is asked for or running at a time: `requested` (a `response.create` sent,
 * its `response.created` not seen yet), then `responseActive` (created, not done). An answer asked
 * for meanwhile waits (`responseWanted`) and is asked for when the running one ends; a cancel while
 * one is only requested cancels it as soon as it is created. A response that never comes (or stops
 * sending) within `responseTimeoutMs` is a frozen engine; one refused or failed is retried once,
 * then the engine is given up (the failover composite takes over).
 */
class OpenAiSession implements EngineSession {
  private ready = false;
  private closed = false;
  /** Call ids already reported, so a call seen in both `arguments.done` and `response.done` runs once. */
  private readonly reportedCalls = new Set<string>();
  /** Reported calls the bridge has not answered yet. */
  private readonly pendingCalls = new Set<string>();
  /** A `response.create` was sent and its `response.created` has not arrived. */
  private requested = false;
  /** The `event_id` of that `response.create` (an `error` refusing it carries it). */
  private requestEventId: string | undefined;
  private requestCount = 0;
  /** Cancel the requested response as soon as it is created (the caller barged in meanwhile). */
  private cancelRequested = false;
  private responseActive = false;
  private activeResponseId: string | undefined;
  private cancelSent = false;
  /** An answer is wanted once the response running (or requested to be cancelled) ends. */
  private responseWanted = false;
  /** Failed responses in a row (refused or `failed`); reset by one that speaks or completes. */
  private failedResponses = 0;
  private responseTimer: NodeJS.Timeout | undefined;
  /** When the response asked for or running last showed life (asked, created, or sent output). */
  private responseOutputAt = 0;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private lastHeardAt = Date.now();
  private pongSeen = false;
  private betaWarned = false;
  private malformedLogged = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly listener: EngineListener,
    private readonly log: Log,
    private readonly timings: SessionTimings,
  ) {}

  markReady(): void {
    this.ready = true;
    this.heard();
    // Liveness: the server answers WebSocket pings; no pong and no event for `stallAfterMs` is a freeze.
    // Judged after the I/O already received is read (setImmediate): if our own event loop was held
    // up, the pong waiting in the socket still counts.
    this.keepaliveTimer = setInterval(
      () => setImmediate(() => this.checkAlive()),
      this.timings.pingIntervalMs,
    );
    // The first at once: its pong shows early that the server answers pings.
    if (this.socket.readyState === WebSocket.OPEN) this.socket.ping();
  }

  /** Something arrived from the server (a pong or any event): it is alive. */
  heard(pong = false): void {
    this.lastHeardAt = Date.now();
    if (pong) this.pongSeen = true;
  }

  private checkAlive(): void {
    if (this.closed) return;
    const silentMs = Date.now() - this.lastHeardAt;
    // Until a pong shows that the server answers our pings, silence is judged three times as leniently.
    const limitMs = this.timings.stallAfterMs * (this.pongSeen ? 1 : UNPROVEN_PING_FACTOR);
    if (silentMs >= limitMs) {
      this.stall('keepalive', `no pong or event for ${silentMs} ms`);
      return;
    }
    if (this.socket.readyState === WebSocket.OPEN) this.socket.ping();
  }

  /** A failed start: drop the socket at once, whatever state it is in. */
  discard(): void {
    this.closed = true;
    this.stopTimers();
    this.socket.removeAllListeners('message');
    this.socket.removeAllListeners('close');
    this.socket.removeAllListeners('pong');
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
    // response, answer once all are in; a response running or about to start waits for its end.
    if (this.pendingCalls.size > 0) return;
    this.askForAnswer();
  }

  truncate(itemId: string, audioEndMs: number): void {
    this.send(itemTruncate(itemId, audioEndMs));
  }

  cancelResponse(): void {
    // An answer asked for is dropped too. Cancelling with no response in progress is an API error:
    // one only requested is cancelled once it is created.
    this.responseWanted = false;
    if (this.responseActive) {
      if (!this.cancelSent) {
        this.cancelSent = true;
        this.send(responseCancel(this.activeResponseId));
      }
    } else if (this.requested) {
      this.cancelRequested = true;
    }
  }

  respond(): void {
    if (this.closed) return;
    if (this.pendingCalls.size > 0) {
      this.responseWanted = true;
      return;
    }
    this.askForAnswer();
  }

  /** One answer per turn: a response already on its way is the answer; one running is followed by it. */
  private askForAnswer(): void {
    if (this.requested && !this.cancelRequested) return;
    if (this.requested || this.responseActive) this.responseWanted = true;
    else this.requestResponse();
  }

  private requestResponse(): void {
    this.requested = true;
    this.requestEventId = `bolt_response_create_${++this.requestCount}`;
    this.send(responseCreate(this.requestEventId));
    this.armResponseTimer();
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
    this.stopTimers();
    this.log.info('Closing OpenAI Realtime session');
    this.socket.close(1000);
  }

  onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.closed || !this.ready) return;
    this.heard();
    if (isBinary) return;
    const parsed = parseServerEvent(rawText(data));
    if (!parsed.ok) {
      if (this.malformedLogged) return;
      this.malformedLogged = true;
      this.log.warn('Dropped a malformed OpenAI Realtime event (logged once per call)', {
        problem: parsed.problem,
      });
      return;
    }
    const message = parsed.message;
    if (message.type === 'response.output_audio.delta') {
      // The response speaks: it is alive, and no longer a failed one.
      this.failedResponses = 0;
      this.touchResponseTimer();
      this.listener.audio(message.delta, message.item_id);
      return;
    }
    if (message.type === 'ignored') {
      if (message.name.startsWith('response.')) this.touchResponseTimer();
      if (BETA_SERVER_EVENT_TYPES.has(message.name) && !this.betaWarned) {
        this.betaWarned = true;
        this.log.error('OpenAI sent a beta protocol event; the GA protocol is expected', {
          type: message.name,
        });
      }
      return;
    }
    if (message.type.startsWith('response.')) this.touchResponseTimer();
    this.onEvent(message);
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
        this.onResponseCreated(event.response.id);
        return;
      case 'response.done':
        this.onResponseDone(event);
        return;
      case 'error':
        this.onError(event.error);
        return;
      default:
        return;
    }
  }

  private onResponseCreated(responseId: string | undefined): void {
    this.requested = false;
    this.requestEventId = undefined;
    this.responseActive = true;
    this.activeResponseId = responseId;
    this.cancelSent = false;
    // Now waiting for its output (a response created without our asking is watched the same way).
    this.armResponseTimer();
    if (this.cancelRequested) {
      this.cancelRequested = false;
      this.cancelSent = true;
      this.send(responseCancel(responseId));
      return;
    }
    // A response created after the tool outputs were sent already sees them.
    if (this.pendingCalls.size === 0) this.responseWanted = false;
  }

  private onResponseDone(event: Extract<ServerEvent, { type: 'response.done' }>): void {
    this.responseActive = false;
    this.activeResponseId = undefined;
    this.cancelSent = false;
    this.stopResponseTimer();
    if (event.response.usage) this.listener.usage(engineUsage(event.response.usage));
    for (const item of event.response.output ?? []) {
      const call = functionCallItem.safeParse(item);
      if (call.success) this.reportToolCall(call.data.call_id, call.data.name, call.data.arguments);
    }
    if (event.response.status === 'failed') {
      this.responseFailed(`response failed: ${JSON.stringify(event.response.status_details ?? {})}`);
      return;
    }
    this.failedResponses = 0;
    if (this.responseWanted && this.pendingCalls.size === 0) {
      this.responseWanted = false;
      this.requestResponse();
    }
  }

  private onError(error: Extract<ServerEvent, { type: 'error' }>['error']): void {
    this.log.error('OpenAI Realtime error', {
      errorType: error.type,
      code: error.code,
      message: error.message,
      param: error.param,
    });
    // Most errors concern one client event and leave the session open. One refusing the response we
    // asked for (its `event_id`, or a server error before it was created) leaves the caller waiting.
    const refusesRequest =
      this.requested &&
      (error.event_id === this.requestEventId || (!error.event_id && error.type === 'server_error'));
    if (!refusesRequest) return;
    this.requested = false;
    this.requestEventId = undefined;
    this.stopResponseTimer();
    if (error.code === 'conversation_already_has_active_response') {
      // One is running after all (its `response.created` is on its way): answer after it.
      this.responseWanted = true;
      return;
    }
    this.responseFailed(`response.create refused: ${error.code ?? error.type}: ${error.message}`);
  }

  /** A response was refused or failed: retried once; a second in a row gives the engine up. */
  private responseFailed(why: string): void {
    if (this.cancelRequested) {
      // The caller barged in on it anyway; the answer to their turn is asked for separately.
      this.cancelRequested = false;
      if (this.responseWanted) {
        this.responseWanted = false;
        this.requestResponse();
      }
      return;
    }
    this.failedResponses += 1;
    if (this.failedResponses >= RESPONSE_ATTEMPTS) {
      this.giveUp({ kind: 'engine-error', detail: `${why} (after ${RESPONSE_ATTEMPTS} attempts)` });
      return;
    }
    this.log.warn('OpenAI Realtime response failed; asking again', { why });
    this.responseWanted = false;
    this.requestResponse();
  }

  /** The response clock starts (again) now: `response.create` sent, or `response.created` seen. */
  private armResponseTimer(): void {
    this.responseOutputAt = Date.now();
    if (!this.responseTimer) this.scheduleResponseCheck(this.timings.responseTimeoutMs);
  }

  /**
   * The response in progress sent something: it gets the full timeout again. Only a timestamp on
   * this path (it runs for every audio delta), the one `heard` just read for this event; the timer
   * re-arms itself when it fires.
   */
  private touchResponseTimer(): void {
    if (this.responseTimer) this.responseOutputAt = this.lastHeardAt;
  }

  private scheduleResponseCheck(ms: number): void {
    const timer = setTimeout(
      // After the I/O already received is read: an event waiting in the socket still counts.
      () => setImmediate(() => this.checkResponse(timer)),
      ms,
    );
    this.responseTimer = timer;
  }

  private stopResponseTimer(): void {
    clearTimeout(this.responseTimer);
    this.responseTimer = undefined;
  }

  private checkResponse(timer: NodeJS.Timeout): void {
    if (this.closed || this.responseTimer !== timer) return;
    this.responseTimer = undefined;
    if (!this.requested && !this.responseActive) return;
    const ms = this.timings.responseTimeoutMs;
    const quietMs = Date.now() - this.responseOutputAt;
    if (quietMs < ms) {
      this.scheduleResponseCheck(ms - quietMs);
      return;
    }
    if (this.requested) {
      this.stall('response', `no response.created within ${ms} ms of response.create`);
    } else {
      this.stall('response', `response ${this.activeResponseId ?? ''} sent nothing for ${ms} ms`.trim());
    }
  }

  /** The engine froze: its socket is dropped, and the failover composite replaces it. */
  private stall(stall: EngineStall, detail: string): void {
    this.log.error('OpenAI Realtime engine stalled', { stall, detail });
    this.giveUp({ kind: 'engine-stalled', stall, detail });
  }

  private giveUp(reason: Parameters<EngineListener['ended']>[0]): void {
    if (this.closed) return;
    this.closed = true;
    this.stopTimers();
    if (reason.kind === 'engine-stalled') {
      // A frozen server would not answer a closing handshake either.
      this.socket.terminate();
    } else {
      this.log.error('Giving up on OpenAI Realtime', { detail: reason.detail });
      this.socket.close(1000);
    }
    this.listener.ended(reason);
  }

  private stopTimers(): void {
    clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
    this.stopResponseTimer();
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
    this.stopTimers();
    this.log.info('OpenAI Realtime session closed by the server', { code, reason });
    this.listener.ended({ kind: 'engine-closed', code, detail: reason || undefined });
  }
}
