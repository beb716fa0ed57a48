/**
 * The voice-engine port: one interface, two implementations (adapters `elevenlabs` and
 * `openai-realtime`), chosen per call. The bridge branches on `capabilities`, never on `name`.
 * Audio is base64 G.711 μ-law 8 kHz in both directions and passes through as the same string.
 */
import type { BusinessProfile } from '../shared/business-profile.js';
import type { EngineName, EngineUsage } from '../shared/engines.js';
import type { KnownCustomer } from './crm.js';
import type { ToolDefinition, ToolResult } from './tool-calls.js';

export interface EngineCapabilities {
  /** Who ends the caller's turn: the engine's own model (ElevenLabs turn-taking, OpenAI semantic VAD). */
  turnDetection: 'engine';
  /**
   * Who decides that caller speech over the agent is a barge-in. `engine`: the engine's own model
   * reports `interruption` (ElevenLabs). `bridge`: the engine only reports the caller's speech
   * starting and ending (OpenAI with `interrupt_response` and `create_response` off); the bridge
   * lets a backchannel shorter than BARGE_IN_MIN_MS pass, stops the agent otherwise
   * (`cancelResponse`), and asks for the answer once a real turn ends (`respond`).
   */
  bargeIn: 'engine' | 'bridge';
  /**
   * After a barge-in the engine must be told how much of its audio the caller actually heard
   * (OpenAI `conversation.item.truncate`). The bridge then tracks playback with Twilio marks.
   */
  truncateOnBargeIn: boolean;
  /** How tool calls travel on the wire; the bridge uses `toolCall` / `sendToolResult` for both. */
  toolProtocol: 'client-tool' | 'function-call';
}

/**
 * The conversation so far, handed to the next engine when the serving one drops mid-call, or to
 * the engine that takes the caller back after a transfer nobody answered.
 */
export interface Handover {
  /** `failover` (default): the engine that dropped, and why. `transfer-unanswered`: the engine that served before the transfer. */
  kind?: 'failover' | 'transfer-unanswered';
  from: EngineName;
  reason: string;
  /** What was said, as the caller heard it, oldest first. */
  turns: Array<{ role: 'caller' | 'agent'; text: string }>;
  /** What the tools already did: the agent must not book or email twice. */
  toolResults: Array<{ name: string; args: unknown; result: string }>;
}

/** Everything an engine needs to start a conversation for one call. */
export interface EngineCallContext {
  callSid: string;
  streamSid: string;
  direction: 'inbound' | 'outbound';
  /** The other party's number (the caller for inbound, the callee for outbound), E.164. */
  remoteNumber: string;
  businessName: string;
  businessTimezone: string;
  /** Epoch ms of the call's start; engines render it as local time in the business time zone. */
  now: number;
  customer?: KnownCustomer;
  /** Why we are calling (outbound only). */
  outboundReason?: string;
  /** What the owner has told the agent about the business (read per call); absent: nothing on file. */
  businessProfile?: BusinessProfile;
  tools: ToolDefinition[];
  /** The call is recorded (RECORD_CALLS=on): the agent's first words say so. */
  recorded?: boolean;
  /** Set when this engine takes over a call another engine was serving (mid-call failover). */
  handover?: Handover;
}

/**
 * Why a connected engine was judged frozen (a frozen engine is an engine that dropped: the failover
 * composite replaces it like one that closed). Stable values, counted per engine (`EngineStalls`):
 * - `keepalive`: its liveness signal stopped (OpenAI: no pong to our WebSocket pings; ElevenLabs:
 *   its `ping`s stopped arriving) and nothing else came either;
 * - `response`: it was due to answer and did not (OpenAI: no `response.created` or output within the
 *   response timeout of a `response.create`; ElevenLabs: no agent event within its reply timeout of
 *   the caller's turn ending);
 * - `backpressure`: its socket stopped draining (more than the composite's limit queued unsent).
 */
export type EngineStall = 'keepalive' | 'response' | 'backpressure';

export type EngineEndReason =
  | { kind: 'engine-closed'; code: number; detail?: string }
  | { kind: 'engine-error'; detail: string }
  /** The engine is connected but frozen; the adapter has already dropped its socket. */
  | { kind: 'engine-stalled'; stall: EngineStall; detail: string };

export function isEngineStall(
  reason: EngineEndReason,
): reason is Extract<EngineEndReason, { kind: 'engine-stalled' }> {
  return reason.kind === 'engine-stalled';
}

/** Mid-call: the serving engine dropped and the failover composite is connecting the next one. */
export interface EngineSwitch {
  /** The engine that dropped. */
  from: EngineName;
  /** Why, as recorded in `failoverReason` (e.g. `engine-stalled (keepalive): no pong for 5000 ms`). */
  reason: string;
  /** Set when it dropped because it froze (counted as `EngineStalls`). */
  stall?: EngineStall;
  /** Epoch ms it dropped. */
  at: number;
}

