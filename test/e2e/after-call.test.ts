/**
 * After the call, through the local stack: a real call (caller audio, engine transcripts, a tool
 * call) ends, Twilio's signed status callback finalises it into the CRM and the owner's outbox;
 * repeats change nothing; a CRM outage leaves it pending until the digest run retries it; the
 * ElevenLabs post-call webhook is checked on its raw body; the digest goes out once per day.
 */
import { DateTime } from 'luxon';
import { signElevenLabsWebhook } from '../../services/adapters/elevenlabs/webhook-signature';
import { OutboxMailer } from '../../services/adapters/memory/outbox-mailer';
import type { CallRow } from '../../services/core/ports/crm';
import type { EngineName } from '../../services/core/shared/engines';
import { FlakyCrm } from '../support/flaky-crm';
import { eventually } from '../support/wait-until';
import { callThatSaidHello } from './engine-driver';
import {
  BUSINESS_NUMBER,
  type Harness,
  harnessForSuite,
  OWNER_EMAIL,
  postCallBody,
  startHarness,
  statusCallback,
  WEBHOOK_SECRET,
} from './harness';

const TZ = 'America/New_York';
const CALLER = '+15551237777';

/** The e2e waits allow 8 s: a loaded CI machine finalises a call in seconds, not milliseconds. */
const WAIT_MS = 8000;

const today = () => DateTime.now().setZone(TZ).toISODate() ?? '';
const wholeDay = () => {
  const start = DateTime.now().setZone(TZ).startOf('day');
  return { from: start.toMillis(), to: start.plus({ days: 1 }).toMillis() };
};

function status(harness: Harness, callSid: string, callStatus: string, extra: { signature?: 'forged' } = {}) {
  return statusCallback(harness, { callSid, from: CALLER, callStatus, signature: extra.signature });
}

async function callsToday(harness: Harness): Promise<CallRow[]> {
  const { from, to } = wholeDay();
  return harness.app.adapters.crm.callsBetween(from, to);
}

const outbox = (harness: Harness) => OutboxMailer.read(harness.stack.config.localOutboxDir);
const ownerMail = async (harness: Harness) => (await outbox(harness)).filter((m) => m.to === OWNER_EMAIL);

/** A call with a spoken exchange and a saved lead, hung up by the caller; resolves once it has ended. */
async function finishedCall(harness: Harness, engine: EngineName): Promise<string> {
  const { callSid, stream, driver } = await callThatSaidHello(harness, engine, CALLER);
  driver.transcripts('Hi, my boiler is leaking.', 'Sorry to hear that. Can I take your name?');
  const saved = await driver.toolCall('save_lead', { name: 'Sam Rivera', interest: 'leaking boiler' });
  expect(saved.isError).toBe(false);
  await eventually(
    () => harness.stack.sessions.get(callSid),
    (r) => (r?.turns.length ?? 0) >= 2 && (r?.toolCalls.length ?? 0) >= 1,
    WAIT_MS,
  );
  await stream.hangUp();
  await eventually(
    () => harness.stack.sessions.get(callSid),
    (r) => r?.session.status === 'ended',
    WAIT_MS,
  );
  return callSid;
}

