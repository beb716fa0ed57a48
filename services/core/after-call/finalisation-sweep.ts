/**
 * The finalisation sweeper: Twilio's status callback is the usual way a call reaches the
 * CRM and the owner, but Twilio does not retry a callback that was never configured, answered 403
 * (a wrong PUBLIC_URL) or 500. Every `FINALISATION_SWEEP_SECONDS` this finds each call still not
 * finalised `FINALISATION_GRACE_SECONDS` after its stream ended (or after its webhook, when no
 * stream ended), asks Twilio's REST API how the call ended, and finalises it with that status and
 * duration. A call Twilio still reports live waits for the next run. Finalisations a failure left
 * pending are retried here too, with backoff. `finaliseCall` is idempotent (conditional steps), so
 * the sweeper racing a late status callback still finalises exactly once.
 */

import { ENGINE_OUTAGE } from '../call/call-session.js';
import {
  type CallSessionStore,
  type FinalisationState,
  isFinalCallStatus,
  type SweepWatermark,
  type UnfinalisedCall,
  type UnfinalisedCallIndex,
} from '../ports/call-store.js';
import type { CallLookup } from '../ports/telephony.js';
import { forCall, logger } from '../shared/logging.js';
import {
  type FinaliseDeps,
  type FinaliseOutcome,
  finaliseCall,
  resumeFinalisation,
  saveLateTurns,
} from './finalise-call.js';

export interface SweepDeps {
  finalise: FinaliseDeps;
  index: UnfinalisedCallIndex;
  sessions: Pick<
    CallSessionStore,
    'get' | 'markEnded' | 'markFinalising' | 'markFinalised' | 'lateTurnsSaved'
  >;
  twilio: Pick<CallLookup, 'getCall' | 'callsTo'>;
  /**
   * The business number: calls Twilio has to it that we never recorded at all (the inbound webhook
   * failed before writing a session, and no status callback came) are finalised from Twilio too.
   */
  businessNumber?: string;
  /**
   * Where that look at Twilio's call list starts: every call that started before the stored mark
   * is accounted for. Absent (or nothing stored yet): `lookbackMs` back from the run.
   */
  watermark?: SweepWatermark;
  /** How far back that look goes without a stored mark (default 1 h). */
  lookbackMs?: number;
  graceMs: number;
  now: () => number;
  /** Stop starting new work after this long, so a run never overlaps the next (default 60 s). */
  budgetMs?: number;
  /** Calls looked at per run (default 200); the rest wait for the next run. */
  limit?: number;
}

export interface SweepReport {
  /** Calls finalised by this run (a missing callback, or a pending retry that now went through). */
  finalised: string[];
  /** Twilio still reports these live: the next run looks again. */
  live: string[];
  /** Still pending after this run (a step failed again, or its retry is not due yet). */
  pending: string[];
  /** Seconds since the oldest call still unfinalised after this run ended (0 when none). */
  oldestUnfinalisedAgeSeconds: number;
  /** Work left for the next run because the budget ran out. */
  deferred: number;
}

/** Backoff of a failing finalisation: 1, 2, 4 … minutes after its last attempt, at most an hour. */
export const RETRY_FIRST_DELAY_MS = 60_000;
export const RETRY_MAX_DELAY_MS = 60 * 60_000;

export function nextRetryAt(state: Pick<FinalisationState, 'attempts' | 'updatedAt'>): number {
  const exponent = Math.max(0, state.attempts - 1);
  return state.updatedAt + Math.min(RETRY_FIRST_DELAY_MS * 2 ** exponent, RETRY_MAX_DELAY_MS);
}

/** The first look at Twilio's call list, with no mark stored yet, goes back this far. */
const FIRST_LOOKBACK_MS = 60 * 60_000;
/** A mark is never followed further back than this (the call table forgets calls after 30 days). */
const MAX_LOOKBACK_MS = 7 * 24 * 60 * 60_000;

/**
 * The end reason the sweeper records for a call that streamed and never had its end recorded: the
 * bridge task died (or was killed) under it, so Twilio played the apology after `<Connect>` and the
 * caller was promised a callback.
 */
export const BRIDGE_LOST_END_REASON = `${ENGINE_OUTAGE}: the bridge stopped without ending the call`;

/** Twilio statuses of a call not over yet. */
const LIVE_STATUSES = new Set(['queued', 'initiated', 'ringing', 'in-progress']);

