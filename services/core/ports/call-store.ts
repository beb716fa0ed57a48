/**
 * The call table (DynamoDB in AWS, dynalite locally): live call sessions, finalisation, the sweep's
 * index, post-call analyses, digest markers, outbound requests and usage counters. The DynamoDB
 * adapters keep all of them in the one table (see `services/adapters/dynamodb/after-call-items.ts`).
 */
import type { DigestCounts } from '../after-call/digest-counts.js';
import type {
  CallRecord,
  CallSession,
  CallStatus,
  EngineRecord,
  EngineUse,
  NewCallSession,
  SentText,
  ToolCallRecord,
  Turn,
} from '../call/call-session.js';
import type { CallRecording } from '../call/recording.js';
import type { EngineName } from '../shared/engines.js';
import type { KnownCustomer } from './crm.js';
import type { EmailMessage } from './mail.js';

/** Twilio's final call statuses: any of them ends the call and starts finalisation. */
export const FINAL_CALL_STATUSES = ['completed', 'busy', 'no-answer', 'failed', 'canceled'] as const;
export type FinalCallStatus = (typeof FINAL_CALL_STATUSES)[number];

export function isFinalCallStatus(value: string): value is FinalCallStatus {
  return (FINAL_CALL_STATUSES as readonly string[]).includes(value);
}

// ---------- Finalisation state ----------

/**
 * `pending` (status known, nothing written) → `crm-saved` (the call row is in the CRM) →
 * `emailed` (the owner has been told) → `done` (off the pending list). Each step is a conditional
 * write from the step before, so two runs never both take it.
 */
export type FinalisationStep = 'pending' | 'crm-saved' | 'emailed' | 'done';

/** What the Twilio status callback said: all finalisation needs besides the stored call. */
export interface FinalisationInput {
  callSid: string;
  status: FinalCallStatus;
  /** Twilio's `CallDuration` (answered time), when it sent one. */
  durationSeconds?: number;
  /** Epoch ms the final status arrived. */
  at: number;
  /**
   * From the callback form: used only when no call session exists (the inbound webhook failed
   * before writing one), so even such a call reaches the CRM and the owner.
   */
  fallback?: { from: string; to: string; direction: 'inbound' | 'outbound' };
}

export interface FinalisationState extends FinalisationInput {
  step: FinalisationStep;
  /** Runs that tried to finish this call (the first included). */
  attempts: number;
  /** The last failure, cleared by the run that succeeds. */
  lastError?: string;
  /** Where the CRM row's summary came from: a post-call analysis arriving later replaces `turns`. */
  summarySource?: 'analysis' | 'turns';
  updatedAt: number;
}

export interface FinalisationStore {
  /**
   * Starts finalising a call: writes a `pending` state and puts the call on the pending list,
   * unless a state exists already (a repeated callback). Returns the state as stored.
   */
  begin(input: FinalisationInput, now: number): Promise<{ state: FinalisationState; created: boolean }>;
  get(callSid: string): Promise<FinalisationState | undefined>;
  /**
   * Moves `from → to` in one conditional write; false when the state is not at `from` (another
   * run got there first). Reaching `done` also takes the call off the pending list.
   */
  advance(
    callSid: string,
    from: FinalisationStep,
    to: FinalisationStep,
    now: number,
    patch?: { summarySource?: 'analysis' | 'turns' },
  ): Promise<boolean>;
  /** Counts a run; with an error it is kept for the retry, without one the last error is cleared. */
  recordAttempt(callSid: string, now: number, error?: string): Promise<void>;
  /** Sets where the CRM row's summary came from, without changing the step. */
  setSummarySource(callSid: string, source: 'analysis' | 'turns', now: number): Promise<void>;
  /** Calls whose finalisation has not reached `done`, at most `limit`. */
  listPending(limit: number): Promise<string[]>;
  /**
   * Freezes the owner email of the call at its first attempt: keeps the first message given and
   * returns what is stored, so a retry sends exactly the same content under the same key.
   */
  freezeEmail(callSid: string, message: EmailMessage): Promise<EmailMessage>;
}

// ---------- Finalisation sweep ----------

/** A call session not finalised yet, as the sweep index lists it. */
export interface UnfinalisedCall {
  callSid: string;
  /**
   * When the wait for Twilio's status callback started (epoch ms): the stream's end, or the
   * inbound webhook (session creation) while no stream has ended.
   */
  since: number;
  /** `finalised`: turns arrived after finalisation began and must be added to the CRM. */
  status: CallStatus;
}

/**
 * How far back the sweeper's look at Twilio's call list must go: every call that started before the
 * mark has been accounted for. Persisted, so an outage longer than any fixed look-back loses nothing.
 */
export interface SweepWatermark {
  get(): Promise<number | undefined>;
  set(at: number): Promise<void>;
}