describe.each<EngineName>(['elevenlabs', 'openai'])('a finished call on %s', (engine) => {
  const harness = harnessForSuite({ provider: engine, tools: 'real' });

  it('lands in the CRM with its turns and lead, and the owner gets one email, even if Twilio repeats itself', async () => {
    const callSid = await finishedCall(harness, engine);

    const forged = await status(harness, callSid, 'completed', { signature: 'forged' });
    expect(forged.status).toBe(403);
    expect(await callsToday(harness)).toEqual([]);

    const ringing = await status(harness, callSid, 'in-progress');
    expect(ringing.status).toBe(200);
    expect(await callsToday(harness)).toEqual([]);

    expect((await status(harness, callSid, 'completed')).status).toBe(200);

    const rows = await callsToday(harness);
    expect(rows).toHaveLength(1);
    const row = rows[0];
    expect(row).toMatchObject({
      callSid,
      direction: 'inbound',
      from: CALLER,
      to: BUSINESS_NUMBER,
      servedBy: engine,
      failedOver: false,
      outcome: 'completed',
      durationSeconds: 42,
      leadId: expect.any(String),
    });
    expect(row?.turns.map((t) => [t.role, t.text])).toEqual(
      expect.arrayContaining([
        ['caller', 'Hi, my boiler is leaking.'],
        ['agent', 'Sorry to hear that. Can I take your name?'],
      ]),
    );
    const mail = await ownerMail(harness);
    expect(mail).toHaveLength(1);
    expect(mail[0]?.subject).toContain(CALLER);
    expect(mail[0]?.text).toContain('Lead: Sam Rivera');
    expect(mail[0]?.text).toContain('Caller: Hi, my boiler is leaking.');
    expect((await harness.stack.sessions.get(callSid))?.session.status).toBe('finalised');

    // Twilio repeats the callback: still one row, one email.
    expect((await status(harness, callSid, 'completed')).status).toBe(200);
    expect(await callsToday(harness)).toHaveLength(1);
    expect(await ownerMail(harness)).toHaveLength(1);
  });
});

describe('the CRM is down when the call ends', () => {
  const crm = new FlakyCrm({ timezone: TZ }, ['saveCall']);
  let harness: Harness;
  // The after-call clock runs ahead once the CRM is back, so the sweeper's backoff has passed.
  let ahead = 0;
  beforeAll(async () => {
    harness = await startHarness({
      provider: 'elevenlabs',
      tools: 'real',
      adapters: { crm },
      now: () => Date.now() + ahead,
    });
  });
  afterAll(() => harness.close());

  it('keeps the call pending, the sweeper finalises it once, and the digest reports it', async () => {
    const callSid = await finishedCall(harness, 'elevenlabs');
    crm.down = true;

    expect((await status(harness, callSid, 'completed')).status).toBe(200);
    expect(await harness.stack.stores.finalisations.get(callSid)).toMatchObject({
      step: 'pending',
      attempts: 1,
      lastError: 'Supabase unavailable (503)',
    });
    expect(await harness.stack.stores.finalisations.listPending(10)).toEqual([callSid]);
    expect(await ownerMail(harness)).toEqual([]);
    expect((await harness.stack.sessions.get(callSid))?.session.status).toBe('finalising');

    crm.down = false;
    ahead = 5 * 60_000;
    expect((await harness.app.afterCall.sweep()).finalised).toEqual([callSid]);
    const digest = await harness.app.afterCall.digest({ day: today() });

    expect(digest).toMatchObject({
      kind: 'sent',
      day: today(),
      pending: 0,
      counts: { calls: 1, inbound: 1, answered: 1, leads: 1 },
    });
    expect(await callsToday(harness)).toEqual([expect.objectContaining({ callSid, outcome: 'completed' })]);
    expect(await harness.stack.stores.finalisations.listPending(10)).toEqual([]);
    expect((await harness.stack.sessions.get(callSid))?.session.status).toBe('finalised');
    const mail = await ownerMail(harness);
    expect(mail.map((m) => m.subject)).toEqual(
      expect.arrayContaining([expect.stringContaining(CALLER), expect.stringMatching(/daily digest/)]),
    );
    expect(mail).toHaveLength(2);
    const digestMail = mail.find((m) => /daily digest/.test(m.subject));
    expect(digestMail?.text).toContain(CALLER);

    // The schedule retried: no second digest; the sweeper has nothing left.
    const again = await harness.app.afterCall.digest({ day: today() });
    expect(again).toMatchObject({ kind: 'already-sent' });
    expect((await harness.app.afterCall.sweep()).finalised).toEqual([]);
    expect(await ownerMail(harness)).toHaveLength(2);
  });
});

