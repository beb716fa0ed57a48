import type { ToolResult } from './tool-types.js';
import type { EngineName, KnownCustomer } from './voice-engine.js';

/** `created → streaming → ended → finalised`; each step is a conditional write, so retries change nothing. */
export type CallStatus = 'created' | 'streaming' | 'ended' | 'finalised';
export type CallDirection = 'inbound' | 'outbound';

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
  customer?: KnownCustomer;
  /** SHA-256 (hex) of the one-time stream token; the token itself is never stored. */
  streamTokenHash: string;
  status: CallStatus;
  streamSid?: string;
  /** Outbound only: why we call, as given to `POST /calls`. */
  outboundReason?: string;
  createdAt: number;
  streamingAt?: number;
  endedAt?: number;
  endReason?: string;
  finalisedAt?: number;
  /**
   * How a `transfer_to_human` `<Dial>` ended (Twilio's `DialCallStatus`: `completed`, `busy`,
   * `no-answer`, `failed`, `canceled`), reported to the `<Dial action>` URL.
   */
  transferStatus?: string;
}

/** The bridge's end reason when no engine could take the call (`no-engine: <why>`). */
export const NO_ENGINE_END_REASON = 'no-engine';

export type NewCallSession = Omit<
  CallSession,
  | 'status'
  | 'streamingAt'
  | 'endedAt'
  | 'endReason'
  | 'finalisedAt'
  | 'servedBy'
  | 'failoverReason'
  | 'streamSid'
  | 'transferStatus'
>;

export interface Turn {
  /** Order within the call, from 1. */
  seq: number;
  role: 'caller' | 'agent';
  text: string;
  at: number;
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
   * Claims the stream: succeeds once, only for a `created` session whose token hash matches, and
   * marks it `streaming` in the same conditional write. Returns the session, or undefined.
   */
  claimStream(
    callSid: string,
    streamTokenHash: string,
    streamSid: string,
    at: number,
  ): Promise<CallSession | undefined>;
  /** Records which engine served the call and why it differs from the one chosen, if it does. */
  recordEngine(callSid: string, servedBy: EngineName, failoverReason?: string): Promise<void>;
  /**
   * Idempotent on `seq`: writing the same turn twice keeps one. A turn written after the call was
   * finalised puts the call back on the sweeper's list, which adds it to the CRM.
   */
  appendTurn(callSid: string, turn: Turn): Promise<void>;
  /** The late turns of a finalised call are in the CRM: off the sweeper's list again. */
  lateTurnsSaved(callSid: string): Promise<void>;
  appendToolCall(callSid: string, record: ToolCallRecord): Promise<void>;
  /** Records how the transfer's `<Dial>` ended (no session: nothing is created). */
  recordTransferResult(callSid: string, dialStatus: string): Promise<void>;
  /** `created|streaming → ended`; a second call changes nothing. */
  markEnded(callSid: string, reason: string, at: number): Promise<void>;
  /**
   * `→ finalised` once finalisation is done (the CRM has the call, the owner was told). Allowed from
   * `ended`, and from `created`/`streaming` too: Twilio's final status is authoritative, and it can
   * arrive before the bridge has seen the stream stop (or when a crashed task never saw it). Then
   * `endedAt` is set to `at` and `endReason` to `call-finished`. Later `markEnded` and `claimStream`
   * change nothing; a second call changes nothing; an unknown call is not created.
   */
  markFinalised(callSid: string, at: number): Promise<void>;
  get(callSid: string): Promise<CallRecord | undefined>;
}
