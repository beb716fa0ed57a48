/**
 * A simulated ElevenLabs Conversational AI service on 127.0.0.1 for end-to-end tests and the local
 * demo: the signed-URL REST call and the conversation WebSocket (docs/protocols.md §1). Every message in
 * both directions is checked against the official AsyncAPI contract (elevenlabs-schemas.ts), and
 * protocol misuse by the client (audio before the metadata, an unknown pong or tool_call_id, a
 * missing pong) is recorded in `violations`, never thrown.
 *
 * Two modes, per conversation:
 * - driven by the test: `conv.sendAudio`, `conv.interrupt()`, `conv.toolCall(…)` and so on;
 * - scripted (`script` given): greeting on connect, then one turn each time the caller has spoken
 *   and then been silent for `endOfTurnSilenceMs` (counted in received audio, so unpaced audio
 *   works too), with the turn's tools run through `client_tool_call` before the agent answers.
 *
 *   const el = await startElevenLabsSim({ apiKey: 'k', agentId: 'agent_1' });
 *   // configure the bridge with ELEVENLABS_API_URL = el.apiUrl
 *   const conv = await el.nextConversation(5000);
 *   conv.sendAudio(loadClip('agent-greeting'));
 *   await el.close();
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { FRAME_BYTES, FRAME_MS, isSilentUlaw, loadClip } from './audio.js';
import { validateElevenLabsClientMessage, validateElevenLabsServerMessage } from './elevenlabs-schemas.js';
import { ObservedPeer } from './observed-peer.js';
import { type AgentUtterance, type ConversationScript, END_OF_TURN_SILENCE_MS } from './script.js';
import { describeMessage, isRecord, type Violation } from './violation.js';
import { handled, Waiter } from './waiter.js';

export type ElevenLabsAudioFormat =
  | 'pcm_8000'
  | 'pcm_16000'
  | 'pcm_22050'
  | 'pcm_24000'
  | 'pcm_44100'
  | 'pcm_48000'
  | 'ulaw_8000';

/** Failures to inject. The object is live: change `sim.failures.*` between calls of one test. */
export interface ElevenLabsSimFailures {
  /** Answer get-signed-url with this HTTP status (e.g. 500, 503) instead of a signed URL. */
  signedUrlStatus?: number;
  /** Refuse the WebSocket upgrade with HTTP 503. */
  refuseSocket?: boolean;
  /** Accept the socket and record the initiation, but never send `conversation_initiation_metadata`. */
  withholdMetadata?: boolean;
  /**
   * Script mode: the agent never answers a caller turn (it sends the `user_transcript`, then nothing),
   * while pings go on: a frozen LLM or TTS. Per conversation: `withholdReplies()`.
   */
  withholdReplies?: boolean;
  /** Never answer a WebSocket ping (a service or proxy that does not); fixed when the simulator starts. */
  ignorePings?: boolean;
}

export interface ElevenLabsSimOptions {
  apiKey: string;
  agentId: string;
  /** The agent's audio formats, reported in the metadata. Default `ulaw_8000` both ways. */
  formats?: { input: ElevenLabsAudioFormat; output: ElevenLabsAudioFormat };
  /**
   * Play this conversation on every connection (see the module comment). Turn detection reads the
   * caller audio as μ-law, so it needs `formats.input` = `ulaw_8000` (the default).
   */
  script?: ConversationScript;
  /**
   * The agent's configured first message, with `{{variable}}` placeholders filled from the
   * conversation's dynamic variables (agent:sync sets `{{first_message}}`). In script mode it is the
   * greeting's text; an unsent variable ends the conversation like the service does.
   */
  firstMessage?: string;
  failures?: ElevenLabsSimFailures;
  /**
   * Send the metadata as soon as the socket opens instead of after the client's initiation data
   * (the real service may; a bridge must attach its handlers before `open`). Default false.
   */
  metadataOnConnect?: boolean;
  /** A pong later than this after its ping is a violation (default 2000 ms). */
  pongDeadlineMs?: number;
  /** Ping every this many ms once the metadata is sent, like the real service (default: no automatic pings). */
  pingIntervalMs?: number;
  /** Default size of an agent `audio` event's chunk (default 1600 bytes = 200 ms of ulaw_8000). */
  audioChunkBytes?: number;
  /** How long `toolCall` waits for the `client_tool_result` (default 10000 ms). */
  toolResultTimeoutMs?: number;
}

