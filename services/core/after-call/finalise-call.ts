/**
 * Finalisation: once Twilio reports a final status, the call goes to the CRM (row, turns, links to
 * what the tools created, a summary) and the owner gets one email about it. Every step is recorded
 * in a `FinalisationStore` before the next starts, so a repeated callback or a second run changes
 * nothing, and a step that failed (CRM or mail down) is retried later, with backoff, by the
 * finalisation sweeper (`finalisation-sweep.ts`), which also finalises calls whose status callback
 * never came. Nothing is dropped.
 */

import {
  type CallRecord,
  DIAL_DECLINED,
  isEngineOutage,
  otherPartyVerified,
  remoteNumber,
} from '../call/call-session.js';
import { type CallRecording, NO_RECORDING } from '../call/recording.js';
import { ownerCallEmail } from '../email/owner-email.js';
import type {
  CallSessionStore,
  FinalisationInput,
  FinalisationState,
  FinalisationStore,
  PostCallAnalysis,
  PostCallAnalysisStore,
} from '../ports/call-store.js';
import {
  type Appointment,
  AppointmentConflictError,
  type CallRow,
  type Crm,
  type Lead,
} from '../ports/crm.js';
import type { Mailer } from '../ports/mail.js';
import type { RecordingLinks } from '../ports/recordings.js';
import { forCall } from '../shared/logging.js';
import { type MissedCallTextDeps, textBackMissedCall } from '../texts/missed-call-text.js';
import { type CostRates, DEFAULT_COST_RATES, engineSegmentsOf, estimateCallCost } from './call-cost.js';
import { type CallLinks, ENGINE_OUTAGE, summaryFromTurns, TRANSFER_UNANSWERED } from './call-report.js';
import { collectedLead, saveCollectedLead } from './collected-lead.js';
import { attemptDelivery, enqueueCallCompleted, type IntegrationWebhookDeps } from './integration-webhook.js';

export interface FinaliseDeps {
  sessions: Pick<CallSessionStore, 'get' | 'markFinalising' | 'markFinalised'>;
  finalisations: FinalisationStore;
  analyses: Pick<PostCallAnalysisStore, 'getAnalysis'>;
  crm: Pick<
    Crm,
    'saveCall' | 'leadsBetween' | 'appointmentsBetween' | 'upsertCustomer' | 'saveLead' | 'recordAppointment'
  >;
  mailer: Mailer;
  /** Absent: no owner email is sent (the step is passed, logged once). */
  ownerEmail?: string;
  /** The integration webhook: its event is frozen before the call is done, then sent. Absent: none. */
  integration?: IntegrationWebhookDeps;
  /** Mints the link to a call's recording for the row and the email; absent: recordings are not linked. */
  recordingLinks?: RecordingLinks;
  business: { name: string; timezone: string };
  /** Prices for the call's estimated cost (default: `DEFAULT_COST_RATES`). */
  costRates?: CostRates;
  now: () => number;
  /**
   * Twilio's final status can overtake the bridge's last transcript writes: while the session still
   * streams, wait up to this long for the bridge to end it (default 3000).
   */
  settleMs?: number;
  /**
   * The bridge stores a recording once the call has ended (an upload in AWS): while the session says
   * it is being written, wait up to this long more before linking it anyway (default 5000: the status
   * callback must answer inside API Gateway's 29 s).
   */
  recordingSettleMs?: number;
  /**
   * Told once per call, by the run that takes it to `done`, when Twilio answered the call with our
   * stream TwiML and the stream never reached the bridge (`streamNeverConnected`): the Lambdas count
   * it for the `StreamsNeverConnected` alarm. Absent: not counted (local stack, tests).
   */
  onStreamNeverConnected?: (callSid: string) => void;
  /** Texts a caller the agent did not help (`texts/missed-call-text.ts`); absent: no text-back. */
  missedCallTexts?: MissedCallTextDeps;
}

