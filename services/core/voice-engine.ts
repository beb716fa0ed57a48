/**
 * The voice-engine port: one interface, two implementations (adapters `elevenlabs` and
 * `openai-realtime`), chosen per call. The bridge branches on `capabilities`, never on `name`.
 * Audio is base64 G.711 μ-law 8 kHz in both directions and passes through as the same string.
 */
import type { BusinessProfile } from './business-profile.js';
import type { ToolDefinition, ToolResult } from './tool-types.js';

export type EngineName = 'elevenlabs' | 'openai';
export const ENGINE_NAMES: readonly EngineName[] = ['elevenlabs', 'openai'];

export function otherEngine(name: EngineName): EngineName {
  return name === 'elevenlabs' ? 'openai' : 'elevenlabs';
}

export interface EngineCapabilities {
  /** Who ends the caller's turn: the engine's own model (ElevenLabs turn-taking, OpenAI semantic VAD). */
  turnDetection: 'engine';
  /**
   * After a barge-in the engine must be told how much of its audio the caller actually heard
   * (OpenAI `conversation.item.truncate`). The bridge then tracks playback with Twilio marks.
   */
  truncateOnBargeIn: boolean;
  /** How tool calls travel on the wire; the bridge uses `toolCall` / `sendToolResult` for both. */
  toolProtocol: 'client-tool' | 'function-call';
}

/** What the CRM knows about a returning caller that helps the agent. */
export interface KnownCustomer {
  id: string;
  name?: string;
  /** Local `YYYY-MM-DDTHH:mm` of the caller's next booked appointment, if any. */
  openAppointment?: string;
  lastCallSummary?: string;
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
}

export type EngineEndReason =
  | { kind: 'engine-closed'; code: number; detail?: string }
  | { kind: 'engine-error'; detail: string };

/** Events an engine session reports to the bridge. Called synchronously from socket handlers. */
export interface EngineListener {
  /** Agent audio to play to the caller; `itemId` names the response it belongs to, when the engine has one. */
  audio(payload: string, itemId?: string): void;
  /** The caller started speaking over the agent: stop playback now. */
  interruption(): void;
  /** The engine's turn-taking decided the caller has finished speaking (turn-latency metric). */
  callerTurnEnded(): void;
  /** A completed transcript turn. */
  transcript(role: 'caller' | 'agent', text: string): void;
  /** The agent asks to run a tool; answer with `sendToolResult`. */
  toolCall(call: { callId: string; name: string; args: unknown }): void;
  /** The engine session ended after it was ready (a close or a fatal error). */
  ended(reason: EngineEndReason): void;
}

export interface EngineSession {
  /** Caller audio, forwarded untouched. Must not block or await. */
  sendCallerAudio(payload: string): void;
  sendToolResult(callId: string, result: ToolResult): void;
  /** Only called when `capabilities.truncateOnBargeIn`: the caller heard `audioEndMs` of `itemId`. */
  truncate(itemId: string, audioEndMs: number): void;
  /** A keypad digit the caller pressed, passed to the agent as context. */
  sendKeypress(digit: string): void;
  /** Bytes queued on the engine socket and not yet sent: the bridge ends a call that cannot keep up. */
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