export interface SignedUrlRequest {
  agentId: string | null;
  /** Whether `xi-api-key` matched. */
  apiKeyValid: boolean;
  status: number;
}

export interface SocketAttempt {
  agentId: string | null;
  signature: string | null;
  /** 101 when accepted, else the HTTP status the upgrade was refused with. */
  status: number;
  why?: string;
}

/** Messages the client sends, as they arrive (validated against the contract). */
export interface ConversationInitiationClientData {
  type: 'conversation_initiation_client_data';
  conversation_config_override?: Record<string, unknown>;
  custom_llm_extra_body?: Record<string, unknown>;
  dynamic_variables?: Record<string, string | number | boolean>;
  user_id?: string | null;
  source_info?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ClientToolResult {
  type: 'client_tool_result';
  tool_call_id: string;
  result: string;
  is_error: boolean;
}

export interface Pong {
  type: 'pong';
  event_id: number;
}

export interface TranscriptLine {
  role: 'user' | 'agent';
  text: string;
}

const SIGNED_URL_PATH = '/v1/convai/conversation/get-signed-url';
const CONVERSATION_PATH = '/v1/convai/conversation';
/** A signed URL expires 15 minutes after it is issued (docs/protocols.md §1.1). */
const SIGNATURE_TTL_MS = 15 * 60 * 1000;
/** Default caller silence that ends a scripted turn: shared with the OpenAI simulator (script.ts). */
export const DEFAULT_END_OF_TURN_SILENCE_MS = END_OF_TURN_SILENCE_MS;

function randomId(prefix: string): string {
  return prefix + randomBytes(12).toString('hex');
}

/**
 * Ends a caller turn after speech followed by `silenceMs` of silence, measured in audio time
 * (160-byte μ-law frames), so it behaves the same for paced and unpaced audio.
 */
class TurnDetector {
  private leftover: Buffer = Buffer.alloc(0);
  private heardSpeech = false;
  private silentMs = 0;

  constructor(
    private readonly silenceMs: number,
    private readonly onTurnEnd: () => void,
  ) {}

