import type { KnownCustomer } from '../ports/crm.js';
import type { ToolResult } from '../ports/tool-calls.js';
import type { EngineName, EngineUsage } from '../shared/engines.js';

import type { CallRecording } from './recording.js';
import type { TurnLatencySummary } from './turn-latency.js';

export type { EngineUsage };

/**
 * `created → streaming → ended → finalising → finalised`; each step is a conditional write, so
 * retries change nothing. `finalising` is set before finalisation reads the transcript: from then on
 * a turn that lands is flagged late, so none falls between the read and `finalised`.
 */
export type CallStatus = 'created' | 'streaming' | 'ended' | 'finalising' | 'finalised';
export type CallDirection = 'inbound' | 'outbound';

/**
 * Whether the other party is who their number says: an outbound call reached the number we dialled;
 * an inbound one only when the carrier attested it (`callerVerified`).
 */
export function otherPartyVerified(call: Pick<CallSession, 'direction' | 'callerVerified'>): boolean {
  return call.direction === 'outbound' || call.callerVerified === true;
}

/** What the tools ask before writing to the customer row of the caller's own number. */
export interface CallerVerification {
  /** `otherPartyVerified` of the call's session; false for an unknown call. */
  callerVerified(callSid: string): Promise<boolean>;
}

/** The other party's number: the caller of an inbound call, the callee of an outbound one. */
export function remoteNumber(call: { direction: CallDirection; from: string; to: string }): string {
  return call.direction === 'inbound' ? call.from : call.to;
}

export interface CallSession {
  callSid: string;
  direction: CallDirection;
  /** E.164 numbers as Twilio reports them. */
  from: string;
  to: string;
  /** The engine chosen from the provider flag when the call was created; never changes mid-call. */
  provider: EngineName;
  /** The engine that actually served the call (differs from `provider` after a failover). */
  servedBy?: EngineName;
  failoverReason?: string;
  /** Failover time: at start, first attempt → the other engine ready; mid-call, drop → its first audio. */
  failoverMs?: number;
  /** Each engine that served the call, in order, with its usage (the cost basis). */
  engineSegments?: EngineSegment[];
  /** Caller stops speaking → first agent audio, over the call's turns. */
  turnLatency?: TurnLatencySummary;
  /** The serving engine's conversation id (ElevenLabs), recorded when the conversation started. */
  conversationId?: string;
  customer?: KnownCustomer;
  /**
   * Inbound: the carrier vouched for `from` (STIR/SHAKEN "A", or `CALLER_CONTEXT_TRUST=any`). Only
   * then may what the caller says (name, email, business) be written to that number's customer row:
   * anyone can claim a number, and the next call from it is greeted with what is stored there.
   */
  callerVerified?: boolean;
  /** SHA-256 (hex) of the one-time stream token; the token itself is never stored. */
  streamTokenHash: string;
  status: CallStatus;
  streamSid?: string;
  /** Outbound only: why we call, as given to `POST /calls`. */
  outboundReason?: string;
  /** Outbound only: the idempotency key of the request that placed the call. */
  outboundRequestId?: string;
  createdAt: number;
  streamingAt?: number;
  endedAt?: number;
  endReason?: string;
  finalisedAt?: number;
  /**
   * Turns written once finalisation had begun, counted: the sweeper adds them to the CRM and lets
   * the call go only if the count is still what it read (a turn landing meanwhile keeps it listed).
   */
  lateTurnMarks?: number;
  /**
   * How a `transfer_to_human` `<Dial>` ended (Twilio's `DialCallStatus`: `completed`, `busy`,
   * `no-answer`, `failed`, `canceled`), reported to the `<Dial action>` URL.
   */
  transferStatus?: string;
  /** The call's recording (RECORD_CALLS=on): being written, stored under its key, or failed. */
  recording?: CallRecording;
  /**
   * Epoch ms the caller was sent back to the agent after a transfer nobody took: the session was
   * reopened with a new stream token, and the bridge gives the engine the conversation so far.
   */
  transferReturnedAt?: number;
}

/** The `endReason` the bridge writes when `transfer_to_human` redirected the call away from it. */
export const TRANSFERRED = 'transferred';

/**
 * The `transferStatus` of a transfer the owner picked up but refused in the whisper (another key,
 * or none): Twilio reports `completed` with `DialBridged=false`, which is no answer for the caller.
 */
export const DIAL_DECLINED = 'declined';

/** What opening a session writes. `streamTokenIssuedAt` (default `createdAt`) starts the token's life. */
export type NewCallSession = NewCallSessionFields & { streamTokenIssuedAt?: number };

type NewCallSessionFields = Omit<
  CallSession,
  | 'status'
  | 'streamingAt'
  | 'endedAt'
  | 'endReason'
  | 'finalisedAt'
  | 'lateTurnMarks'
  | 'servedBy'
  | 'failoverReason'
  | 'failoverMs'
  | 'engineSegments'
  | 'turnLatency'
  | 'conversationId'
  | 'streamSid'
  | 'engineSegments'
  | 'turnLatency'
  | 'transferStatus'
  | 'recording'
  | 'transferReturnedAt'
>;

export type TextKind = 'booking-confirmation' | 'booking-reminder' | 'missed-call';

/** A text as sent, as the call record keeps it. */
export interface SentText {
  kind: TextKind;
  /** E.164. */
  to: string;
  body: string;
  /** Twilio's message SID. */
  sid: string;
  at: number;
}

/** One engine's stretch of a call (epoch ms); `usage` sums OpenAI `response.done` usage. */
export interface EngineSegment {
  engine: EngineName;
  startedAt: number;
  endedAt: number;
  usage?: EngineUsage;
}

/** What the bridge records about the engines of a call, as it goes and when the call ends. */
export interface EngineUse {
  engineSegments: EngineSegment[];
  failoverMs?: number;
  turnLatency?: TurnLatencySummary;
}

/** An engine change as the session keeps it. */
export interface EngineRecord {
  servedBy: EngineName;
  /** Why it is not the engine chosen at the webhook; absent: it is that engine. */
  failoverReason?: string;
  /** The engine's conversation id (ElevenLabs), matched by the post-call webhook. */
  conversationId?: string;
  use?: EngineUse;
}

/**
 * The end reason of a call that lost its engine (none could start, or none was left after a
 * mid-call drop): the caller heard the apology and callback promise; the owner must call back.
 */
export const ENGINE_OUTAGE = 'engine-outage';

export function isEngineOutage(endReason: string | undefined): boolean {
  return endReason?.startsWith(ENGINE_OUTAGE) === true;
}

export interface Turn {
  /** Order within the call, from 1. */
  seq: number;
  role: 'caller' | 'agent';
  text: string;
  at: number;
  /** An agent turn the caller cut off: `text` is what they heard of it. */
  interrupted?: boolean;
}

export interface ToolCallRecord {
  seq: number;
  name: string;
  args: unknown;
  result: ToolResult;
  at: number;
  durationMs: number;
}

export interface CallRecord {
  session: CallSession;
  turns: Turn[];
  toolCalls: ToolCallRecord[];
  /** Texts sent about the call, oldest first (absent: none). */
  texts?: SentText[];
}