export type FinaliseOutcome =
  /** This run took the call to `done`. */
  | { kind: 'finalised'; callSid: string }
  /** A repeated callback or a second run: nothing was written or sent. */
  | { kind: 'already-done'; callSid: string }
  /** A step failed; the state keeps the error and the call stays on the pending list. */
  | { kind: 'pending'; callSid: string; step: FinalisationState['step']; error: string };

/** Tool names whose success means the CRM holds a lead or an appointment linked to the call. */
const LEAD_TOOL = 'save_lead';
const BOOKING_TOOL = 'book_appointment';
/** Lead and appointment rows are created during the call; this margin covers clock skew between writers. */
const LINK_WINDOW_MARGIN_MS = 10 * 60 * 1000;
/** Guards the step loop against a store that never moves (each step needs at most one pass). */
const MAX_STEP_PASSES = 8;

/** `POST /twilio/status` with a final status: start (or resume) finalising the call. */
export async function finaliseCall(deps: FinaliseDeps, input: FinalisationInput): Promise<FinaliseOutcome> {
  const { state, created } = await deps.finalisations.begin(input, deps.now());
  if (!created) forCall(input.callSid).info('Final status seen again: resuming', { step: state.step });
  return runSteps(deps, state);
}

/**
 * Runs the remaining steps of a finalisation already begun (the sweeper's retry of a pending one).
 * Undefined when the call has no finalisation state.
 */
export async function resumeFinalisation(
  deps: FinaliseDeps,
  callSid: string,
): Promise<FinaliseOutcome | undefined> {
  const state = await deps.finalisations.get(callSid);
  return state ? runSteps(deps, state) : undefined;
}

/**
 * Turns that reached the call record after it was finalised: the call row is written again with
 * every turn (`saveCall` is idempotent on callSid and upserts turns by seq). Returns whether it ran.
 */
export async function saveLateTurns(deps: FinaliseDeps, callSid: string): Promise<boolean> {
  const state = await deps.finalisations.get(callSid);
  if (state?.step !== 'done') return false;
  const facts = await callFacts(deps, state);
  await deps.crm.saveCall(facts.row);
  forCall(callSid).info('Turns that arrived after finalisation added to the CRM', {
    turns: facts.row.turns.length,
  });
  return true;
}

/**
 * A post-call analysis that arrived after the call row was written: write the row again with the
 * analysis summary (`saveCall` is idempotent on callSid). Returns whether the row was updated.
 * Called by the post-call webhook, and by finalisation right after its own CRM write, so whichever
 * of the two comes second merges the summary.
 */
export async function mergeLateAnalysis(deps: FinaliseDeps, callSid: string): Promise<boolean> {
  const state = await deps.finalisations.get(callSid);
  if (!state || state.step === 'pending') return false;
  const analysis = await deps.analyses.getAnalysis(callSid);
  if (!analysis) return false;
  const newSummary = state.summarySource !== 'analysis' && Boolean(analysis.summary);
  const leadDetails = Object.keys(collectedLead(analysis)).length > 0;
  if (!newSummary && !leadDetails) return false;
  let facts = await callFacts(deps, state);
  const leadFilled = await fillLeadFromAnalysis(deps, facts);
  if (!newSummary && !leadFilled) return false;
  if (leadFilled) facts = await callFacts(deps, state);
  await deps.crm.saveCall(facts.row);
  if (newSummary) await deps.finalisations.setSummarySource(callSid, 'analysis', deps.now());
  forCall(callSid).info('Call row updated with the post-call analysis', { summary: newSummary, leadFilled });
  return true;
}

/** The analysis's name, email and interest into the call's lead where its tools left them out. */
async function fillLeadFromAnalysis(deps: FinaliseDeps, facts: CallFacts): Promise<boolean> {
  const { row } = facts;
  const lead = await saveCollectedLead(deps.crm, {
    callSid: row.callSid,
    remoteNumber: remoteNumber(row),
    callerVerified: facts.callerVerified,
    existing: facts.links.lead,
    analysis: facts.analysis,
  });
  return lead !== undefined;
}