describe('the ElevenLabs post-call webhook', () => {
  const harness = harnessForSuite({ provider: 'elevenlabs', tools: 'real' });

  function analysisBody(
    callSid: string,
    summary: string,
    conversationId = `conv_${callSid.slice(-8)}`,
  ): string {
    return postCallBody(callSid, {
      agent_id: 'agent_test',
      conversation_id: conversationId,
      status: 'done',
      transcript: [],
      analysis: {
        transcript_summary: summary,
        call_successful: 'success',
        data_collection_results: { issue: { value: 'leaking boiler', rationale: 'the caller said so' } },
      },
    });
  }

  const post = (body: string, signature: string | undefined) => harness.postCall(body, signature ?? null);

  it('refuses a wrong, missing or stale signature with no side effect, and merges a good one into the call row', async () => {
    const callSid = await finishedCall(harness, 'elevenlabs');
    expect((await status(harness, callSid, 'completed')).status).toBe(200);
    const before = (await callsToday(harness))[0];
    expect(before?.summary).toContain('boiler is leaking');

    // The bridge recorded the conversation id the ElevenLabs conversation started with.
    const conversationId = (await harness.stack.sessions.get(callSid))?.session.conversationId;
    expect(conversationId).toMatch(/\S/);
    const body = analysisBody(
      callSid,
      'Sam Rivera reported a leaking boiler and wants a plumber.',
      conversationId,
    );
    const nowSeconds = Math.floor(Date.now() / 1000);

    // Signed, but for another conversation naming this call: acknowledged, nothing stored.
    const foreign = analysisBody(callSid, 'Injected summary', 'conv_not_this_call');
    const mismatch = await post(foreign, signElevenLabsWebhook(WEBHOOK_SECRET, foreign, nowSeconds));
    expect(mismatch.status).toBe(200);
    expect(await mismatch.json()).toEqual({
      status: 'ignored',
      reason: 'conversation does not match the call',
    });
    expect(await harness.stack.stores.finalisations.getAnalysis(callSid)).toBeUndefined();

    const wrong = await post(body, signElevenLabsWebhook('not-the-secret', body, nowSeconds));
    expect(wrong.status).toBe(401);
    expect((await post(body, undefined)).status).toBe(401);
    // Signed for another body: the HMAC covers the raw bytes.
    const tampered = await post(
      body.replace('leaking', 'dripping'),
      signElevenLabsWebhook(WEBHOOK_SECRET, body, nowSeconds),
    );
    expect(tampered.status).toBe(401);
    const stale = await post(body, signElevenLabsWebhook(WEBHOOK_SECRET, body, nowSeconds - 31 * 60));
    expect(stale.status).toBe(403);
    expect(await harness.stack.stores.finalisations.getAnalysis(callSid)).toBeUndefined();
    expect((await callsToday(harness))[0]?.summary).toBe(before?.summary);

    const good = await post(body, signElevenLabsWebhook(WEBHOOK_SECRET, body, nowSeconds));
    expect(good.status).toBe(200);
    expect(await good.json()).toEqual({ status: 'stored', callSid, crmUpdated: true });
    expect(await harness.stack.stores.finalisations.getAnalysis(callSid)).toMatchObject({
      summary: 'Sam Rivera reported a leaking boiler and wants a plumber.',
      dataCollection: { issue: { value: 'leaking boiler', rationale: 'the caller said so' } },
    });
    const rows = await callsToday(harness);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.summary).toBe('Sam Rivera reported a leaking boiler and wants a plumber.');

    // A redelivery is acknowledged and changes nothing; still one owner email.
    const redelivered = await post(body, signElevenLabsWebhook(WEBHOOK_SECRET, body, nowSeconds));
    expect(await redelivered.json()).toMatchObject({ status: 'duplicate', callSid });
    expect(await ownerMail(harness)).toHaveLength(1);
  });
});
