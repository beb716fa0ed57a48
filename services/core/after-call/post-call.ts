/**
 * `POST /elevenlabs/post-call` after its signature is checked: keep ElevenLabs' analysis of a
 * conversation with our call, and if the call row is already in the CRM, give it the analysis
 * summary. Tolerates arriving before the Twilio status callback (finalisation then reads the stored
 * analysis) and after it (the row is written again), and redelivery (nothing changes).
 */
import * as z from 'zod';
import type { PostCallAnalysisStore } from '../ports/call-store.js';
import { forCall, logger } from '../shared/logging.js';
import { zodProblems } from '../shared/validation.js';
import { type FinaliseDeps, mergeLateAnalysis } from './finalise-call.js';

export type PostCallDeps = Omit<FinaliseDeps, 'analyses'> & { analyses: PostCallAnalysisStore };

export type PostCallOutcome =
  /** Not a JSON envelope we can read: answer 400. */
  | { kind: 'invalid'; problems: string[] }
  /** Another webhook type (`post_call_audio`, `call_initiation_failure`, …): acknowledged, ignored. */
  | { kind: 'ignored'; type: string }
  /** A conversation without our `call_sid` dynamic variable (e.g. a test from the dashboard). */
  | { kind: 'no-call-sid'; conversationId: string }
  /**
   * The `call_sid` names a call that did not start this conversation (no such call, another engine,
   * or another conversation id recorded by the bridge): nothing is stored.
   */
  | { kind: 'unmatched'; conversationId: string }
  | { kind: 'stored'; callSid: string; conversationId: string; duplicate: boolean; crmUpdated: boolean };

// Parsed tolerantly (docs/protocols.md §1.8): ElevenLabs adds fields, and null stands for absent.
const envelopeSchema = z.object({
  type: z.string().min(1),
  event_timestamp: z.number().nonnegative().optional(),
  data: z.unknown(),
});

const transcriptionSchema = z.object({
  conversation_id: z.string().min(1),
  analysis: z
    .object({
      transcript_summary: z.string().nullish(),
      call_successful: z.string().nullish(),
      data_collection_results: z
        .record(z.string(), z.object({ value: z.unknown(), rationale: z.string().nullish() }))
        .nullish(),
    })
    .nullish(),
  conversation_initiation_client_data: z
    .object({ dynamic_variables: z.record(z.string(), z.unknown()).nullish() })
    .nullish(),
});

/** `payload` is the parsed JSON body (after the signature check on the raw one). */
export async function recordPostCall(deps: PostCallDeps, payload: unknown): Promise<PostCallOutcome> {
  const envelope = envelopeSchema.safeParse(payload);
  if (!envelope.success) return { kind: 'invalid', problems: zodProblems(envelope.error, '(body)') };
  if (envelope.data.type !== 'post_call_transcription') {
    logger.info('ElevenLabs webhook acknowledged and ignored', { type: envelope.data.type });
    return { kind: 'ignored', type: envelope.data.type };
  }
  const parsed = transcriptionSchema.safeParse(envelope.data.data);
  if (!parsed.success) return { kind: 'invalid', problems: zodProblems(parsed.error, '(body)') };
  const data = parsed.data;

  // The bridge sends our callSid as a dynamic variable: the only link between the two ids.
  const callSid = data.conversation_initiation_client_data?.dynamic_variables?.call_sid;
  if (typeof callSid !== 'string' || callSid.trim() === '') {
    logger.warn('Post-call webhook without a call_sid dynamic variable: ignored', {
      conversationId: data.conversation_id,
    });
    return { kind: 'no-call-sid', conversationId: data.conversation_id };
  }

  // The call_sid variable is only a claim inside the payload: the conversation must be the one the
  // bridge recorded when this call's ElevenLabs conversation started.
  const record = await deps.sessions.get(callSid);
  if (record?.session.conversationId !== data.conversation_id) {
    logger.warn('Post-call webhook for a conversation the named call did not start: ignored', {
      conversationId: data.conversation_id.slice(0, 64),
      callFound: record !== undefined,
    });
    return { kind: 'unmatched', conversationId: data.conversation_id };
  }

  const now = deps.now();
  const dataCollection: Record<string, { value: unknown; rationale?: string }> = {};
  for (const [id, result] of Object.entries(data.analysis?.data_collection_results ?? {})) {
    dataCollection[id] = {
      value: result.value ?? null,
      ...(result.rationale ? { rationale: result.rationale } : {}),
    };
  }
  const { stored } = await deps.analyses.saveAnalysis({
    callSid,
    conversationId: data.conversation_id,
    summary: data.analysis?.transcript_summary?.trim() || undefined,
    callSuccessful: data.analysis?.call_successful ?? undefined,
    dataCollection,
    eventAt: envelope.data.event_timestamp !== undefined ? envelope.data.event_timestamp * 1000 : now,
    receivedAt: now,
  });
  // Merge even on a redelivery: an earlier delivery may have stored the analysis and then failed
  // to reach the CRM. The merge itself is idempotent.
  const crmUpdated = await mergeLateAnalysis(deps, callSid);
  forCall(callSid).info('Post-call analysis recorded', {
    conversationId: data.conversation_id,
    duplicate: !stored,
    crmUpdated,
  });
  return { kind: 'stored', callSid, conversationId: data.conversation_id, duplicate: !stored, crmUpdated };
}
