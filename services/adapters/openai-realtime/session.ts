import WebSocket from 'ws';
import type { EngineListener, EngineSession } from '../../core/ports/engine.js';
import type { ToolResult } from '../../core/ports/tool-calls.js';
import type { Log } from '../../core/shared/logging.js';
import type { EngineLink, Watchdog } from '../ws/engine-socket.js';
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
  systemMessageItem,
  userContextItem,
} from './codec.js';

/** A failed response (an `error` refusing our `response.create`, or `response.done` failed) is retried once. */
const RESPONSE_ATTEMPTS = 2;

/**
 * One call's OpenAI session (it serves once the start's handshake is done): state lives here, the
 * wire format in codec.ts, the socket's lifecycle in the engine link.
 *
 * Responses: the bridge asks for one (`respond`) after a caller's turn, the session after tool
 * outputs. At most one is asked for or running at a time: `requested` (a `response.create` sent,
 * its `response.created` not seen yet), then `responseActive` (created, not done). An answer asked
 * for meanwhile waits (`responseWanted`) and is asked for when the running one ends; a cancel while
 * one is only requested cancels it as soon as it is created. A response that never comes (or stops
 * sending) within `responseTimeoutMs` is a frozen engine; one refused or failed is retried once,
 * then the engine is given up (the failover composite takes over).
 */
export class OpenAiSession implements EngineSession {
  private readonly socket: WebSocket;
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
  /** The response asked for or running must show life within `responseTimeoutMs`. */
  private readonly responseWatch: Watchdog;
  /** When the response asked for or running last showed life (asked, created, or sent output). */
  private responseOutputAt = 0;
  private betaWarned = false;
  private malformedLogged = false;

  constructor(
    private readonly link: EngineLink,
    private readonly listener: EngineListener,
    private readonly log: Log,
    private readonly responseTimeoutMs: number,
  ) {
    this.socket = link.socket;
    this.responseWatch = link.watchdog(() => this.checkResponse());
  }

  sendCallerAudio(payload: string): boolean {
    // A closed session's socket is closing or closed: not OPEN.
    if (this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(inputAudioAppend(payload));
    return true;
  }

  sendToolResult(callId: string, result: ToolResult): void {
    if (this.link.closed) return;
    this.pendingCalls.delete(callId);
    this.link.send(functionCallOutput(callId, result));
    // The model does not speak again on its own after a tool result. With several calls in one
    // response, answer once all are in; a response running or about to start waits for its end.
    if (this.pendingCalls.size > 0) return;
    this.askForAnswer();
  }

  truncate(itemId: string, audioEndMs: number): void {
    this.link.send(itemTruncate(itemId, audioEndMs));
  }

  cancelResponse(): void {
    // An answer asked for is dropped too. Cancelling with no response in progress is an API error:
    // one only requested is cancelled once it is created.
    this.responseWanted = false;
    if (this.responseActive) {
      if (!this.cancelSent) {
        this.cancelSent = true;
        this.link.send(responseCancel(this.activeResponseId));
      }
    } else if (this.requested) {
      this.cancelRequested = true;
    }
  }

  respond(): void {
    if (this.link.closed) return;
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
    this.link.send(responseCreate(this.requestEventId));
    this.armResponseTimer();
  }

  instruct(text: string): void {
    this.link.send(systemMessageItem(text));
  }

  sendKeypress(digit: string): void {
    this.link.send(userContextItem(`The caller pressed ${digit} on their keypad.`));
  }

  bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  close(): void {
    if (this.link.closed) return;
    this.log.info('Closing OpenAI Realtime session');
    this.link.close();
  }

  /** The server's events once ready (the link has already noted that it is alive). */
  readonly onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
    if (isBinary) return;
    const parsed = parseServerEvent(data.toString());
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
  };

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
      this.link.send(responseCancel(responseId));
      return;
    }
    // A response created after the tool outputs were sent already sees them.
    if (this.pendingCalls.size === 0) this.responseWanted = false;
  }

  private onResponseDone(event: Extract<ServerEvent, { type: 'response.done' }>): void {
    this.responseActive = false;
    this.activeResponseId = undefined;
    this.cancelSent = false;
    this.responseWatch.cancel();
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
    this.responseWatch.cancel();
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
      this.link.giveUp({ kind: 'engine-error', detail: `${why} (after ${RESPONSE_ATTEMPTS} attempts)` });
      return;
    }
    this.log.warn('OpenAI Realtime response failed; asking again', { why });
    this.responseWanted = false;
    this.requestResponse();
  }

  /** The response clock starts (again) now: `response.create` sent, or `response.created` seen. */
  private armResponseTimer(): void {
    this.responseOutputAt = Date.now();
    if (!this.responseWatch.armed) this.responseWatch.arm(this.responseTimeoutMs);
  }

  /**
   * The response in progress sent something: it gets the full timeout again. Only a timestamp on
   * this path (it runs for every audio delta), the clock read for this event; the watchdog re-arms
   * itself when it fires, and arming it sets the timestamp afresh.
   */
  private touchResponseTimer(): void {
    this.responseOutputAt = this.link.lastHeardAt;
  }

  private checkResponse(): void {
    if (this.link.closed) return;
    if (!this.requested && !this.responseActive) return;
    const ms = this.responseTimeoutMs;
    const quietMs = Date.now() - this.responseOutputAt;
    if (quietMs < ms) {
      this.responseWatch.arm(ms - quietMs);
      return;
    }
    if (this.requested) {
      this.link.stall('response', `no response.created within ${ms} ms of response.create`);
    } else {
      this.link.stall('response', `response ${this.activeResponseId ?? ''} sent nothing for ${ms} ms`.trim());
    }
  }

  private reportToolCall(callId: string, name: string, args: string): void {
    if (this.reportedCalls.has(callId)) return;
    this.reportedCalls.add(callId);
    this.pendingCalls.add(callId);
    this.listener.toolCall({ callId, name, args: parseToolArguments(args) });
  }
}
