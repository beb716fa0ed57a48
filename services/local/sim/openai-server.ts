import { createServer, type IncomingHttpHeaders, type IncomingMessage, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { isSilentUlaw, loadClip, ULAW_BYTES_PER_MS } from './audio.js';
import { handshakeViolations, validateClientEvent, validateServerEvent } from './openai-schemas.js';
import {
  type AgentUtterance,
  type ConversationScript,
  END_OF_TURN_SILENCE_MS,
  type ScriptedTurn,
} from './script.js';
import { ServerVad, type ServerVadOptions } from './server-vad.js';

/**
 * A local stand-in for the OpenAI Realtime API (GA protocol, docs/protocols.md §2) on 127.0.0.1. It checks
 * what a client sends the way the live API does (handshake headers, every event against the GA
 * schemas, beta shapes refused with an `error` event) and lets a test play the server's side:
 * agent audio, barge-in, transcripts and function calls, by hand or from a ConversationScript.
 */

type Json = Record<string, unknown>;

export interface OpenAiSimFailures {
  /** Drop the TCP connection at the upgrade, without an HTTP answer. */
  refuseSocket?: boolean;
  /** Accept `session.update` but never answer `session.updated` (the engine never becomes ready). */
  withholdSessionUpdated?: boolean;
  /** Answer the upgrade with this HTTP status instead of switching protocols. */
  httpStatus?: number;
  /** Answer `session.update` with an `error` event carrying this message instead of `session.updated`. */
  sessionError?: string;
  /** Never answer a `response.create` (the session otherwise works: events, pongs). Per session: `withholdResponses`. */
  withholdResponses?: boolean;
  /** Never answer a WebSocket ping (a server or proxy that does not); everything else works. */
  ignorePings?: boolean;
}

export interface OpenAiSimOptions {
  apiKey: string;
  script?: ConversationScript;
  failures?: OpenAiSimFailures;
  /** Agent audio is streamed this many times faster than real time, as the real API does (default 10). */
  audioSpeedup?: number;
  /** μ-law bytes per `response.output_audio.delta` (default 800, 100 ms). */
  audioChunkBytes?: number;
  /** How long a `response.create` may take to follow a function_call_output (default 2000 ms). */
  responseCreateWaitMs?: number;
  /**
   * Like the real API, every `response.create` gets a response. One that no response (the script's,
   * or a test's `respond` / `functionCall`) has answered within this long is answered by an empty
   * one: `response.created` then `response.done`, with no output (default 1000 ms).
   */
  autoAnswerMs?: number;
  /** How long that empty response runs, the window in which a cancel still finds it (default 30 ms). */
  autoAnswerRunMs?: number;
  /**
   * Server-like turn detection (off by default; `npm run bench:turns`): an energy VAD on the caller's
   * audio (server-vad.ts) sends speech_started / speech_stopped / committed and the transcription,
   * honouring `turn_detection.create_response` and `interrupt_response`, and every response.create
   * is answered from `answers`. The simulator cannot recognise speech: the transcript of each turn
   * is the next label queued with `session.expectUtterance(text)`, else the words of
   * `session.expectSpeech` timed within the turn (empty when there are none).
   */
  serverVad?: OpenAiSimServerVad;
}

export interface OpenAiSimServerVad extends ServerVadOptions {
  /** The agent's answers, in turn (the greeting first), cycling. */
  answers: RespondOptions[];
  /** From speech_stopped to the transcription (default 300 ms, a transcription model's time). */
  transcriptionDelayMs?: number;
}

/** One caller turn as the simulated server VAD saw it (ms of caller audio, and the label it got). */
export interface VadTurn {
  itemId: string;
  audioStartMs: number;
  audioEndMs?: number;
  transcript?: string;
}

export interface RejectedUpgrade {
  /** HTTP status answered, or 0 when the socket was dropped. */
  status: number;
  reason: string;
  headers: IncomingHttpHeaders;
}

export interface OpenAiSim {
  /** `ws://127.0.0.1:<port>/v1/realtime`: the engine adds `?model=`. */
  url: string;
  sessions: OpenAiSimSession[];
  rejectedUpgrades: RejectedUpgrade[];
  /** Protocol violations by any client (and any invalid event the simulator itself sent). */
  violations: string[];
  /** The next session not yet handed out, waiting up to `timeoutMs` for it to connect. */
  nextSession(timeoutMs?: number): Promise<OpenAiSimSession>;
  close(): Promise<void>;
}

export interface RespondOptions {
  text: string;
  audio: Buffer;
  itemId?: string;
}

export interface ResponseOutcome {
  responseId: string;
  itemId: string;
  status: 'completed' | 'cancelled';
  /** μ-law bytes of this item sent to the client. */
  sentBytes: number;
}

/** How long the empty answer to an unanswered `response.create` runs (`autoAnswerRunMs`). */
const AUTO_ANSWER_RUN_MS = 30;

const BETA_REJECTION =
  'The Realtime Beta API is no longer supported. Please use /v1/realtime for the GA API.';

export async function startOpenAiSim(options: OpenAiSimOptions): Promise<OpenAiSim> {
  const sessions: OpenAiSimSession[] = [];
  const rejectedUpgrades: RejectedUpgrade[] = [];
  const violations: string[] = [];
  const handedOut = new Set<OpenAiSimSession>();
  const sessionWaiters: Array<() => void> = [];
  const wss = new WebSocketServer({ noServer: true, autoPong: !options.failures?.ignorePings });
  const http = createServer((_req, res) => {
    res.writeHead(426).end('WebSocket only');
  });

  const reject = (socket: Duplex, req: IncomingMessage, status: number, reason: string) => {
    rejectedUpgrades.push({ status, reason, headers: req.headers });
    if (status === 0) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify({ error: { type: 'invalid_request_error', message: reason } });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  };

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const failures = options.failures ?? {};
    if (failures.refuseSocket) return reject(socket, req, 0, 'refuseSocket');
    if (failures.httpStatus) return reject(socket, req, failures.httpStatus, 'httpStatus');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/v1/realtime') return reject(socket, req, 404, `no route ${url.pathname}`);
    const headerProblems = handshakeViolations(req.headers);
    if (req.headers['openai-beta'] !== undefined) {
      violations.push(...headerProblems);
      return reject(socket, req, 400, BETA_REJECTION);
    }
    if (req.headers.authorization !== `Bearer ${options.apiKey}`) {
      violations.push('handshake: wrong or missing Authorization bearer token');
      return reject(socket, req, 401, 'Incorrect API key provided.');
    }
    const model = url.searchParams.get('model');
    if (!model) {
      violations.push('handshake: no ?model= query parameter');
      return reject(socket, req, 400, "Missing required parameter: 'model'.");
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new OpenAiSimSession(ws, model, req.headers, options, violations);
      sessions.push(session);
      for (const wake of sessionWaiters.splice(0)) wake();
    });
  });

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;

  return {
    url: `ws://127.0.0.1:${port}/v1/realtime`,
    sessions,
    rejectedUpgrades,
    violations,
    nextSession(timeoutMs = 2000) {
      return new Promise((resolve, rejectWait) => {
        const timer = setTimeout(() => {
          const index = sessionWaiters.indexOf(check);
          if (index >= 0) sessionWaiters.splice(index, 1);
          rejectWait(new Error(`no OpenAI sim session within ${timeoutMs} ms`));
        }, timeoutMs);
        function check() {
          const session = sessions.find((s) => !handedOut.has(s));
          if (!session) {
            sessionWaiters.push(check);
            return;
          }
          clearTimeout(timer);
          handedOut.add(session);
          resolve(session);
        }
        check();
      });
    },
    async close() {
      for (const session of sessions) session.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

interface ActiveResponse {
  cancelled: boolean;
}

interface Waiter {
  predicate: (event: Json, index: number) => boolean;
  resolve: (index: number) => void;
}

let idCounter = 0;
const nextId = (prefix: string) => `${prefix}_sim${(++idCounter).toString(36).padStart(6, '0')}`;

export class OpenAiSimSession {
  readonly id = nextId('sess');
  /** Every client event received, parsed, in order. */
  readonly events: Json[] = [];
  /** Every server event sent, in order. */
  readonly sent: Json[] = [];
  /** The `session` of the last valid `session.update`. */
  sessionConfig: Json | undefined;
  /** The exact `audio` strings of `input_audio_buffer.append`, in order. */
  readonly appendedAudio: string[] = [];
  /** `conversation.item.truncate` events received. */
  readonly truncations: Json[] = [];
  /** `error` events this session sent (answers to bad client events). */
  readonly errorsSent: Json[] = [];
  responseCreates = 0;
  /** Resolves when the socket has closed, with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;

  private readonly waiters: Waiter[] = [];
  // Server VAD mode (options.serverVad).
  private readonly vad: ServerVad | undefined;
  private readonly expectedUtterances: string[] = [];
  private timedWords: Array<{ word: string; atMs: number }> = [];
  private answersGiven = 0;
  private frozen = false;
  /** Server VAD mode: the caller turns detected so far. */
  readonly vadTurns: VadTurn[] = [];
  private readonly sentAudioBytes = new Map<string, number>();
  private responseChain: Promise<unknown> = Promise.resolve();
  private activeResponse: ActiveResponse | undefined;
  private callerBytes = 0;
  private isClosed = false;
  // Script mode: a simple turn-taking model on the caller's audio.
  private greeted = false;
  private turnIndex = 0;
  private callerTalking = false;
  private silenceMs = 0;
  private turnItemId: string | undefined;
  private turnChain: Promise<void> = Promise.resolve();
  private readonly responseCreateWaiters: Array<() => void> = [];
  /** `response.create`s no response has answered yet (each `response.created` answers the oldest). */
  private unansweredCreates = 0;
  /** Failure modes (see `hang`, `failResponses`, `withholdResponses`). */
  private hung = false;
  private responseFailures: Array<'error' | 'failed'> = [];
  /** While set, a `response.create` is never answered (the server takes it and does nothing). */
  withholdResponses = false;

  constructor(
    private readonly ws: WebSocket,
    readonly model: string,
    readonly headers: IncomingHttpHeaders,
    private readonly options: OpenAiSimOptions,
    private readonly violations: string[],
  ) {
    if (options.serverVad) this.vad = new ServerVad(options.serverVad);
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.isClosed = true;
        if (this.activeResponse) this.activeResponse.cancelled = true;
        resolve({ code, reason: reason.toString() });
      });
    });
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    this.send({
      type: 'session.created',
      session: this.effectiveSession({}),
    });
  }

  /** The caller's audio as received (all appended payloads, decoded and joined). */
  callerAudio(): Buffer {
    return Buffer.concat(this.appendedAudio.map((payload) => Buffer.from(payload, 'base64')));
  }

  /** Resolves with the `count`-th client event of `type` (already received or still to come). */
  async waitForEvent(type: string, count = 1, timeoutMs = 2000): Promise<Json> {
    let seen = 0;
    const index = await this.waitFor(
      (event) => event.type === type && ++seen === count,
      timeoutMs,
      `${count}× ${type}`,
    );
    return this.events[index]!;
  }

  /**
   * Plays one agent response: response.created, the assistant item, its audio as
   * `response.output_audio.delta` chunks under one item_id, the transcript, response.done.
   * Responses are serialised, like the real server's one active response per conversation.
   */
  respond(options: RespondOptions): Promise<ResponseOutcome> {
    const run = () => this.streamResponse(options);
    const result = this.responseChain.then(run, run);
    this.responseChain = result.catch(() => undefined);
    return result;
  }

  /**
   * The caller started speaking (`input_audio_buffer.speech_started`). Like the real server, an
   * in-progress response is cancelled only when the session's `interrupt_response` is on (its default).
   */
  speechStarted(): string {
    const itemId = nextId('item');
    this.turnItemId = itemId;
    this.send({
      type: 'input_audio_buffer.speech_started',
      audio_start_ms: this.callerMs(),
      item_id: itemId,
    });
    if (this.activeResponse && this.turnDetection().interrupt_response !== false) {
      this.activeResponse.cancelled = true;
    }
    return itemId;
  }

  /** The configured `turn_detection` (server defaults: both automatic behaviours on). */
  private turnDetection(): { create_response?: boolean; interrupt_response?: boolean } {
    const audio = (this.sessionConfig?.audio ?? {}) as { input?: { turn_detection?: Json } };
    return (audio.input?.turn_detection ?? {}) as { create_response?: boolean; interrupt_response?: boolean };
  }

  /** Whether a response is being generated now. */
  get responding(): boolean {
    return this.activeResponse !== undefined;
  }

  /** The caller's turn ended: speech_stopped, committed, and the transcription of `text`. */
  callerTranscript(text: string): void {
    const itemId = this.turnItemId ?? nextId('item');
    this.turnItemId = undefined;
    this.send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: this.callerMs(), item_id: itemId });
    this.send({ type: 'input_audio_buffer.committed', previous_item_id: null, item_id: itemId });
    this.send({
      type: 'conversation.item.input_audio_transcription.completed',
      item_id: itemId,
      content_index: 0,
      transcript: text,
      usage: { type: 'duration', seconds: Math.max(1, Math.round(this.callerMs() / 1000)) },
    });
  }

  /**
   * The model calls a function: a response holding one function_call item. Resolves with the
   * `function_call_output` item the client creates for it, once a `response.create` has followed
   * (a missing one is recorded as a violation: the model would never speak again).
   */
  functionCall(name: string, args: Record<string, unknown>): Promise<Json> {
    const run = () => this.playFunctionCall(name, args);
    const result = this.responseChain.then(run, run);
    this.responseChain = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /**
   * The server freezes: it reads nothing more (so no pong answers a ping, and no event is handled)
   * and sends nothing more, the socket staying open. The client's writes back up.
   */
  hang(): void {
    this.hung = true;
    this.ws.pause();
  }

  /** The next `count` `response.create`s fail: refused by an `error` event, or a response that ends `failed`. */
  failResponses(count: number, how: 'error' | 'failed' = 'failed'): void {
    for (let i = 0; i < count; i++) this.responseFailures.push(how);
  }

  /** Server VAD mode: the transcript of the next caller turn the VAD ends (a queue, one per turn). */
  expectUtterance(...texts: string[]): void {
    this.expectedUtterances.push(...texts);
  }

  /**
   * Server VAD mode: what the caller will say and when, in ms of the caller audio this session
   * receives. A turn's transcript is the words that fall in it (each segment's words spread evenly
   * over its span): a turn the VAD splits gets each half's words, as a recogniser would. Words
   * before a turn that no turn covered (speech too quiet for the VAD) are dropped.
   */
  expectSpeech(segments: Array<{ text: string; startMs: number; endMs: number }>): void {
    for (const segment of segments) {
      const words = segment.text.split(/\s+/).filter(Boolean);
      words.forEach((word, i) => {
        this.timedWords.push({
          word,
          atMs: segment.startMs + ((i + 0.5) / words.length) * (segment.endMs - segment.startMs),
        });
      });
    }
    this.timedWords.sort((a, b) => a.atMs - b.atMs);
  }

  private wordsIn(startMs: number, endMs: number): string {
    const heard = this.timedWords.filter((w) => w.atMs >= startMs && w.atMs <= endMs).map((w) => w.word);
    this.timedWords = this.timedWords.filter((w) => w.atMs > endMs);
    return heard.join(' ');
  }

  /**
   * The server hangs: from now on it sends nothing at all (no events, no audio, responses in flight
   * go silent) and keeps the socket open. (The ws library still answers protocol pings.)
   */
  freeze(): void {
    this.frozen = true;
  }

  private onVadAudio(audio: Buffer): void {
    if (this.frozen) return;
    for (const event of this.vad!.feed(audio)) {
      if (event.type === 'speech_started') {
        const itemId = nextId('item');
        this.turnItemId = itemId;
        this.vadTurns.push({ itemId, audioStartMs: event.audioStartMs });
        this.send({
          type: 'input_audio_buffer.speech_started',
          audio_start_ms: event.audioStartMs,
          item_id: itemId,
        });
        if (this.activeResponse && this.turnDetection().interrupt_response !== false) {
          this.activeResponse.cancelled = true;
        }
        continue;
      }
      const turn = this.vadTurns.at(-1);
      const itemId = turn?.itemId ?? nextId('item');
      this.turnItemId = undefined;
      const transcript =
        this.expectedUtterances.shift() ?? this.wordsIn(turn?.audioStartMs ?? 0, event.audioEndMs);
      if (turn) Object.assign(turn, { audioEndMs: event.audioEndMs, transcript });
      this.send({
        type: 'input_audio_buffer.speech_stopped',
        audio_end_ms: event.audioEndMs,
        item_id: itemId,
      });
      this.send({ type: 'input_audio_buffer.committed', previous_item_id: null, item_id: itemId });
      const seconds = Math.max(
        1,
        Math.round(((turn ? event.audioEndMs - turn.audioStartMs : 0) || 1000) / 1000),
      );
      setTimeout(() => {
        this.send({
          type: 'conversation.item.input_audio_transcription.completed',
          item_id: itemId,
          content_index: 0,
          transcript,
          usage: { type: 'duration', seconds },
        });
      }, this.options.serverVad?.transcriptionDelayMs ?? 300);
      if (this.turnDetection().create_response !== false) void this.answerNext();
    }
  }

  /** Server VAD mode: the next of the configured answers. */
  private answerNext(): Promise<ResponseOutcome | undefined> {
    const answers = this.options.serverVad?.answers ?? [];
    const answer = answers[this.answersGiven++ % Math.max(1, answers.length)];
    if (!answer || this.isClosed) return Promise.resolve(undefined);
    return this.respond({ text: answer.text, audio: answer.audio }).catch(() => undefined);
  }

  /** Closes the socket from the server's side. */
  close(code = 1000, reason = ''): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  // ---------- protocol ----------

  private onMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) {
      this.reject(undefined, ['binary frames are not part of the protocol'], 'invalid_event');
      return;
    }
    let event: unknown;
    try {
      event = JSON.parse(data.toString());
    } catch {
      this.reject(undefined, ['frame is not JSON'], 'invalid_json');
      return;
    }
    const problems = validateClientEvent(event);
    const record = (typeof event === 'object' && event !== null ? event : {}) as Json;
    if (problems.length > 0) {
      this.reject(
        record,
        problems,
        problems.some((p) => p.includes('Unknown parameter')) ? 'unknown_parameter' : 'invalid_value',
      );
      return;
    }
    const index = this.events.push(record) - 1;
    this.handle(record);
    for (const waiter of [...this.waiters]) {
      if (waiter.predicate(record, index)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(index);
      }
    }
  }

  private handle(event: Json): void {
    switch (event.type) {
      case 'session.update':
        this.onSessionUpdate(event.session as Json);
        return;
      case 'input_audio_buffer.append':
        this.onAudio(event.audio as string);
        return;
      case 'conversation.item.truncate':
        this.onTruncate(event);
        return;
      case 'conversation.item.create': {
        const item: Json = { ...(event.item as Json), status: 'completed' };
        item.id ??= nextId('item');
        this.send({ type: 'conversation.item.added', previous_item_id: null, item });
        this.send({ type: 'conversation.item.done', previous_item_id: null, item });
        return;
      }
      case 'response.create': {
        this.responseCreates++;
        const failure = this.responseFailures.shift();
        if (failure) {
          this.failResponse(failure, event);
          return;
        }
        if (this.withholdResponses || this.options.failures?.withholdResponses) return;
        this.unansweredCreates++;
        if (this.options.script && !this.greeted) {
          this.greeted = true;
          void this.speak(this.options.script.greeting);
        }
        for (const wake of this.responseCreateWaiters.splice(0)) wake();
        if (this.options.serverVad && !this.options.script) void this.answerNext();
        setTimeout(() => this.answerIfUnanswered(), this.options.autoAnswerMs ?? 1000);
        return;
      }
      case 'response.cancel':
        if (this.activeResponse) this.activeResponse.cancelled = true;
        else
          this.sendError(
            {
              type: 'invalid_request_error',
              code: 'response_cancel_not_active',
              message: 'Cancellation failed: no active response found',
            },
            event,
          );
        return;
      default:
        return;
    }
  }

  /** A `response.create` nothing answered in time gets an empty response, as the real API always answers. */
  private answerIfUnanswered(): void {
    if (this.unansweredCreates === 0 || this.isClosed || this.hung) return;
    const run = async () => {
      if (this.unansweredCreates === 0 || this.isClosed || this.hung) return;
      const responseId = nextId('resp');
      const active: ActiveResponse = { cancelled: false };
      this.activeResponse = active;
      this.sendResponseCreated(responseId);
      // The model "decides" for a moment: a cancel in that window cancels it, as on the real API.
      await delay(this.options.autoAnswerRunMs ?? AUTO_ANSWER_RUN_MS);
      if (this.activeResponse === active) this.activeResponse = undefined;
      this.send({
        type: 'response.done',
        response: {
          id: responseId,
          object: 'realtime.response',
          status: active.cancelled ? 'cancelled' : 'completed',
          ...(active.cancelled ? { status_details: { type: 'cancelled', reason: 'client_cancelled' } } : {}),
          output: [],
        },
      });
    };
    this.responseChain = this.responseChain.then(run, run);
  }

  private failResponse(how: 'error' | 'failed', cause: Json): void {
    const error = { type: 'server_error', code: 'server_error', message: 'The server had an error.' };
    if (how === 'error') {
      this.sendError(error, cause);
      return;
    }
    const run = async () => {
      const responseId = nextId('resp');
      this.sendResponseCreated(responseId);
      this.send({
        type: 'response.done',
        response: {
          id: responseId,
          object: 'realtime.response',
          status: 'failed',
          status_details: { type: 'failed', error: { type: error.type, code: error.code } },
          output: [],
        },
      });
    };
    this.responseChain = this.responseChain.then(run, run);
  }

  /** `response.created` for a new response; it answers the oldest unanswered `response.create`. */
  private sendResponseCreated(responseId: string): void {
    if (this.unansweredCreates > 0) this.unansweredCreates--;
    this.send({
      type: 'response.created',
      response: { id: responseId, object: 'realtime.response', status: 'in_progress', output: [] },
    });
  }

  private onSessionUpdate(session: Json): void {
    const failures = this.options.failures ?? {};
    if (failures.sessionError) {
      this.sendError({
        type: 'invalid_request_error',
        code: 'invalid_value',
        message: failures.sessionError,
      });
      return;
    }
    this.sessionConfig = session;
    if (failures.withholdSessionUpdated) return;
    this.send({ type: 'session.updated', session: this.effectiveSession(session) });
  }

  /** The full effective configuration, as the server reports it: our defaults overlaid by the update. */
  private effectiveSession(update: Json): Json {
    const audio = (update.audio ?? {}) as { input?: Json; output?: Json };
    return {
      type: 'realtime',
      object: 'realtime.session',
      id: this.id,
      model: this.model,
      output_modalities: update.output_modalities ?? ['audio'],
      instructions: update.instructions ?? 'You are a helpful assistant.',
      audio: {
        input: {
          format: { type: 'audio/pcm', rate: 24000 },
          turn_detection: {
            type: 'server_vad',
            threshold: 0.5,
            prefix_padding_ms: 300,
            silence_duration_ms: 200,
          },
          ...audio.input,
        },
        output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'alloy', speed: 1, ...audio.output },
      },
      tools: update.tools ?? [],
      tool_choice: update.tool_choice ?? 'auto',
      max_output_tokens: 'inf',
    };
  }

  private onAudio(payload: string): void {
    this.appendedAudio.push(payload);
    const audio = Buffer.from(payload, 'base64');
    this.callerBytes += audio.length;
    if (this.vad) {
      this.onVadAudio(audio);
      return;
    }
    const script = this.options.script;
    if (!script || !this.greeted || this.turnIndex >= script.turns.length) return;
    const ms = audio.length / ULAW_BYTES_PER_MS;
    if (!isSilentUlaw(audio)) {
      this.silenceMs = 0;
      if (!this.callerTalking) {
        this.callerTalking = true;
        this.speechStarted();
      }
      return;
    }
    if (!this.callerTalking) return;
    this.silenceMs += ms;
    if (this.silenceMs < (script.endOfTurnSilenceMs ?? END_OF_TURN_SILENCE_MS)) return;
    this.callerTalking = false;
    this.silenceMs = 0;
    const turn = script.turns[this.turnIndex++]!;
    this.turnChain = this.turnChain.then(() => this.playTurn(turn));
  }

  private async playTurn(turn: ScriptedTurn): Promise<void> {
    const responsesBefore = this.responseCreates;
    this.callerTranscript(turn.callerSays);
    // With `create_response` off the server answers only when the client asks (`response.create`).
    if (this.turnDetection().create_response === false) {
      await new Promise<void>((resolve) => {
        if (this.responseCreates > responsesBefore || this.isClosed) return resolve();
        this.responseCreateWaiters.push(resolve);
        void this.closed.then(() => resolve());
      });
    }
    for (const tool of turn.tools ?? []) {
      if (this.isClosed) return;
      await this.functionCall(tool.name, tool.params).catch(() => undefined);
    }
    if (!this.isClosed) await this.speak(turn.agentSays);
  }

  private speak(utterance: AgentUtterance): Promise<ResponseOutcome | undefined> {
    return this.respond({ text: utterance.text, audio: loadClip(utterance.audioClip) }).catch(
      () => undefined,
    );
  }

  private onTruncate(event: Json): void {
    this.truncations.push(event);
    const itemId = event.item_id as string;
    const audioEndMs = event.audio_end_ms as number;
    const sentBytes = this.sentAudioBytes.get(itemId);
    if (sentBytes === undefined || sentBytes === 0) {
      this.sendError(
        {
          type: 'invalid_request_error',
          code: 'invalid_value',
          message: 'Only model output audio messages can be truncated',
          param: 'item_id',
        },
        event,
      );
      return;
    }
    const sentMs = Math.floor(sentBytes / ULAW_BYTES_PER_MS);
    if (audioEndMs > sentMs) {
      this.sendError(
        {
          type: 'invalid_request_error',
          code: 'invalid_value',
          message: `Audio content of ${sentMs}ms is already shorter than ${audioEndMs}ms`,
          param: 'audio_end_ms',
        },
        event,
      );
      return;
    }
    this.send({
      type: 'conversation.item.truncated',
      item_id: itemId,
      content_index: 0,
      audio_end_ms: audioEndMs,
    });
  }

  private async streamResponse(options: RespondOptions): Promise<ResponseOutcome> {
    const responseId = nextId('resp');
    const itemId = options.itemId ?? nextId('item');
    const active: ActiveResponse = { cancelled: false };
    this.activeResponse = active;
    this.sentAudioBytes.set(itemId, this.sentAudioBytes.get(itemId) ?? 0);
    const item = (status: string, transcript?: string) => ({
      id: itemId,
      object: 'realtime.item',
      type: 'message',
      status,
      role: 'assistant',
      content: transcript === undefined ? [] : [{ type: 'output_audio', transcript }],
    });
    const ids = { response_id: responseId, item_id: itemId, output_index: 0, content_index: 0 };
    this.sendResponseCreated(responseId);
    this.send({
      type: 'response.output_item.added',
      response_id: responseId,
      output_index: 0,
      item: item('in_progress'),
    });
    this.send({ type: 'conversation.item.added', previous_item_id: null, item: item('in_progress') });
    this.send({ type: 'response.content_part.added', ...ids, part: { type: 'audio', transcript: '' } });

    const chunkBytes = this.options.audioChunkBytes ?? 800;
    const intervalMs = chunkBytes / ULAW_BYTES_PER_MS / (this.options.audioSpeedup ?? 10);
    let sent = 0;
    for (let offset = 0; offset < options.audio.length; offset += chunkBytes) {
      if (active.cancelled || this.isClosed) break;
      const chunk = options.audio.subarray(offset, offset + chunkBytes);
      this.send({ type: 'response.output_audio.delta', ...ids, delta: chunk.toString('base64') });
      sent += chunk.length;
      this.sentAudioBytes.set(itemId, (this.sentAudioBytes.get(itemId) ?? 0) + chunk.length);
      await delay(intervalMs);
    }
    const cancelled = active.cancelled || sent < options.audio.length;
    // What was said so far: the transcript of a cut-off response is cut off too.
    const transcript = cancelled
      ? spokenPart(options.text, sent / Math.max(1, options.audio.length))
      : options.text;
    const status = cancelled ? 'cancelled' : 'completed';
    if (this.activeResponse === active) this.activeResponse = undefined;
    if (!this.isClosed) {
      this.send({ type: 'response.output_audio.done', ...ids });
      this.send({ type: 'response.output_audio_transcript.done', ...ids, transcript });
      this.send({ type: 'response.content_part.done', ...ids, part: { type: 'audio', transcript } });
      const done = item(cancelled ? 'incomplete' : 'completed', transcript);
      this.send({ type: 'response.output_item.done', response_id: responseId, output_index: 0, item: done });
      this.send({ type: 'conversation.item.done', previous_item_id: null, item: done });
      this.send({
        type: 'response.done',
        response: {
          id: responseId,
          object: 'realtime.response',
          status,
          ...(cancelled ? { status_details: { type: 'cancelled', reason: 'turn_detected' } } : {}),
          output: [done],
          usage: simulatedUsage(options.text, sent, this.callerBytes),
        },
      });
    }
    return { responseId, itemId, status, sentBytes: sent };
  }

  private async playFunctionCall(name: string, args: Record<string, unknown>): Promise<Json> {
    const responseId = nextId('resp');
    const itemId = nextId('item');
    const callId = nextId('call');
    const argumentsJson = JSON.stringify(args);
    const item = (status: string, argumentsText: string) => ({
      id: itemId,
      object: 'realtime.item',
      type: 'function_call',
      status,
      call_id: callId,
      name,
      arguments: argumentsText,
    });
    this.sendResponseCreated(responseId);
    this.send({
      type: 'response.output_item.added',
      response_id: responseId,
      output_index: 0,
      item: item('in_progress', ''),
    });
    const ids = { response_id: responseId, item_id: itemId, output_index: 0, call_id: callId };
    this.send({ type: 'response.function_call_arguments.delta', ...ids, delta: argumentsJson });
    this.send({ type: 'response.function_call_arguments.done', ...ids, name, arguments: argumentsJson });
    const done = item('completed', argumentsJson);
    this.send({ type: 'response.output_item.done', response_id: responseId, output_index: 0, item: done });
    this.send({
      type: 'response.done',
      response: {
        id: responseId,
        object: 'realtime.response',
        status: 'completed',
        output: [done],
        usage: simulatedUsage(argumentsJson, 0, this.callerBytes),
      },
    });

    const outputIndex = await this.waitFor(
      (event) =>
        event.type === 'conversation.item.create' &&
        (event.item as Json).type === 'function_call_output' &&
        (event.item as Json).call_id === callId,
      30_000,
      `function_call_output for ${name}`,
    );
    const output = this.events[outputIndex]!.item as Json;
    await this.waitFor(
      (event, index) => event.type === 'response.create' && index > outputIndex,
      this.options.responseCreateWaitMs ?? 2000,
      `response.create after the output of ${name}`,
    ).catch(() => {
      this.violations.push(`${name}: function_call_output not followed by response.create`);
    });
    return output;
  }

  // ---------- plumbing ----------

  private waitFor(predicate: Waiter['predicate'], timeoutMs: number, what: string): Promise<number> {
    for (let index = 0; index < this.events.length; index++) {
      if (predicate(this.events[index]!, index)) return Promise.resolve(index);
    }
    return new Promise((resolve, rejectWait) => {
      const waiter: Waiter = {
        predicate,
        resolve: (index) => {
          clearTimeout(timer);
          resolve(index);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        rejectWait(new Error(`OpenAI sim: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
      // A closed socket will never deliver it.
      void this.closed.then(() => {
        if (!this.waiters.includes(waiter)) return;
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        clearTimeout(timer);
        rejectWait(new Error(`OpenAI sim: socket closed while waiting for ${what}`));
      });
    });
  }

  private callerMs(): number {
    return Math.floor(this.callerBytes / ULAW_BYTES_PER_MS);
  }

  private reject(event: Json | undefined, problems: string[], code: string): void {
    const type = typeof event?.type === 'string' ? event.type : '(unknown)';
    this.violations.push(...problems.map((p) => `client ${type}: ${p}`));
    this.sendError({ type: 'invalid_request_error', code, message: problems[0] ?? 'invalid event' }, event);
  }

  private sendError(
    error: { type: string; code: string; message: string; param?: string },
    cause?: Json,
  ): void {
    const event = {
      type: 'error',
      error: {
        param: null,
        ...error,
        event_id: typeof cause?.event_id === 'string' ? cause.event_id : null,
      },
    };
    this.errorsSent.push(event);
    this.send(event);
  }

  /** Sends one frame exactly as given, unvalidated: what a broken server might send (malformed-input tests). */
  sendRaw(text: string): void {
    this.ws.send(text);
  }

  private send(event: Json): void {
    if (this.frozen) return;
    if (this.isClosed || this.hung || this.ws.readyState !== this.ws.OPEN) return;
    const full = { event_id: nextId('event'), ...event };
    const problems = validateServerEvent(full);
    if (problems.length > 0) this.violations.push(...problems.map((p) => `simulator sent ${p}`));
    this.sent.push(full);
    this.ws.send(JSON.stringify(full));
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The first `fraction` of the words of `text`. */
function spokenPart(text: string, fraction: number): string {
  const words = text.split(/\s+/).filter(Boolean);
  return words.slice(0, Math.floor(words.length * fraction)).join(' ');
}

/**
 * `response.done` usage shaped like the real API's: audio tokens from the audio's length (the real
 * rate for audio input is about 10 tokens a second, output about 20), text tokens from the words.
 */
function simulatedUsage(text: string, outputAudioBytes: number, inputAudioBytes: number): Json {
  const outputText = Math.ceil(text.length / 4);
  const outputAudio = Math.ceil(outputAudioBytes / ULAW_BYTES_PER_MS / 50);
  const inputAudio = Math.ceil(inputAudioBytes / ULAW_BYTES_PER_MS / 100);
  const inputText = 400;
  const cached = Math.floor(inputText / 2);
  return {
    total_tokens: inputText + inputAudio + outputText + outputAudio,
    input_tokens: inputText + inputAudio,
    output_tokens: outputText + outputAudio,
    input_token_details: {
      text_tokens: inputText,
      audio_tokens: inputAudio,
      image_tokens: 0,
      cached_tokens: cached,
      cached_tokens_details: { text_tokens: cached, audio_tokens: 0, image_tokens: 0 },
    },
    output_token_details: { text_tokens: outputText, audio_tokens: outputAudio },
  };
}