/** Finds unfinalised calls without scanning the table (a sparse index in DynamoDB). */
export interface UnfinalisedCallIndex {
  /** Unfinalised sessions whose `since` is at or before `before`, oldest first, at most `limit`. */
  listUnfinalised(before: number, limit: number): Promise<UnfinalisedCall[]>;
}

// ---------- ElevenLabs post-call analysis ----------

export interface PostCallAnalysis {
  callSid: string;
  conversationId: string;
  /** ElevenLabs' `transcript_summary`. */
  summary?: string;
  /** ElevenLabs' `call_successful`: `success`, `failure` or `unknown`. */
  callSuccessful?: string;
  /** `data_collection_results` by id: the value the agent's analysis extracted, and why. */
  dataCollection: Record<string, { value: unknown; rationale?: string }>;
  /** The webhook's `event_timestamp`, epoch ms: a later event for the same call replaces an earlier one. */
  eventAt: number;
  receivedAt: number;
}

export interface PostCallAnalysisStore {
  /** Keeps the analysis unless one with the same or a later `eventAt` is stored (a redelivery). */
  saveAnalysis(analysis: PostCallAnalysis): Promise<{ stored: boolean }>;
  getAnalysis(callSid: string): Promise<PostCallAnalysis | undefined>;
}

// ---------- Daily digest marker ----------

/** What a claim found: a message frozen by an earlier attempt is sent again as it is. */
export interface DigestClaim {
  claimed: boolean;
  message?: EmailMessage;
  counts?: DigestCounts;
}

export interface DigestMarkers {
  /**
   * Claims the digest of one business day (`YYYY-MM-DD`): succeeds once; again after a failed
   * attempt (`release`), or after a claim older than `staleAfterMs` that never got to `markSent`
   * (a run that crashed mid-way). The message frozen by an earlier attempt comes back with it.
   */
  claim(day: string, now: number, staleAfterMs: number): Promise<DigestClaim>;
  /** Keeps the first message and counts frozen for the day and returns what is stored. */
  freeze(
    day: string,
    message: EmailMessage,
    counts: DigestCounts,
  ): Promise<{ message: EmailMessage; counts: DigestCounts }>;
  markSent(day: string, now: number): Promise<void>;
  /** When the day's digest went out, if it did (late calls are those finalised after it). */
  sentAt(day: string): Promise<number | undefined>;
  /** Gives a claim back after a failed send; the frozen message stays for the retry. */
  release(day: string): Promise<void>;
}

// ---------- Outbound call requests ----------

export type OutboundRequestStatus = 'placing' | 'placed' | 'failed';

/**
 * One `POST /calls` (or due schedule) by its idempotency key: written before Twilio is asked, so a
 * duplicate request finds it and places nothing; it also tells `POST /twilio/outbound` who we call
 * and why if that webhook comes before the session is written.
 */
export interface OutboundRequest {
  idempotencyKey: string;
  to: string;
  from: string;
  name?: string;
  leadId?: string;
  reason?: string;
  provider: EngineName;
  customer?: KnownCustomer;
  status: OutboundRequestStatus;
  callSid?: string;
  error?: string;
  createdAt: number;
  /** While `placing`: the run that wrote it owns it until then (epoch ms). */
  leaseUntil?: number;
}

export interface OutboundRequestStore {
  /**
   * Writes the request as `placing` unless one with that key exists and has not `failed` (a failed
   * placement may be retried with the same key). Returns the stored request either way.
   */
  create(
    request: Omit<OutboundRequest, 'status' | 'leaseUntil'>,
  ): Promise<{ created: boolean; request: OutboundRequest }>;
  /**
   * Takes over a `placing` request whose lease ended before `now`, leasing it until `leaseUntil`;
   * false when another run holds a live lease or the request is no longer `placing`.
   */
  takeOver(idempotencyKey: string, now: number, leaseUntil: number): Promise<boolean>;
  get(idempotencyKey: string): Promise<OutboundRequest | undefined>;
  markPlaced(idempotencyKey: string, callSid: string): Promise<void>;
  markFailed(idempotencyKey: string, error: string): Promise<void>;
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

/**
 * A set of distinct operations under one scope, bounded in size. Counting operations (not calls
 * of `take`) keeps a retried tool call, which repeats its operation key, from using up the limit.
 */
export interface UsageCounter {
  /**
   * Records `operation` under `scope` unless the scope already holds `limit` other operations.
   * True when the operation is (now, or already was) within the limit; false when it is over.
   * `expiresAt` (epoch ms) lets the store forget the scope once it no longer matters.
   */
  take(scope: string, operation: string, limit: number, expiresAt: number): Promise<boolean>;
}

/** Where sent texts are kept (the call table's session store). */
export interface TextLog {
  appendText(callSid: string, text: SentText): Promise<void>;
}
