/**
 * One call as the local pages show it, derived from what the stores hold: the session, its turns and
 * tool calls (written by the bridge), and the finalisation state (written by `POST /twilio/status`).
 * The softphone's live panels and the calls page both read it, so they always agree.
 */

import type { CallRecord, Turn } from '../../core/call/call-session.js';
import { summariseLatency } from '../../core/call/turn-latency.js';
import type { FinalisationState } from '../../core/ports/call-store.js';
import type { CallView, LatencySummary, TurnLatency } from '../web/wire.js';

export type { CallView, LatencySummary, TurnLatency };

/**
 * Caller's turn ended → the agent's answer, per turn, from the transcript times the bridge wrote:
 * the caller's turn is stamped when the engine reports it over (ElevenLabs `user_transcript`, the
 * same moment the bridge's TurnLatency metric starts from), the agent's when its response begins.
 * An agent turn counts only right after a caller turn (the greeting has no caller turn before it).
 */
export function turnLatencies(turns: Turn[]): TurnLatency[] {
  const latencies: TurnLatency[] = [];
  for (let i = 1; i < turns.length; i++) {
    const before = turns[i - 1] as Turn;
    const turn = turns[i] as Turn;
    if (before.role !== 'caller' || turn.role !== 'agent') continue;
    const ms = turn.at - before.at;
    if (ms >= 0) latencies.push({ callerSeq: before.seq, agentSeq: turn.seq, ms });
  }
  return latencies;
}

/** p50/p90 of the transcript-timed latencies, by the bridge's own rule (nearest rank). */
export function summariseLatencies(latencies: TurnLatency[]): LatencySummary | undefined {
  return summariseLatency(latencies.map((latency) => latency.ms));
}

export function callView(record: CallRecord, final?: FinalisationState): CallView {
  const { session } = record;
  const latencies = turnLatencies(record.turns);
  const start = session.streamingAt ?? session.createdAt;
  const measured =
    session.endedAt !== undefined ? Math.max(0, Math.round((session.endedAt - start) / 1000)) : undefined;
  return {
    callSid: session.callSid,
    direction: session.direction,
    from: session.from,
    to: session.to,
    engine: session.servedBy ?? session.provider,
    failoverReason: session.failoverReason,
    status: session.status,
    outcome:
      final?.status ??
      (session.status === 'created' || session.status === 'streaming' ? 'in progress' : 'ending'),
    finalisation: final?.step,
    createdAt: session.createdAt,
    durationSeconds: final?.durationSeconds ?? measured,
    endReason: session.endReason,
    turns: record.turns,
    toolCalls: record.toolCalls.map((call) => ({
      seq: call.seq,
      name: call.name,
      args: call.args,
      ok: call.result.ok,
      result: call.result.text,
      durationMs: call.durationMs,
      at: call.at,
    })),
    texts: (record.texts ?? []).map(({ kind, to, body, at }) => ({ kind, to, body, at })),
    latencies,
    // The bridge's own measure (caller stops speaking → first agent audio) once it has written it;
    // until then, the one the transcript's times give.
    latency: session.turnLatency ?? summariseLatencies(latencies),
  };
}
