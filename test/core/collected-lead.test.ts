import { finaliseCall } from '../../services/core/after-call/finalise-call.js';
import { type PostCallDeps, recordPostCall } from '../../services/core/after-call/post-call.js';
import type { CallSession } from '../../services/core/call/call-session.js';
import {
  CALL_SID,
  CALLER,
  harness,
  LEAD,
  session,
  T0,
  TOOL_CALLS,
  TURNS,
} from '../support/after-call-scenario.js';

const FINAL = { callSid: CALL_SID, status: 'completed' as const, durationSeconds: 125, at: T0 + 127_000 };

/** A post-call webhook whose analysis collected these values (ids as `agent:sync` defines them). */
function analysed(values: Record<string, unknown>, eventOffsetSeconds = 200) {
  return {
    type: 'post_call_transcription',
    event_timestamp: Math.floor(T0 / 1000) + eventOffsetSeconds,
    data: {
      agent_id: 'agent_1',
      conversation_id: 'conv_1',
      status: 'done',
      analysis: {
        data_collection_results: Object.fromEntries(
          Object.entries(values).map(([id, value]) => [
            id,
            { data_collection_id: id, value, json_schema: { type: 'string' }, rationale: 'said so' },
          ]),
        ),
        call_successful: 'success',
        transcript_summary: null,
      },
      conversation_initiation_client_data: { dynamic_variables: { call_sid: CALL_SID } },
    },
  };
}

function setUp(toolCalls = TOOL_CALLS.slice(0, 0), sessionFields: Partial<CallSession> = {}) {
  const h = harness();
  const deps: PostCallDeps = { ...h.deps, analyses: h.store };
  // The conversation id the bridge recorded when the call started: the webhook is matched on it.
  h.sessions.put({
    session: session({ status: 'ended', conversationId: 'conv_1', ...sessionFields }),
    turns: TURNS,
    toolCalls,
  });
  return { ...h, deps };
}

/** The CRM holds one lead, made for this call, with these fields among its own. */
function expectTheCallsLead(h: ReturnType<typeof setUp>, fields: Record<string, unknown>): void {
  expect(h.crm.leads).toEqual([expect.objectContaining({ callSid: CALL_SID, ...fields })]);
}

describe('ElevenLabs data collection reaches the CRM lead', () => {
  it('analysis first, no save_lead on the call: finalisation makes the lead, links it and tells the owner', async () => {
    const h = setUp();
    await recordPostCall(
      h.deps,
      analysed({
        caller_name: 'Grace Hopper',
        caller_email: 'grace@example.com',
        caller_interest: 'teeth whitening',
      }),
    );

    await finaliseCall(h.deps, FINAL);

    expectTheCallsLead(h, {
      name: 'Grace Hopper',
      email: 'grace@example.com',
      interest: 'teeth whitening',
      phone: CALLER,
      customerId: h.crm.customers.get(CALLER)?.id,
    });
    expect(h.crm.customers.get(CALLER)).toMatchObject({ name: 'Grace Hopper', email: 'grace@example.com' });
    expect(h.crm.calls.get(CALL_SID)?.leadId).toBe(h.crm.leads[0]?.id);
    expect(h.mailer.sent[0]?.text).toContain(
      'Lead: Grace Hopper (grace@example.com, +12125550123): teeth whitening',
    );
  });

  it('analysis after finalisation: only what the tool left out is filled; a redelivery writes nothing', async () => {
    const h = setUp(TOOL_CALLS);
    h.crm.seedLead({ ...LEAD, email: undefined });
    await finaliseCall(h.deps, FINAL);
    const rowWrites = h.crm.saveCallWrites;

    const outcome = await recordPostCall(
      h.deps,
      analysed({ caller_name: 'A. Lovelace', caller_email: 'ada@example.com', caller_interest: 'braces' }),
    );

    expect(outcome).toMatchObject({ kind: 'stored', crmUpdated: true });
    // The tool's name and interest stay; the email the tool did not record is added.
    expect(h.crm.leads).toEqual([
      expect.objectContaining({
        id: 'lead-1',
        name: 'Ada Lovelace',
        interest: 'Whitening',
        email: 'ada@example.com',
      }),
    ]);
    expect(h.crm.saveCallWrites).toBe(rowWrites + 1);

    const again = await recordPostCall(
      h.deps,
      analysed(
        { caller_name: 'A. Lovelace', caller_email: 'ada@example.com', caller_interest: 'braces' },
        300,
      ),
    );
    expect(again).toMatchObject({ kind: 'stored', crmUpdated: false });
    expect(h.crm.saveCallWrites).toBe(rowWrites + 1);
  });

  it('ignores values that are empty, not text or not an email, and makes no lead without a name', async () => {
    const h = setUp();
    await recordPostCall(
      h.deps,
      analysed({ caller_name: null, caller_email: 'grace at example', caller_interest: 42 }),
    );
    await finaliseCall(h.deps, FINAL);
    expect(h.crm.leads).toEqual([]);

    const anonymous = setUp();
    anonymous.sessions.put({
      session: session({ status: 'ended', from: 'anonymous' }),
      turns: TURNS,
      toolCalls: [],
    });
    await recordPostCall(anonymous.deps, analysed({ caller_name: 'Grace Hopper' }));
    await finaliseCall(anonymous.deps, FINAL);
    expect(anonymous.crm.leads).toEqual([]);
    expect(anonymous.crm.calls.get(CALL_SID)).toBeDefined();
  });

  it("from an unattested number: the lead is made and linked, the number's customer row is left as it is", async () => {
    const h = setUp([], { callerVerified: false, customer: { id: 'cust-1' } });
    await recordPostCall(h.deps, analysed({ caller_name: 'Mallory', caller_email: 'mallory@example.com' }));
    await finaliseCall(h.deps, FINAL);

    expectTheCallsLead(h, { name: 'Mallory', email: 'mallory@example.com', phone: CALLER });
    expect(h.crm.calls.get(CALL_SID)?.leadId).toBe(h.crm.leads[0]?.id);
    expect(h.crm.customers.get(CALLER)).toEqual({ phone: CALLER, id: expect.any(String) });
  });

  it("a lead the tools kept under someone else's number never renames that number's customer", async () => {
    const victim = '+12025550177';
    const h = setUp(TOOL_CALLS);
    h.crm.seedLead({ ...LEAD, phone: victim, email: undefined });
    await recordPostCall(h.deps, analysed({ caller_name: 'Mallory', caller_email: 'mallory@example.com' }));
    await finaliseCall(h.deps, FINAL);

    expect(h.crm.leads[0]).toMatchObject({ phone: victim, email: 'mallory@example.com' });
    expect(h.crm.customers.get(victim)).toEqual({ phone: victim, id: expect.any(String) });
  });
});