export async function sweepUnfinalisedCalls(deps: SweepDeps): Promise<SweepReport> {
  const startedAt = deps.now();
  const deadline = startedAt + (deps.budgetMs ?? 60_000);
  const limit = deps.limit ?? 200;
  // Twilio's status can overtake the bridge's last turns; the sweeper runs minutes later, no wait.
  const finalise: FinaliseDeps = { ...deps.finalise, settleMs: 0 };
  const report: SweepReport = {
    finalised: [],
    live: [],
    pending: [],
    oldestUnfinalisedAgeSeconds: 0,
    deferred: 0,
  };
  /** When each call still unfinalised after this run started waiting. */
  const waitingSince = new Map<string, number>();

  const due = await deps.index.listUnfinalised(startedAt - deps.graceMs, limit);
  for (const call of due) {
    if (deps.now() > deadline) {
      report.deferred += 1;
      waitingSince.set(call.callSid, call.since);
      continue;
    }
    try {
      const outcome = await sweepOne(deps, finalise, call);
      if (outcome === 'live') report.live.push(call.callSid);
      else if (outcome.kind === 'pending') {
        report.pending.push(call.callSid);
        waitingSince.set(call.callSid, call.since);
      } else if (outcome.kind === 'finalised') report.finalised.push(call.callSid);
    } catch (error) {
      // Twilio or the store failed for this call: the next run tries again; the others go on.
      forCall(call.callSid).error('Sweep could not finalise this call: next run retries', {
        error: error as Error,
      });
      report.pending.push(call.callSid);
      waitingSince.set(call.callSid, call.since);
    }
  }

  // Finalisations with no session (the inbound webhook never wrote one) are only on the pending list.
  const pendingList = await orNothing('list the pending finalisations', () =>
    deps.finalise.finalisations.listPending(limit),
  );
  for (const callSid of pendingList ?? []) {
    if (waitingSince.has(callSid) || report.finalised.includes(callSid)) continue;
    try {
      const state = await deps.finalise.finalisations.get(callSid);
      if (!state || state.step === 'done') continue;
      if (deps.now() > deadline) {
        report.deferred += 1;
        waitingSince.set(callSid, state.at);
        continue;
      }
      const outcome = await retryIfDue(finalise, state, deps.now());
      if (outcome?.kind === 'finalised') report.finalised.push(callSid);
      else {
        if (!report.pending.includes(callSid)) report.pending.push(callSid);
        waitingSince.set(callSid, state.at);
      }
    } catch (error) {
      forCall(callSid).error('Sweep could not retry this finalisation: next run retries', {
        error: error as Error,
      });
      if (!report.pending.includes(callSid)) report.pending.push(callSid);
    }
  }

  if (deps.businessNumber && deps.now() <= deadline) {
    const unknown = await orNothing('finalise the calls Twilio had and we never recorded', () =>
      finaliseUnrecordedCalls(deps, finalise, startedAt, deadline, waitingSince),
    );
    report.finalised.push(...(unknown?.finalised ?? []));
    report.pending.push(...(unknown?.pending ?? []));
  }

  const oldest = Math.min(...waitingSince.values());
  report.oldestUnfinalisedAgeSeconds = Number.isFinite(oldest)
    ? Math.max(0, Math.round((deps.now() - oldest) / 1000))
    : 0;
  logger.info('Finalisation sweep done', {
    finalised: report.finalised.length,
    live: report.live.length,
    pending: report.pending.length,
    deferred: report.deferred,
    oldestUnfinalisedAgeSeconds: report.oldestUnfinalisedAgeSeconds,
  });
  return report;
}

async function sweepOne(
  deps: SweepDeps,
  finalise: FinaliseDeps,
  call: UnfinalisedCall,
): Promise<FinaliseOutcome | 'live'> {
  const log = forCall(call.callSid);
  const state = await finalise.finalisations.get(call.callSid);
  if (state) {
    if (state.step === 'done') {
      if (call.status === 'finalised') {
        // Turns landed after finalisation began: the CRM row gets them too. The count is read
        // first, so a turn landing during the CRM write keeps the call listed for the next run.
        const seen = (await deps.sessions.get(call.callSid))?.session.lateTurnMarks ?? 0;
        await saveLateTurns(finalise, call.callSid);
        await deps.sessions.lateTurnsSaved(call.callSid, seen);
      } else {
        // Finalised, but the session's last write failed: set it now so the index lets go.
        await deps.sessions.markFinalised(call.callSid, deps.now());
      }
      return { kind: 'already-done', callSid: call.callSid };
    }
    return (
      (await retryIfDue(finalise, state, deps.now())) ?? {
        kind: 'pending',
        callSid: call.callSid,
        step: state.step,
        error: state.lastError ?? 'retry not due yet',
      }
    );
  }

  const twilioCall = await deps.twilio.getCall(call.callSid);
  if (twilioCall && LIVE_STATUSES.has(twilioCall.status)) return 'live';
  const record = await deps.sessions.get(call.callSid);
  if (twilioCall && record?.session.status === 'streaming') {
    // Over for Twilio, still streaming for us: the bridge never recorded the end. Once the grace
    // has passed since Twilio's end (the bridge's own write is retried for less), it never will.
    const endedAt = twilioCall.endedAt ?? deps.now();
    if (deps.now() - endedAt < deps.graceMs) return 'live';
    log.warn('The call streamed and its end was never recorded: a callback is due', {
      twilioStatus: twilioCall.status,
    });
    await deps.sessions.markEnded(call.callSid, BRIDGE_LOST_END_REASON, endedAt);
  }
  // Twilio does not know the call (404): it never really happened there; what the session saw decides.
  const status = twilioCall
    ? isFinalCallStatus(twilioCall.status)
      ? twilioCall.status
      : 'failed'
    : record?.session.streamingAt !== undefined
      ? 'completed'
      : 'canceled';
  log.warn('No status callback within the grace period: finalising from the Twilio REST API', {
    twilioStatus: twilioCall?.status ?? 'not-found',
    status,
    waitedSeconds: Math.round((deps.now() - call.since) / 1000),
  });
  return finaliseCall(finalise, {
    callSid: call.callSid,
    status,
    durationSeconds: twilioCall?.durationSeconds,
    at: twilioCall?.endedAt ?? deps.now(),
    fallback: twilioCall
      ? { from: twilioCall.from, to: twilioCall.to, direction: twilioCall.direction }
      : undefined,
  });
}