async function runSteps(deps: FinaliseDeps, initial: FinalisationState): Promise<FinaliseOutcome> {
  const { callSid } = initial;
  const log = forCall(callSid);
  if (initial.step === 'done') return { kind: 'already-done', callSid };

  let state: FinalisationState = initial;
  let facts: CallFacts | undefined;
  try {
    for (let pass = 0; pass < MAX_STEP_PASSES && state.step !== 'done'; pass++) {
      switch (state.step) {
        case 'pending': {
          await settled(deps, callSid);
          // Before the read: a turn that lands from here on is flagged late and reaches the CRM
          // through the sweeper, so none falls between this read and `finalised`.
          await deps.sessions.markFinalising(callSid);
          facts = await callFacts(deps, state);
          // An analysis that came first may hold lead details the tools did not record.
          if (await fillLeadFromAnalysis(deps, facts)) facts = await callFacts(deps, state);
          await deps.crm.saveCall(facts.row);
          await deps.finalisations.advance(callSid, 'pending', 'crm-saved', deps.now(), {
            summarySource: facts.summarySource,
          });
          // The analysis may have landed between our read and our write; its webhook then saw
          // `pending` and left the merge to us.
          if (facts.summarySource === 'turns') await mergeLateAnalysis(deps, callSid);
          break;
        }
        case 'crm-saved': {
          if (deps.ownerEmail) {
            facts ??= await callFacts(deps, state);
            // Frozen at the first attempt: a retry sends the same content under the same key.
            const message = await deps.finalisations.freezeEmail(
              callSid,
              ownerCallEmail(deps.ownerEmail, facts),
            );
            await deps.mailer.send(message);
          } else {
            log.warn('OWNER_EMAIL is not set: no owner email for this call');
          }
          await deps.finalisations.advance(callSid, 'crm-saved', 'emailed', deps.now());
          break;
        }
        case 'emailed':
          if (deps.integration) {
            facts ??= await callFacts(deps, state);
            // Stored before `done` (a store failure keeps the call pending and the sweeper retries);
            // the first attempt never fails the step: retries are the delivery's own.
            const delivery = await enqueueCallCompleted(deps.integration, facts);
            if (delivery.attempts === 0) await attemptDelivery(deps.integration, callSid);
          }
          if (deps.missedCallTexts) {
            facts ??= await callFacts(deps, state);
            // Never fails the finalisation: a text refused or not sent is logged by `sendText`.
            await textBackMissedCall(deps.missedCallTexts, facts.row, log).catch((error: unknown) =>
              log.error('Missed-call text-back failed', { error: error as Error }),
            );
          }
          if (await deps.finalisations.advance(callSid, 'emailed', 'done', deps.now())) {
            await countStreamNeverConnected(deps, state);
          }
          break;
      }
      // Re-read rather than assume: a concurrent run may have moved the state (then its advance
      // won and ours returned false), and the next step starts from what is stored.
      state = (await deps.finalisations.get(callSid)) ?? state;
    }
    if (state.step !== 'done') throw new Error(`finalisation did not reach done (stuck at ${state.step})`);
    await deps.finalisations.recordAttempt(callSid, deps.now());
    await markSessionFinalised(deps, callSid);
    log.info('Call finalised', { outcome: initial.status, attempts: state.attempts + 1 });
    return { kind: 'finalised', callSid };
  } catch (error) {
    const message = (error as Error).message || String(error);
    log.error('Finalisation step failed: left pending for a retry', {
      step: state.step,
      error: error as Error,
    });
    try {
      await deps.finalisations.recordAttempt(callSid, deps.now(), message);
    } catch (recordError) {
      log.error('Could not record the failed attempt', { error: recordError as Error });
    }
    return { kind: 'pending', callSid, step: state.step, error: message };
  }
}

