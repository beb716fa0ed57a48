import type { CallRecording } from './recording.js';
import type { SentText } from './texts.js';
import type { ToolResult } from './tool-types.js';
import type { EngineName, EngineUsage, KnownCustomer } from './voice-engine.js';

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

/** One engine's stretch of a call (epoch ms); `usage` sums OpenAI `response.done` usage. */
export interface EngineSegment {
  engine: EngineName;
  startedAt: number;
  endedAt: number;
  usage?: EngineUsage;
}

export interface TurnLatencySummary {
  turns: number;
  p50Ms: number;
  p90Ms: number;
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

/**
 * A write the store refused for what it holds (an item over the size limit, a malformed value, a
 * rewrite of a turn that was never stored): retrying it can never help, so a writer sets it aside
 * instead of holding every later write behind it.
 */
export class PermanentWriteError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentWriteError';
  }
}

/** The port for call state that must survive a crashed task (DynamoDB in AWS, dynalite locally). */
export interface CallSessionStore {
  /**
   * Writes a new session. When Twilio retries the webhook for a call whose stream has not started,
   * the session is kept and only its token hash replaced (the new TwiML carries a new token).
   * Returns false when the call already streams or has ended: nothing is written.
   */
  open(session: NewCallSession): Promise<boolean>;
  /**
   * Claims the stream: succeeds once, only for a `created` session whose token hash matches and
   * whose token was issued at most `STREAM_TOKEN_TTL_MS` before `at`, and marks it `streaming` in
   * the same conditional write. Returns the session, or undefined.
   */
  claimStream(
    callSid: string,
    streamTokenHash: string,
    streamSid: string,
    at: number,
  ): Promise<CallSession | undefined>;
  /**
   * Records which engine served the call and why it differs from the one chosen, if it does; with
   * `use`, the engine use too, in the same write (an engine change is one write, not two).
   */
  recordEngine(callSid: string, engine: EngineRecord): Promise<void>;
  /** Engine segments, failover time and turn latency; each write replaces the previous one. */
  recordEngineUse(callSid: string, use: EngineUse): Promise<void>;
  /**
   * Idempotent on `seq`: writing the same turn twice keeps one. A turn written once finalisation
   * has begun (`finalising` or `finalised`) counts in `lateTurnMarks` and keeps or puts the call on
   * the sweeper's list, which adds it to the CRM.
   */
  appendTurn(callSid: string, turn: Turn): Promise<void>;
  /**
   * The late turns of a finalised call are in the CRM: off the sweeper's list again, unless more
   * turns landed since `seenMarks` (the `lateTurnMarks` read before the CRM write) was read.
   */
  lateTurnsSaved(callSid: string, seenMarks: number): Promise<void>;
  /** Rewrites a turn already written (an agent reply cut off by the caller: what they heard of it). */
  replaceTurn(callSid: string, turn: Turn): Promise<void>;
  /**
   * Idempotent on `seq`. Like a turn, a tool call written once finalisation has begun is counted in
   * `lateTurnMarks`, so the sweeper writes what it owes the CRM (a booking's `crmRepair`).
   */
  appendToolCall(callSid: string, record: ToolCallRecord): Promise<void>;
  /** Records the state of the call's recording (no session: nothing is created). */
  recordRecording(callSid: string, recording: CallRecording): Promise<void>;
  /** Records how the transfer's `<Dial>` ended (no session: nothing is created). */
  recordTransferResult(callSid: string, dialStatus: string): Promise<void>;
  /**
   * A transfer nobody took: `ended` with `TRANSFERRED` → `created` again, with a fresh token hash
   * (issued `at`), `transferStatus` and `transferReturnedAt`, in one conditional write; the
   * bridge then claims the new stream like any other. False (nothing written) for a call in any
   * other state: one not yet marked ended, finalising or finalised, or already returned.
   */
  reopenAfterTransfer(
    callSid: string,
    reopen: { streamTokenHash: string; dialStatus: string; at: number },
  ): Promise<boolean>;
  /**
   * `created|streaming → ended`; a second call changes nothing. On a `finalising` session (Twilio's
   * status came first) the end and its reason are recorded, and the status stays. `use`, the engine
   * use as it stands at the end, is recorded in the same write (as `recordEngineUse` would).
   */
  markEnded(callSid: string, reason: string, at: number, use?: EngineUse): Promise<void>;
  /**
   * `created|streaming|ended → finalising`, before finalisation reads the turns; a second call,
   * a finalised or an unknown call change nothing.
   */
  markFinalising(callSid: string): Promise<void>;
  /**
   * `→ finalised` once finalisation is done (the CRM has the call, the owner was told). Allowed from
   * `finalising` and `ended`, and from `created`/`streaming` too: Twilio's final status is authoritative, and it can
   * arrive before the bridge has seen the stream stop (or when a crashed task never saw it). Then
   * `endedAt` is set to `at` and `endReason` to `call-finished`. Later `markEnded` and `claimStream`
   * change nothing; a second call changes nothing; an unknown call is not created. A call with late
   * turns counted stays on the sweeper's list.
   */
  markFinalised(callSid: string, at: number): Promise<void>;
  get(callSid: string): Promise<CallRecord | undefined>;
}