/**
 * Calls to the business number that Twilio has and we have no trace of (no session, no
 * finalisation): the inbound webhook failed before writing anything and the status callback never
 * came. Twilio's record alone still makes a row and an owner email (usually a missed call). The
 * look starts at the stored watermark and the mark moves up to the oldest call not settled yet, so
 * an outage of any length (up to `MAX_LOOKBACK_MS`) is swept once it is over.
 */
async function finaliseUnrecordedCalls(
  deps: SweepDeps,
  finalise: FinaliseDeps,
  startedAt: number,
  deadline: number,
  waitingSince: Map<string, number>,
): Promise<{ finalised: string[]; pending: string[] }> {
  const result = { finalised: [] as string[], pending: [] as string[] };
  const stored = await deps.watermark?.get();
  const since = Math.max(
    stored ?? startedAt - (deps.lookbackMs ?? FIRST_LOOKBACK_MS),
    startedAt - MAX_LOOKBACK_MS,
  );
  // Calls Twilio lists a little late are covered by keeping the mark a grace period behind the run.
  let next = startedAt - deps.graceMs;
  const calls = await deps.twilio.callsTo(deps.businessNumber ?? '', since);
  for (const [i, call] of calls.entries()) {
    const keep = () => {
      next = Math.min(next, call.startedAt ?? call.createdAt ?? since);
    };
    if (deps.now() > deadline) {
      // The next run lists these again.
      for (const rest of calls.slice(i)) next = Math.min(next, rest.startedAt ?? rest.createdAt ?? since);
      break;
    }
    if (call.direction !== 'inbound') continue;
    if (!isFinalCallStatus(call.status)) {
      keep();
      continue;
    }
    const endedAt = call.endedAt ?? call.startedAt ?? call.createdAt ?? startedAt;
    if (endedAt > startedAt - deps.graceMs) {
      keep();
      continue;
    }
    try {
      if (await finalise.finalisations.get(call.callSid)) continue;
      if (await deps.sessions.get(call.callSid)) continue;
      forCall(call.callSid).warn(
        'A call Twilio had and we never recorded: finalising from the Twilio REST API',
        { twilioStatus: call.status },
      );
      const outcome = await finaliseCall(finalise, {
        callSid: call.callSid,
        status: call.status,
        durationSeconds: call.durationSeconds,
        at: endedAt,
        fallback: { from: call.from, to: call.to, direction: call.direction },
      });
      if (outcome.kind === 'finalised') result.finalised.push(call.callSid);
      else if (outcome.kind === 'pending') {
        // On the pending list from now on: retried there, not here.
        result.pending.push(call.callSid);
        waitingSince.set(call.callSid, endedAt);
      }
    } catch (error) {
      forCall(call.callSid).error('Sweep could not finalise this unrecorded call: next run retries', {
        error: error as Error,
      });
      keep();
      result.pending.push(call.callSid);
      waitingSince.set(call.callSid, endedAt);
    }
  }
  await deps.watermark?.set(Math.max(next, since));
  return result;
}

/**
 * A phase of the sweep whose failure (DynamoDB or Twilio unreachable) must not cost the rest of the
 * run, or the age metric the alarm watches: logged, then undefined.
 */
async function orNothing<T>(what: string, phase: () => Promise<T>): Promise<T | undefined> {
  try {
    return await phase();
  } catch (error) {
    logger.error(`Sweep could not ${what}: next run retries`, { error: error as Error });
    return undefined;
  }
}

/** Runs a pending finalisation again once its backoff has passed; undefined when not due yet. */
async function retryIfDue(
  finalise: FinaliseDeps,
  state: FinalisationState,
  now: number,
): Promise<FinaliseOutcome | undefined> {
  // A state with no failed attempt yet is either running right now or died before its first
  // attempt: give it the first delay too, so the sweeper does not race a live status callback.
  if (now < nextRetryAt({ attempts: Math.max(1, state.attempts), updatedAt: state.updatedAt }))
    return undefined;
  return resumeFinalisation(finalise, state.callSid);
}
