/**
 * Outcomes that say what happened: engine-outage and transfer-unanswered reach the CRM
 * row and the owner email as a callback due; a booking the CRM missed is written by finalisation.
 */
import { createDialResultHandler } from '../../functions/dial-result.js';
import { MemoryCallSessionStore } from '../../services/adapters/memory/call-session-store.js';
import { dialTwiml } from '../../services/adapters/twilio/dial-twiml.js';
import { finaliseCall } from '../../services/core/after-call/finalise-call.js';
import type { ToolCallRecord } from '../../services/core/call/call-session.js';
import { loadConfig } from '../../services/core/shared/config.js';
import {
  bookedOwingCrmRow,
  CALL_SID,
  CALLER,
  harness,
  session,
  T0,
  TURNS,
} from '../support/after-call-scenario.js';
import { formEvent, signForm, TEST_ACCOUNT_SID, testEnv } from '../support/twilio.js';

const finalise = (h: ReturnType<typeof harness>) =>
  finaliseCall(
    { ...h.deps, settleMs: 0 },
    { callSid: CALL_SID, status: 'completed', durationSeconds: 4, at: T0 + 5000 },
  );

describe('call outcomes', () => {
  test('no engine could take the call: engine-outage, and the owner is asked to call back', async () => {
    const h = harness();
    h.sessions.put({
      session: session({ endReason: 'engine-outage: elevenlabs: 503; openai: timeout', servedBy: undefined }),
    });
    await finalise(h);
    expect(h.crm.calls.get(CALL_SID)?.outcome).toBe('engine-outage');
    const email = h.mailer.sent[0];
    expect(email?.subject).toBe(`Callback due: the agent could not answer Ada Lovelace (${CALLER})`);
    expect(email?.text).toMatch(/^CALLBACK DUE: the agent could not answer/);
    expect(email?.text).toContain(`Please call ${CALLER} back.`);
    expect(email?.text).not.toContain('MISSED');
    expect(email?.html).toContain('CALLBACK DUE: the agent could not answer');
  });

  test('a transfer nobody answered: transfer-unanswered, flagged as a callback due', async () => {
    const h = harness();
    h.sessions.put({ session: session({ transferStatus: 'no-answer' }), turns: TURNS });
    await finalise(h);
    expect(h.crm.calls.get(CALL_SID)?.outcome).toBe('transfer-unanswered');
    expect(h.mailer.sent[0]?.subject).toMatch(/^Callback due: transfer unanswered/);
    expect(h.mailer.sent[0]?.text).toContain('nobody answered the transfer');
  });

  test('an answered transfer keeps Twilio’s status', async () => {
    const h = harness();
    h.sessions.put({ session: session({ transferStatus: 'completed' }), turns: TURNS });
    await finalise(h);
    expect(h.crm.calls.get(CALL_SID)?.outcome).toBe('completed');
  });

  test('a booking whose CRM write failed during the call is written by finalisation', async () => {
    const h = harness();
    await finaliseThroughCrmOutage(h, {
      name: 'book_appointment',
      args: { start: '2026-11-26T10:00', name: 'Ada Lovelace' },
      result: bookedOwingCrmRow(CALL_SID, 'Ada Lovelace', 'ev-repair'),
    });
    expect(h.crm.appointments).toEqual([
      expect.objectContaining({ calendarEventId: 'ev-repair', callSid: CALL_SID }),
    ]);
    expect(h.crm.calls.get(CALL_SID)?.appointmentId).toBe(h.crm.appointments[0]?.id);
    expect(h.mailer.sent[0]?.text).toContain('Booked: Thu 26 Nov 2026, 09:12');
  });
});