/**
 * Twilio answered the call (`completed`) with the stream TwiML of a session we opened, and no stream
 * ever claimed it: the bridge was out of Twilio's reach (DNS, certificate, security group) and the
 * caller heard the apology after `<Connect>`. An outbound call that reached a machine got the
 * voicemail TwiML instead, and no session means the webhook itself failed (the API alarms see that).
 */
export function streamNeverConnected(
  call: Pick<FinalisationInput, 'status' | 'durationSeconds'>,
  session: Pick<CallRecord['session'], 'streamingAt' | 'endReason'> | undefined,
): boolean {
  return (
    call.status === 'completed' &&
    // A caller who hangs up within a couple of seconds of the answer leaves before any stream could;
    // a stream that fails is followed by the apology, which takes longer than that.
    (call.durationSeconds === undefined || call.durationSeconds >= STREAM_CONNECT_SECONDS) &&
    session !== undefined &&
    session.streamingAt === undefined &&
    session.endReason !== VOICEMAIL_END_REASON
  );
}

const VOICEMAIL_END_REASON = 'voicemail';
/** Longer than Twilio takes to open a stream to a bridge it can reach. */
const STREAM_CONNECT_SECONDS = 3;

/** Counting must never fail a finalisation that is done: a read error is logged and dropped. */
async function countStreamNeverConnected(deps: FinaliseDeps, state: FinalisationState): Promise<void> {
  if (!deps.onStreamNeverConnected) return;
  try {
    const record = await deps.sessions.get(state.callSid);
    if (!streamNeverConnected(state, record?.session)) return;
    forCall(state.callSid).warn('Call finalised whose media stream never reached the bridge', {
      status: state.status,
    });
    deps.onStreamNeverConnected(state.callSid);
  } catch (error) {
    forCall(state.callSid).error('Could not tell whether the stream ever connected', {
      error: error as Error,
    });
  }
}

/**
 * The session's last step (`→ finalised`). The CRM row and the email are out already, so a failure
 * here is logged, not retried: the finalisation state is the record of truth, the session status a
 * convenience for whoever reads the table.
 */
async function markSessionFinalised(deps: FinaliseDeps, callSid: string): Promise<void> {
  try {
    await deps.sessions.markFinalised(callSid, deps.now());
  } catch (error) {
    forCall(callSid).error('Call finalised, but its session could not be marked so', {
      error: error as Error,
    });
  }
}

/** Everything the row and the email say about one call. */
interface CallFacts {
  row: CallRow;
  links: CallLinks;
  customerName?: string;
  /** The other party is who their number says: the analysis may then fill their customer row. */
  callerVerified: boolean;
  voicemail: boolean;
  business: { name: string; timezone: string };
  summarySource: 'analysis' | 'turns';
  analysis?: PostCallAnalysis;
}