  feed(audio: Buffer): void {
    let buffer = this.leftover.length > 0 ? Buffer.concat([this.leftover, audio]) : audio;
    while (buffer.length >= FRAME_BYTES) {
      const frame = buffer.subarray(0, FRAME_BYTES);
      buffer = buffer.subarray(FRAME_BYTES);
      if (isSilentUlaw(frame)) {
        this.silentMs += FRAME_MS;
        if (this.heardSpeech && this.silentMs >= this.silenceMs) {
          this.heardSpeech = false;
          this.silentMs = 0;
          this.onTurnEnd();
        }
      } else {
        this.heardSpeech = true;
        this.silentMs = 0;
      }
    }
    this.leftover = Buffer.from(buffer);
  }
}

interface PendingPing {
  sentAt: number;
  resolve: (pong: Pong) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface PendingToolCall {
  resolve: (result: ClientToolResult) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** One conversation (one WebSocket) on the simulated service. */
export class SimConversation extends ObservedPeer {
  readonly conversationId = randomId('conv_');
  /** The client's `conversation_initiation_client_data`, once received. */
  initiation: ConversationInitiationClientData | undefined;
  /** Every message the simulator sent, in order. */
  readonly sent: Array<Record<string, unknown>> = [];
  /** The `user_audio_chunk` strings received, exactly as sent, in order. */
  readonly userAudioChunks: string[] = [];
  readonly pongs: Pong[] = [];
  /** Round-trip times of answered pings, in ms. */
  readonly pongLatenciesMs: number[] = [];
  readonly toolResults: ClientToolResult[] = [];
  /** What was said, as the service reported it (user transcripts and agent responses it sent). */
  readonly transcript: TranscriptLine[] = [];
  readonly violations: Violation[] = [];
  /** Resolves when the socket has closed, from either side. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /**
   * Script mode: resolves when the greeting and every scripted turn have been sent (at once without
   * a script); rejects if the conversation closes first.
   */
  readonly scriptDone: Promise<void>;
  /** Script mode: caller turns answered so far. */
  turnsCompleted = 0;

  private eventId = 0;
  private metadataSent = false;
  private firstMessageSeen = false;
  private isClosed = false;
  private userAudioByteCount = 0;
  private lastPingMs: number | undefined;
  private readonly pendingPings = new Map<number, PendingPing>();
  private readonly pendingToolCalls = new Map<string, PendingToolCall>();
  private pingTimer: NodeJS.Timeout | undefined;
  private turnEnds = 0;
  private hung = false;
  private repliesWithheld = false;
  private readonly detector: TurnDetector | undefined;
  private resolveScriptDone: () => void = () => undefined;
  private rejectScriptDone: (error: Error) => void = () => undefined;

  /** @internal created by the simulator */
  constructor(
    private readonly ws: WebSocket,
    private readonly options: ElevenLabsSimOptions,
    private readonly reportViolation: (v: Violation) => void,
  ) {
    super('a conversation condition');
    this.scriptDone = handled(
      new Promise((resolve, reject) => {
        this.resolveScriptDone = resolve;
        this.rejectScriptDone = reject;
      }),
    );
    if (!options.script) this.resolveScriptDone();
    if (options.script && this.formats.input === 'ulaw_8000') {
      const silenceMs = options.script.endOfTurnSilenceMs ?? DEFAULT_END_OF_TURN_SILENCE_MS;
      this.detector = new TurnDetector(silenceMs, () => {
        this.turnEnds += 1;
        this.waiter.notify();
      });
    }
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.isClosed = true;
        clearInterval(this.pingTimer);
        for (const ping of this.pendingPings.values()) {
          clearTimeout(ping.timer);
          ping.reject(new Error('the conversation closed before the pong'));
        }
        this.pendingPings.clear();
        for (const call of this.pendingToolCalls.values()) {
          clearTimeout(call.timer);
          call.reject(new Error('the conversation closed before the tool result'));
        }
        this.pendingToolCalls.clear();
        const turns = options.script?.turns.length ?? 0;
        this.rejectScriptDone(
          new Error(`the conversation closed after ${this.turnsCompleted} of ${turns} scripted turns`),
        );
        resolve({ code, reason: reason.toString('utf8') });
        this.waiter.notify();
      });
    });
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    if (options.metadataOnConnect) this.sendMetadata();
  }

  get formats(): { input: ElevenLabsAudioFormat; output: ElevenLabsAudioFormat } {
    return this.options.formats ?? { input: 'ulaw_8000', output: 'ulaw_8000' };
  }

  /** The `dynamic_variables` of the initiation (empty until it arrives). */
  get dynamicVariables(): Record<string, string | number | boolean> {
    return this.initiation?.dynamic_variables ?? {};
  }

  /** Whether `conversation_initiation_metadata` has been sent. */
  get ready(): boolean {
    return this.metadataSent;
  }

  get isOpen(): boolean {
    return !this.isClosed && this.ws.readyState === WebSocket.OPEN;
  }

  /** @internal whether the client has sent anything yet */
  get started(): boolean {
    return this.firstMessageSeen;
  }

  /** All user audio received, concatenated. */
  userAudio(): Buffer {
    return Buffer.concat(this.userAudioChunks.map((chunk) => Buffer.from(chunk, 'base64')));
  }

  get userAudioBytes(): number {
    return this.userAudioByteCount;
  }

  /** Client messages of one `type` (e.g. `contextual_update`, `user_message`). */
  receivedOfType(type: string): Array<Record<string, unknown>> {
    return this.receivedWhere('type', type);
  }

  waitForUserAudio(bytes: number, timeoutMs: number): Promise<void> {
    return this.waitFor((c) => c.userAudioBytes >= bytes, timeoutMs, `${bytes} bytes of user audio`);
  }

  async waitForClose(timeoutMs: number): Promise<{ code: number; reason: string }> {
    await this.waitFor((c) => c.isClosed, timeoutMs, 'the conversation to close');
    return this.closed;
  }

  /**
   * Agent audio (bytes in the agent output format) as `audio` events of `chunkBytes`, all sent at
   * once (the service streams faster than real time). Returns the event ids, increasing.
   */
  sendAudio(audio: Buffer, options: { chunkBytes?: number } = {}): number[] {
    const chunkBytes = options.chunkBytes ?? this.options.audioChunkBytes ?? 1600;
    const ids: number[] = [];
    for (let offset = 0; offset < audio.length; offset += chunkBytes) {
      const id = this.nextEventId();
      this.sendAudioEvent(audio.subarray(offset, offset + chunkBytes).toString('base64'), id);
      ids.push(id);
    }
    return ids;
  }

  /** One `audio` event exactly as given (e.g. a late chunk with an old id after an interruption). */
  sendAudioEvent(audioBase64: string, eventId: number): void {
    this.eventId = Math.max(this.eventId, eventId);
    this.emit({ type: 'audio', audio_event: { audio_base_64: audioBase64, event_id: eventId } });
  }

  /** The caller barged in: sends `interruption` and returns its event id. */
  interrupt(): number {
    const id = this.nextEventId();
    this.emit({ type: 'interruption', interruption_event: { event_id: id } });
    return id;
  }

  /** Sends `agent_response_correction` (what the agent really got to say before an interruption). */
  correctAgentResponse(original: string, corrected: string): number {
    const id = this.nextEventId();
    this.emit({
      type: 'agent_response_correction',
      agent_response_correction_event: {
        original_agent_response: original,
        corrected_agent_response: corrected,
        event_id: id,
      },
    });
    return id;
  }

  /**
   * Sends `ping` and resolves with the client's `pong`. A pong later than `pongDeadlineMs` (or never)
   * is a violation and rejects; a close before the deadline only rejects.
   */
  ping(): Promise<Pong> {
    const id = this.nextEventId();
    const deadlineMs = this.options.pongDeadlineMs ?? 2000;
    const promise = new Promise<Pong>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingPings.delete(id);
        this.violate(`no pong for ping ${id} within ${deadlineMs} ms`, { ping: id });
        reject(new Error(`no pong for ping ${id} within ${deadlineMs} ms`));
      }, deadlineMs);
      this.pendingPings.set(id, { sentAt: performance.now(), resolve, reject, timer });
    });
    this.emit({ type: 'ping', ping_event: { event_id: id, ping_ms: this.lastPingMs ?? null } });
    return handled(promise);
  }

  /** Sends `user_transcript` (what the service heard the caller say); returns its event id. */
  userTranscript(text: string): number {
    const id = this.nextEventId();
    this.transcript.push({ role: 'user', text });
    this.emit({ type: 'user_transcript', user_transcription_event: { user_transcript: text, event_id: id } });
    return id;
  }

  /** Sends `agent_response` (the text of what the agent says); returns its event id. */
  agentResponse(text: string): number {
    const id = this.nextEventId();
    this.transcript.push({ role: 'agent', text });
    this.emit({ type: 'agent_response', agent_response_event: { agent_response: text, event_id: id } });
    return id;
  }

  /**
   * Asks the client to run a client tool; resolves with its `client_tool_result`. No result within
   * `timeoutMs` (default `toolResultTimeoutMs`, 10000) is a violation and rejects.
   */
  toolCall(name: string, parameters: Record<string, unknown>, timeoutMs?: number): Promise<ClientToolResult> {
    const id = this.nextEventId();
    const toolCallId = randomId('toolu_');
    const waitMs = timeoutMs ?? this.options.toolResultTimeoutMs ?? 10_000;
    const promise = new Promise<ClientToolResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingToolCalls.delete(toolCallId);
        this.violate(`no client_tool_result for ${name} (${toolCallId}) within ${waitMs} ms`, { tool: name });
        reject(new Error(`no client_tool_result for ${name} within ${waitMs} ms`));
      }, waitMs);
      this.pendingToolCalls.set(toolCallId, { resolve, reject, timer });
    });
    this.emit({
      type: 'client_tool_call',
      client_tool_call: { tool_name: name, tool_call_id: toolCallId, parameters, event_id: id },
    });
    return handled(promise);
  }

  /**
   * The service freezes: it reads nothing more (so no WebSocket pong and no message is handled) and
   * sends nothing more (no ping, no script), the socket staying open.
   */
  hang(): void {
    this.hung = true;
    clearInterval(this.pingTimer);
    this.ws.pause();
  }

  /** The automatic pings (`pingIntervalMs`) stop; everything else goes on. */
  stopPings(): void {
    clearInterval(this.pingTimer);
  }

  /** Script mode: from now on the agent answers no caller turn (see `failures.withholdReplies`). */
  withholdReplies(): void {
    this.repliesWithheld = true;
  }

  /** Closes the conversation from the service side (1000 = the agent ended it). */
  close(code = 1000, reason?: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.close(code, reason);
  }

  /** Sends an `error` event and then closes with `code`, as the service does (docs/protocols.md §1.5). */
  fail(code: 1002 | 1008 | 1011, errorType: string, message: string): void {
    this.emit({ type: 'error', error_event: { code, message, error_type: errorType, reason: message } });
    this.close(code, message.slice(0, 120));
  }

  // ------------------------------------------------------------------------------------------

  private nextEventId(): number {
    this.eventId += 1;
    return this.eventId;
  }

  private violate(why: string, message: unknown): void {
    const violation = { direction: 'client-to-server', message: describeMessage(message), why };
    this.violations.push(violation);
    this.reportViolation(violation);
  }

  private emit(message: Record<string, unknown>): void {
    if (this.hung || this.ws.readyState !== WebSocket.OPEN) return;
    for (const violation of validateElevenLabsServerMessage(message)) {
      this.violations.push(violation);
      this.reportViolation(violation);
    }
    this.sent.push(message);
    this.ws.send(JSON.stringify(message));
  }

  private sendMetadata(): void {
    if (this.metadataSent || this.options.failures?.withholdMetadata) return;
    this.metadataSent = true;
    this.emit({
      type: 'conversation_initiation_metadata',
      conversation_initiation_metadata_event: {
        conversation_id: this.conversationId,
        agent_output_audio_format: this.formats.output,
        user_input_audio_format: this.formats.input,
      },
    });
    if (this.options.pingIntervalMs) {
      this.pingTimer = setInterval(
        () => void this.ping().catch(() => undefined),
        this.options.pingIntervalMs,
      );
    }
    if (this.options.script) void this.runScript(this.options.script);
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      this.received.push(data);
      this.violate('binary frame (the service takes text JSON)', data);
      this.waiter.notify();
      return;
    }
    const { text, message } = this.receiveText(data);
    const problems = validateElevenLabsClientMessage(text);
    for (const violation of problems) {
      this.violations.push(violation);
      this.reportViolation(violation);
    }
    const first = !this.firstMessageSeen;
    this.firstMessageSeen = true;
    if (problems.length === 0 && isRecord(message)) this.handle(message, first);
    else if (first) this.sendMetadata();
    this.waiter.notify();
  }

  private handle(message: Record<string, unknown>, first: boolean): void {
    const type = message.type;
    if (type === 'conversation_initiation_client_data') {
      if (this.initiation) this.violate('conversation_initiation_client_data sent twice', message);
      else if (!first) this.violate('conversation_initiation_client_data must be the first message', message);
      this.initiation ??= message as ConversationInitiationClientData;
      this.sendMetadata();
      return;
    }
    if (first) {
      this.violate('the first message must be conversation_initiation_client_data', message);
      this.sendMetadata();
    }
    if (type === undefined && typeof message.user_audio_chunk === 'string') {
      if (!this.metadataSent) this.violate('user audio before conversation_initiation_metadata', message);
      const audio = Buffer.from(message.user_audio_chunk, 'base64');
      this.userAudioChunks.push(message.user_audio_chunk);
      this.userAudioByteCount += audio.length;
      this.detector?.feed(audio);
    } else if (type === 'pong') {
      const pong = message as unknown as Pong;
      const pending = this.pendingPings.get(pong.event_id);
      if (!pending) {
        this.violate(`pong for unknown or expired ping ${pong.event_id}`, message);
        return;
      }
      clearTimeout(pending.timer);
      this.pendingPings.delete(pong.event_id);
      const latency = performance.now() - pending.sentAt;
      this.lastPingMs = Math.round(latency);
      this.pongs.push(pong);
      this.pongLatenciesMs.push(latency);
      pending.resolve(pong);
    } else if (type === 'client_tool_result') {
      const result = message as unknown as ClientToolResult;
      const pending = this.pendingToolCalls.get(result.tool_call_id);
      if (!pending) {
        this.violate(`client_tool_result for unknown tool_call_id ${result.tool_call_id}`, message);
        return;
      }
      clearTimeout(pending.timer);
      this.pendingToolCalls.delete(result.tool_call_id);
      this.toolResults.push(result);
      pending.resolve(result);
    }
    // contextual_update, user_message, user_activity, feedback …: recorded in `received`.
  }

  private speak(utterance: AgentUtterance): void {
    this.agentResponse(utterance.text);
    this.sendAudio(loadClip(utterance.audioClip));
  }

  /** The agent's first message with its placeholders filled; undefined after a missing-variable close. */
  private renderFirstMessage(fallback: string): string | undefined {
    const template = this.options.firstMessage;
    if (template === undefined) return fallback;
    const variables = this.dynamicVariables;
    const missing = [...template.matchAll(/\{\{(\w+)\}\}/g)]
      .map((m) => m[1]!)
      .find((name) => !(name in variables));
    if (missing) {
      this.fail(
        1008,
        'missing_dynamic_variable',
        `Missing required dynamic variables in first message: {'${missing}'}`,
      );
      return undefined;
    }
    return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => String(variables[name]));
  }

  private async runScript(script: ConversationScript): Promise<void> {
    const greeting = this.renderFirstMessage(script.greeting.text);
    if (greeting === undefined) return;
    this.speak({ ...script.greeting, text: greeting });
    for (const [index, turn] of script.turns.entries()) {
      await this.waiter.waitFor(() => this.turnEnds > index || this.isClosed, Number.POSITIVE_INFINITY);
      if (this.isClosed) return;
      this.userTranscript(turn.callerSays);
      if (this.repliesWithheld || this.options.failures?.withholdReplies) return;
      for (const tool of turn.tools ?? []) {
        try {
          await this.toolCall(tool.name, tool.params);
        } catch {
          // recorded as a violation by toolCall (or the socket closed); the agent answers anyway
        }
        if (this.isClosed) return;
      }
      this.speak(turn.agentSays);
      this.turnsCompleted += 1;
      this.waiter.notify();
    }
    this.resolveScriptDone();
  }
}