/** The engine now serving the call (a failover composite reports each member it switches to, with why). */
export interface EngineChange {
  engine: EngineName;
  capabilities: EngineCapabilities;
  /** Epoch ms the engine became ready. */
  at: number;
  /**
   * Mid-call: the engine that dropped, why, and when it dropped (epoch ms); `stall` when it dropped
   * because it froze.
   */
  previous?: { engine: EngineName; reason: string; droppedAt: number; stall?: EngineStall };
  /** At call start: the engines that could not start, and why (`engine: reason; …`). */
  startFailures?: string;
  /** The new engine's conversation id, when it has one (matched by the post-call webhook). */
  conversationId?: string;
}

/** Events an engine session reports to the bridge. Called synchronously from socket handlers. */
export interface EngineListener {
  /** Agent audio to play to the caller; `itemId` names the response it belongs to, when the engine has one. */
  audio(payload: string, itemId?: string): void;
  /** `bargeIn: 'engine'`: the engine decided the caller barged in: stop playback now. */
  interruption(): void;
  /** `bargeIn: 'bridge'`: the caller started speaking (it may be a backchannel). */
  callerSpeechStarted(): void;
  /** The caller stopped speaking and the engine's turn-taking ended their turn (turn latency starts). */
  callerTurnEnded(): void;
  /**
   * A completed transcript turn. `itemId` ties an agent turn to its audio (for truncation);
   * `interrupted` marks an agent turn the caller cut off (the text is what they heard).
   * `replacesLast` corrects the previous agent turn (ElevenLabs `agent_response_correction`).
   */
  transcript(
    role: 'caller' | 'agent',
    text: string,
    details?: { itemId?: string; interrupted?: boolean; replacesLast?: boolean },
  ): void;
  /** The agent asks to run a tool; answer with `sendToolResult`. */
  toolCall(call: { callId: string; name: string; args: unknown }): void;
  /** Model usage of one response (engines that bill per token). */
  usage(usage: EngineUsage): void;
  /**
   * This engine serves the call now. A plain engine sends it once, when it is ready and before its
   * first audio (the bridge sets up the playback for the engine it is told of). The failover
   * composite passes each member's on (or sends one for a member that did not), with why it
   * switched: `startFailures` at call start, `previous` after a mid-call drop.
   */
  engineChanged(change: EngineChange): void;
  /**
   * Mid-call, sent by the failover composite only: the serving engine dropped (closed, failed or
   * froze) and the next one is connecting. The bridge plays the hold prompt (`HOLD_PROMPT_FRAMES`)
   * so the caller hears "One moment, please." rather than silence; `engineChanged` follows once the
   * next engine is ready, or `ended` when none is left.
   */
  switching?(event: EngineSwitch): void;
  /** The engine session ended after it was ready (a close or a fatal error). */
  ended(reason: EngineEndReason): void;
}

export interface EngineSession {
  /**
   * The vendor's id of this conversation (ElevenLabs `conversation_id`), when it has one: recorded
   * on the call session so the post-call webhook is matched to the conversation the call started.
   */
  conversationId?: string;
  /**
   * Caller audio, forwarded untouched. Must not block or await. Returns false when the session can
   * no longer take it (its socket is closing): the failover composite keeps that audio for the next engine.
   */
  sendCallerAudio(payload: string): boolean;
  sendToolResult(callId: string, result: ToolResult): void;
  /** Only called when `capabilities.truncateOnBargeIn`: the caller heard `audioEndMs` of `itemId`. */
  truncate(itemId: string, audioEndMs: number): void;
  /** `bargeIn: 'bridge'`: the caller barged in; stop the response in progress (if any). */
  cancelResponse(): void;
  /** `bargeIn: 'bridge'`: the caller's turn ended and was not a backchannel; answer it. */
  respond(): void;
  /** A keypad digit the caller pressed, passed to the agent as context. */
  sendKeypress(digit: string): void;
  /** An instruction for the agent from the system (e.g. wrap up), without interrupting it. */
  instruct(text: string): void;
  /**
   * Bytes queued on the engine socket and not yet sent. The failover composite checks it on every
   * caller frame and fails a member over past its limit (`engine-stalled`, `backpressure`).
   */
  bufferedAmount(): number;
  /** Ends the engine session (WebSocket close 1000). Idempotent. */
  close(): void;
}

export class EngineStartError extends Error {
  constructor(
    readonly engine: EngineName,
    readonly reason: string,
  ) {
    super(`${engine} could not start: ${reason}`);
    this.name = 'EngineStartError';
  }
}

export interface VoiceEngine {
  readonly name: EngineName;
  readonly capabilities: EngineCapabilities;
  /**
   * Connects and resolves once the engine is ready for audio (ElevenLabs
   * `conversation_initiation_metadata`, OpenAI `session.updated`). Rejects with `EngineStartError`
   * when it cannot be reached, answers wrongly, or `signal` aborts (the connect timeout); a rejected
   * start leaves no socket or timer behind.
   */
  start(context: EngineCallContext, listener: EngineListener, signal: AbortSignal): Promise<EngineSession>;
}