/** Resolves once the bridge has ended the call's stream (its last turns written), or the wait ran out. */
async function settled(deps: FinaliseDeps, callSid: string): Promise<void> {
  const deadline = Date.now() + (deps.settleMs ?? 3000);
  let record = await deps.sessions.get(callSid);
  while (record?.session.status === 'streaming' && Date.now() < deadline) {
    await sleep(100);
    record = await deps.sessions.get(callSid);
  }
  const recordingDeadline = Date.now() + (deps.recordingSettleMs ?? 5000);
  while (record?.session.recording?.status === 'writing' && Date.now() < recordingDeadline) {
    await sleep(250);
    record = await deps.sessions.get(callSid);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The row's recording: a fresh link to a stored one (or one still being stored: the upload ends
 * within seconds of the call), `no recording` when it failed, nothing when the call was not recorded.
 * A link that cannot be minted is `no recording` too: the row and the email never wait on it.
 */
async function recordingOf(
  deps: FinaliseDeps,
  callSid: string,
  recording: CallRecording | undefined,
): Promise<CallRow['recording']> {
  if (!recording) return undefined;
  if (recording.status === 'failed' || !deps.recordingLinks) return { status: NO_RECORDING };
  try {
    const url = await deps.recordingLinks.linkFor(callSid, recording.key);
    return url ? { status: 'recorded', url } : { status: NO_RECORDING };
  } catch (error) {
    forCall(callSid).error('Could not link the call recording', { error: error as Error });
    return { status: NO_RECORDING };
  }
}

async function callFacts(deps: FinaliseDeps, state: FinalisationState): Promise<CallFacts> {
  const record = await deps.sessions.get(state.callSid);
  const base = baseRow(state, record, deps.costRates ?? DEFAULT_COST_RATES);
  const repaired = await repairCrmWrites(deps, record);
  const analysis = await deps.analyses.getAnalysis(state.callSid);
  const found = await findLinks(deps, state.callSid, record, base.startedAt, base.endedAt ?? state.at, {
    leadFromAnalysis: Object.keys(collectedLead(analysis)).length > 0,
  });
  const links: CallLinks = { ...found, appointment: found.appointment ?? repaired };
  const analysisSummary = analysis?.summary?.trim();
  const row: CallRow = {
    ...base,
    customerId: base.customerId ?? links.lead?.customerId ?? links.appointment?.customerId,
    leadId: links.lead?.id,
    appointmentId: links.appointment?.id,
    summary: analysisSummary || summaryFromTurns(base, links, deps.business.timezone),
    recording: await recordingOf(deps, state.callSid, record?.session.recording),
  };
  return {
    row,
    links,
    customerName: record?.session.customer?.name,
    callerVerified: record !== undefined && otherPartyVerified(record.session),
    voicemail: record?.session.endReason === 'voicemail',
    business: deps.business,
    summarySource: analysisSummary ? 'analysis' : 'turns',
    analysis,
  };
}

function baseRow(state: FinalisationState, record: CallRecord | undefined, rates: CostRates): CallRow {
  if (!record) {
    // No session: the call never got past the inbound webhook. The callback's numbers still make
    // it a row the owner can act on (usually a missed call).
    forCall(state.callSid).warn('No call session: finalising from the status callback alone');
    return {
      callSid: state.callSid,
      direction: state.fallback?.direction ?? 'inbound',
      from: state.fallback?.from ?? 'unknown',
      to: state.fallback?.to ?? 'unknown',
      failedOver: false,
      startedAt: state.at - (state.durationSeconds ?? 0) * 1000,
      endedAt: state.at,
      durationSeconds: state.durationSeconds,
      outcome: state.status,
      turns: [],
      cost: estimateCallCost(
        {
          direction: state.fallback?.direction ?? 'inbound',
          twilioSeconds: state.durationSeconds,
          segments: [],
        },
        rates,
      ),
    };
  }
  const { session, turns } = record;
  const endedAt = session.endedAt ?? state.at;
  const streamedSeconds =
    session.streamingAt !== undefined
      ? Math.max(0, Math.round((endedAt - session.streamingAt) / 1000))
      : undefined;
  return {
    callSid: session.callSid,
    customerId: session.customer?.id,
    direction: session.direction,
    from: session.from,
    to: session.to,
    servedBy: session.servedBy,
    failedOver: session.servedBy !== undefined && session.servedBy !== session.provider,
    startedAt: session.createdAt,
    endedAt,
    durationSeconds: state.durationSeconds ?? streamedSeconds,
    outcome: outcomeOf(state, session),
    turns: turns.map((t) => ({ seq: t.seq, role: t.role, text: t.text, at: t.at })),
    cost: estimateCallCost(
      {
        direction: session.direction,
        twilioSeconds: state.durationSeconds ?? streamedSeconds,
        segments: engineSegmentsOf(session, endedAt),
      },
      rates,
    ),
    turnLatency: session.turnLatency,
  };
}

/**
 * What happened, in the row's `outcome`: Twilio's final status, unless the session says more. No
 * engine could take the call (the bridge ended it `engine-outage: …` and Twilio played the apology), or the caller
 * was transferred and nobody answered (the `<Dial action>` reported it): both owe a callback.
 */
function outcomeOf(state: FinalisationState, session: CallRecord['session']): string {
  if (isEngineOutage(session.endReason)) return ENGINE_OUTAGE;
  if (session.transferStatus && UNANSWERED_DIAL_STATUSES.has(session.transferStatus))
    return TRANSFER_UNANSWERED;
  return state.status;
}

/** `<Dial>` statuses that mean the person never took the call (`declined`: the owner refused in the whisper). */
const UNANSWERED_DIAL_STATUSES = new Set(['busy', 'no-answer', 'failed', 'canceled', DIAL_DECLINED]);

/**
 * The lead and appointment the call's tools created. Tool results carry no ids (yet), so the CRM is
 * asked for rows created during the call with this callSid; only when a tool reported success.
 */
async function findLinks(
  deps: FinaliseDeps,
  callSid: string,
  record: CallRecord | undefined,
  startedAt: number,
  endedAt: number,
  options: { leadFromAnalysis: boolean },
): Promise<CallLinks> {
  const succeeded = (name: string) => record?.toolCalls.some((c) => c.name === name && c.result.ok) ?? false;
  const from = startedAt - LINK_WINDOW_MARGIN_MS;
  const to = endedAt + LINK_WINDOW_MARGIN_MS;
  const [leads, appointments] = await Promise.all([
    succeeded(LEAD_TOOL) || options.leadFromAnalysis
      ? deps.crm.leadsBetween(from, to)
      : Promise.resolve<Lead[]>([]),
    succeeded(BOOKING_TOOL) ? deps.crm.appointmentsBetween(from, to) : Promise.resolve<Appointment[]>([]),
  ]);
  return {
    lead: latest(leads.filter((l) => l.callSid === callSid)),
    appointment: latest(appointments.filter((a) => a.callSid === callSid)),
  };
}

/**
 * CRM writes the tools owed (the CRM was down during the call): a booking whose calendar event was
 * made, a lead the caller was told is noted. Written now (idempotent: on the event id, on the
 * call's lead). A failure throws, so the finalisation stays pending and the sweeper retries it:
 * the row is never lost. Returns the last appointment written.
 */
async function repairCrmWrites(
  deps: FinaliseDeps,
  record: CallRecord | undefined,
): Promise<Appointment | undefined> {
  const log = forCall(record?.session.callSid ?? '');
  let last: Appointment | undefined;
  for (const call of record?.toolCalls ?? []) {
    const repair = call.result.crmRepair;
    if (!call.result.ok || !repair) continue;
    const customer = await deps.crm.upsertCustomer(repair.customer);
    if (repair.kind === 'lead') {
      await deps.crm.saveLead({ ...repair.lead, customerId: customer.id });
      log.info('Lead written to the CRM by finalisation');
      continue;
    }
    try {
      last = await deps.crm.recordAppointment({ ...repair.appointment, customerId: customer.id });
      log.info('Booking written to the CRM by finalisation', {
        eventId: repair.appointment.calendarEventId,
      });
    } catch (error) {
      if (!(error instanceof AppointmentConflictError)) throw error;
      // Someone else's row holds the slot: retrying cannot help; the owner sees it in the email.
      log.error('Booking could not be written: the slot is taken in the CRM', {
        eventId: repair.appointment.calendarEventId,
      });
    }
  }
  return last;
}

function latest<T extends { createdAt: number }>(items: T[]): T | undefined {
  return items.reduce<T | undefined>(
    (best, item) => (!best || item.createdAt > best.createdAt ? item : best),
    undefined,
  );
}