export interface ElevenLabsSim {
  /** Base URL of the REST API, e.g. `http://127.0.0.1:43123` (the bridge's `ELEVENLABS_API_URL`). */
  readonly apiUrl: string;
  /** Every conversation, in connection order. */
  readonly conversations: SimConversation[];
  readonly signedUrlRequests: SignedUrlRequest[];
  readonly socketAttempts: SocketAttempt[];
  /** Violations of every conversation, in order. */
  readonly violations: Violation[];
  /** Live failure switches. */
  readonly failures: ElevenLabsSimFailures;
  /**
   * The next conversation (in connection order) once its client has sent a first message; each call
   * returns a later one. Rejects after `timeoutMs`.
   */
  nextConversation(timeoutMs: number): Promise<SimConversation>;
  /** Closes every conversation (1001) and the server. */
  close(): Promise<void>;
}

/** Starts the simulated service on 127.0.0.1, port 0. */
export async function startElevenLabsSim(options: ElevenLabsSimOptions): Promise<ElevenLabsSim> {
  const failures: ElevenLabsSimFailures = { ...options.failures };
  const simOptions: ElevenLabsSimOptions = { ...options, failures };
  const conversations: SimConversation[] = [];
  const signedUrlRequests: SignedUrlRequest[] = [];
  const socketAttempts: SocketAttempt[] = [];
  const violations: Violation[] = [];
  const issuedSignatures = new Map<string, number>();
  const waiter = new Waiter();
  let cursor = 0;
  let port = 0;

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== SIGNED_URL_PATH) {
      json(res, 404, { detail: 'Not Found' });
      return;
    }
    const agentId = url.searchParams.get('agent_id');
    const apiKeyValid = req.headers['xi-api-key'] === options.apiKey;
    const answer = (status: number, body: unknown): void => {
      signedUrlRequests.push({ agentId, apiKeyValid, status });
      json(res, status, body);
    };
    if (failures.signedUrlStatus) {
      answer(failures.signedUrlStatus, {
        detail: { status: 'simulated_failure', message: 'Simulated failure' },
      });
    } else if (!apiKeyValid) {
      answer(401, { detail: { status: 'invalid_api_key', message: 'Invalid API key' } });
    } else if (agentId !== options.agentId) {
      answer(404, { detail: { status: 'agent_not_found', message: `Agent ${agentId ?? ''} not found` } });
    } else {
      const signature = randomBytes(24).toString('base64url');
      issuedSignatures.set(signature, Date.now());
      const signedUrl = new URL(`ws://127.0.0.1:${port}${CONVERSATION_PATH}`);
      signedUrl.searchParams.set('agent_id', agentId);
      signedUrl.searchParams.set('conversation_signature', signature);
      answer(200, { signed_url: signedUrl.toString() });
    }
  });

  const wss = new WebSocketServer({ noServer: true, autoPong: !failures.ignorePings });
  const refuse = (socket: Duplex, status: number, attempt: Omit<SocketAttempt, 'status'>): void => {
    socketAttempts.push({ ...attempt, status });
    const text = status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : 'Service Unavailable';
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const agentId = url.searchParams.get('agent_id');
    const signature = url.searchParams.get('conversation_signature');
    const attempt = { agentId, signature };
    if (url.pathname !== CONVERSATION_PATH) return refuse(socket, 404, { ...attempt, why: 'unknown path' });
    if (failures.refuseSocket) return refuse(socket, 503, { ...attempt, why: 'refuseSocket' });
    if (agentId !== options.agentId) return refuse(socket, 403, { ...attempt, why: 'unknown agent_id' });
    const issuedAt = signature ? issuedSignatures.get(signature) : undefined;
    if (!signature || issuedAt === undefined) {
      return refuse(socket, 403, {
        ...attempt,
        why: signature ? 'unknown or reused signature' : 'no signature',
      });
    }
    issuedSignatures.delete(signature); // one-time
    if (Date.now() - issuedAt > SIGNATURE_TTL_MS)
      return refuse(socket, 403, { ...attempt, why: 'expired signature' });
    wss.handleUpgrade(req, socket, head, (ws) => {
      socketAttempts.push({ ...attempt, status: 101 });
      const conversation = new SimConversation(ws, simOptions, (violation) => {
        violations.push(violation);
      });
      conversations.push(conversation);
      ws.on('message', () => waiter.notify());
      waiter.notify();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;

  return {
    apiUrl: `http://127.0.0.1:${port}`,
    conversations,
    signedUrlRequests,
    socketAttempts,
    violations,
    failures,
    async nextConversation(timeoutMs: number): Promise<SimConversation> {
      const index = cursor;
      cursor += 1;
      try {
        await waiter.waitFor(
          () => conversations[index]?.started === true,
          timeoutMs,
          `conversation #${index + 1}`,
        );
      } catch (error) {
        cursor = Math.min(cursor, index);
        throw error;
      }
      return conversations[index] as SimConversation;
    },
    async close(): Promise<void> {
      for (const client of wss.clients) client.close(1001, 'server shutting down');
      await Promise.race([
        Promise.all(conversations.map((c) => c.closed)),
        new Promise((resolve) => setTimeout(resolve, 500)),
      ]);
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