/** The call with one tool call that owes the CRM a write, finalised through a CRM outage: pending, then done. */
async function finaliseThroughCrmOutage(
  h: ReturnType<typeof harness>,
  call: Pick<ToolCallRecord, 'name' | 'args' | 'result'>,
): Promise<void> {
  h.sessions.put({
    session: session(),
    turns: TURNS,
    toolCalls: [{ seq: 1, at: T0 + 30_000, durationMs: 200, ...call }],
  });
  h.crm.down = true;
  expect((await finalise(h)).kind).toBe('pending');
  h.crm.down = false;
  expect((await finalise(h)).kind).toBe('finalised');
}

describe('a lead the CRM could not take during the call', () => {
  test('is written by finalisation, linked to the row, and named in the owner email', async () => {
    const h = harness();
    await finaliseThroughCrmOutage(h, {
      name: 'save_lead',
      args: { name: 'Ada Lovelace', interest: 'a boiler service' },
      result: {
        ok: true,
        text: "Thanks, I have noted Ada Lovelace's details for the team.",
        crmRepair: {
          kind: 'lead',
          customer: { phone: CALLER, name: 'Ada Lovelace' },
          lead: { callSid: CALL_SID, name: 'Ada Lovelace', phone: CALLER, interest: 'a boiler service' },
        },
      },
    });
    expect(h.crm.leads).toEqual([
      expect.objectContaining({ callSid: CALL_SID, name: 'Ada Lovelace', interest: 'a boiler service' }),
    ]);
    expect(h.crm.calls.get(CALL_SID)?.leadId).toBe(h.crm.leads[0]?.id);
    expect(h.mailer.sent[0]?.text).toContain('a boiler service');
  });
});

describe('POST /twilio/dial-result', () => {
  const config = loadConfig(testEnv({ BUSINESS_NAME: 'Bolt Plumbing' }));
  const url = 'https://voice.example.com/twilio/dial-result';
  const form = (DialCallStatus: string) => ({
    AccountSid: TEST_ACCOUNT_SID,
    CallSid: CALL_SID,
    DialCallStatus,
  });
  const signed = (f: Record<string, string>) =>
    formEvent('/twilio/dial-result', f, { 'x-twilio-signature': signForm(url, f) });

  test('records an unanswered transfer that cannot go back to the agent and tells the caller we will call back', async () => {
    const sessions = Object.assign(new MemoryCallSessionStore(), {
      reopenAfterTransfer: async () => false,
      recordTransferResult: async (callSid: string, status: string) => {
        const s = sessions.records.get(callSid)?.session;
        if (s) s.transferStatus = status;
      },
    });
    sessions.put({ session: session() });
    const handler = createDialResultHandler({ config, sessions });
    const answer = await handler(signed(form('no-answer')));
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toContain(
      '<Say>Sorry, nobody at Bolt Plumbing could take the call. We will call you back. Goodbye.</Say><Hangup/>',
    );
    expect(sessions.records.get(CALL_SID)?.session.transferStatus).toBe('no-answer');

    const answered = await handler(signed(form('completed')));
    expect(answered.body).not.toContain('<Say>');
    expect(answered.body).toContain('<Hangup/>');
  });

  test('a forged dial result is 403 and records nothing', async () => {
    const calls: string[] = [];
    const handler = createDialResultHandler({
      config,
      sessions: {
        recordTransferResult: async (sid) => void calls.push(sid),
        reopenAfterTransfer: async (sid) => calls.push(sid) > 0,
      },
    });
    const f = form('no-answer');
    expect(
      (
        await handler(
          formEvent('/twilio/dial-result', f, { 'x-twilio-signature': signForm(url, f, 'wrong') }),
        )
      ).statusCode,
    ).toBe(403);
    expect(calls).toEqual([]);
  });

  test('the transfer TwiML names the action URL', () => {
    const xml = dialTwiml({ to: '+15550009999', say: 'Connecting.', noAnswerSay: 'Sorry.', action: url });
    expect(xml).toContain(
      `<Dial timeout="25" action="${url}" method="POST"><Number>+15550009999</Number></Dial>`,
    );
  });
});
