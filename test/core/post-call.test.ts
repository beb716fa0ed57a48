import { finaliseCall } from '../../services/core/after-call/finalise-call.js';
import { type PostCallDeps, recordPostCall } from '../../services/core/after-call/post-call.js';
import { bookedCall, CALL_SID, harness, T0 } from '../support/after-call-scenario.js';

const SUMMARY = 'Ada Lovelace booked a cleaning for Thursday at 10:00 and asked about whitening.';

function transcription(
  overrides: { callSid?: string | null; eventTimestamp?: number; summary?: string } = {},
) {
  return {
    type: 'post_call_transcription',
    event_timestamp: overrides.eventTimestamp ?? Math.floor(T0 / 1000) + 200,
    data: {
      agent_id: 'agent_1',
      conversation_id: 'conv_123',
      status: 'done',
      transcript: [{ role: 'agent', message: 'Thanks for calling', time_in_call_secs: 0 }],
      metadata: { start_time_unix_secs: Math.floor(T0 / 1000), call_duration_secs: 125 },
      analysis: {
        evaluation_criteria_results: {},
        data_collection_results: {
          service: {
            data_collection_id: 'service',
            value: 'cleaning',
            json_schema: {},
            rationale: 'asked for it',
          },
          wants_whitening: {
            data_collection_id: 'wants_whitening',
            value: true,
            json_schema: {},
            rationale: null,
          },
        },
        call_successful: 'success',
        transcript_summary: overrides.summary ?? SUMMARY,
      },
      conversation_initiation_client_data: {
        dynamic_variables:
          overrides.callSid === null
            ? { business_name: 'Bolt Dental' }
            : { call_sid: overrides.callSid ?? CALL_SID },
      },
      has_audio: false,
      some_field_added_later: { whatever: 1 },
    },
  };
}

function postCallHarness() {
  const h = harness();
  const deps: PostCallDeps = { ...h.deps, analyses: h.store };
  return { ...h, deps };
}

describe('recordPostCall', () => {
  test('before the status callback: the analysis is stored, and finalisation then uses its summary', async () => {
    const h = postCallHarness();
    bookedCall(h);

    const outcome = await recordPostCall(h.deps, transcription());

    expect(outcome).toEqual({
      kind: 'stored',
      callSid: CALL_SID,
      conversationId: 'conv_123',
      duplicate: false,
      crmUpdated: false,
    });
    expect(await h.store.getAnalysis(CALL_SID)).toMatchObject({
      conversationId: 'conv_123',
      summary: SUMMARY,
      callSuccessful: 'success',
      dataCollection: {
        service: { value: 'cleaning', rationale: 'asked for it' },
        wants_whitening: { value: true },
      },
    });
    expect(h.crm.saveCallWrites).toBe(0);

    await finaliseCall(h.deps, {
      callSid: CALL_SID,
      status: 'completed',
      durationSeconds: 125,
      at: T0 + 127_000,
    });
    expect(h.crm.calls.get(CALL_SID)?.summary).toBe(SUMMARY);
    expect(h.crm.saveCallWrites).toBe(1);
  });

  test('after finalisation: the CRM row is written again with the analysis summary, once', async () => {
    const h = postCallHarness();
    bookedCall(h);
    await finaliseCall(h.deps, {
      callSid: CALL_SID,
      status: 'completed',
      durationSeconds: 125,
      at: T0 + 127_000,
    });
    expect(h.crm.calls.get(CALL_SID)?.summary).toMatch(/^The caller said/);

    const first = await recordPostCall(h.deps, transcription());
    const again = await recordPostCall(h.deps, transcription());

    expect(first).toMatchObject({ kind: 'stored', duplicate: false, crmUpdated: true });
    expect(again).toMatchObject({ kind: 'stored', duplicate: true, crmUpdated: false });
    const row = h.crm.calls.get(CALL_SID);
    expect(row?.summary).toBe(SUMMARY);
    expect(row?.appointmentId).toBe('appt-1');
    expect(h.crm.saveCallWrites).toBe(2);
    expect(h.mailer.sent).toHaveLength(1);
  });

  test('an analysis landing while finalisation writes the row is merged by finalisation', async () => {
    const h = postCallHarness();
    bookedCall(h);
    const save = h.crm.saveCall.bind(h.crm);
    let webhook: Promise<unknown> | undefined;
    h.crm.saveCall = async (row) => {
      await save(row);
      // The webhook runs now: the state is still `pending`, so it leaves the merge to finalisation.
      webhook ??= recordPostCall(h.deps, transcription());
      await webhook;
    };

    await finaliseCall(h.deps, {
      callSid: CALL_SID,
      status: 'completed',
      durationSeconds: 125,
      at: T0 + 127_000,
    });

    expect(await webhook).toMatchObject({ kind: 'stored', crmUpdated: false });
    expect(h.crm.calls.get(CALL_SID)?.summary).toBe(SUMMARY);
    expect((await h.store.get(CALL_SID))?.summarySource).toBe('analysis');
  });

  test('an older event does not replace a newer analysis', async () => {
    const h = postCallHarness();
    bookedCall(h);
    await recordPostCall(h.deps, transcription());
    const older = await recordPostCall(
      h.deps,
      transcription({ eventTimestamp: Math.floor(T0 / 1000) + 100, summary: 'old' }),
    );
    expect(older).toMatchObject({ duplicate: true });
    expect((await h.store.getAnalysis(CALL_SID))?.summary).toBe(SUMMARY);
  });

  test('a conversation the named call did not start (or an unknown call) stores nothing', async () => {
    const h = postCallHarness();
    bookedCall(h);
    const foreign = transcription();
    foreign.data.conversation_id = 'conv_someone_else';
    expect(await recordPostCall(h.deps, foreign)).toEqual({
      kind: 'unmatched',
      conversationId: 'conv_someone_else',
    });
    expect(await recordPostCall(h.deps, transcription({ callSid: 'CA9999' }))).toEqual({
      kind: 'unmatched',
      conversationId: 'conv_123',
    });
    expect(h.store.analyses.size).toBe(0);
  });

  test('other webhook types are acknowledged and ignored', async () => {
    const h = postCallHarness();
    const outcome = await recordPostCall(h.deps, {
      type: 'post_call_audio',
      event_timestamp: 1,
      data: { agent_id: 'a', conversation_id: 'c', full_audio: 'AAAA' },
    });
    expect(outcome).toEqual({ kind: 'ignored', type: 'post_call_audio' });
    expect(h.store.analyses.size).toBe(0);
  });

  test('a conversation without our call_sid is ignored', async () => {
    const h = postCallHarness();
    expect(await recordPostCall(h.deps, transcription({ callSid: null }))).toEqual({
      kind: 'no-call-sid',
      conversationId: 'conv_123',
    });
    expect(h.store.analyses.size).toBe(0);
  });

  test('a body that is not an envelope is invalid, with the problem named', async () => {
    const h = postCallHarness();
    const outcome = await recordPostCall(h.deps, { type: 'post_call_transcription', data: { analysis: {} } });
    expect(outcome.kind).toBe('invalid');
    expect(outcome.kind === 'invalid' && outcome.problems.join()).toContain('conversation_id');
  });
});
