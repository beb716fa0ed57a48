/**
 * Calls we place, through the local stack: `POST /calls` with the local API key, its refusals (none
 * of which reaches Twilio), the Twilio REST request of a valid one, a future `at` held by the local
 * timer, and the answered call: a machine gets a voicemail, a person gets the agent, told why we call.
 */

import { DateTime } from 'luxon';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { OutboxMailer } from '../../services/adapters/memory/outbox-mailer';
import type { EngineName } from '../../services/core/shared/engines';
import {
  openStream,
  placeCall,
  sendStatusCallback,
  voiceWebhookParams,
} from '../../services/local/sim/twilio-caller';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from '../support/twilio';
import { eventually } from '../support/wait-until';
import {
  BUSINESS_NUMBER,
  CALLS_API_KEY,
  type Harness,
  harnessForSuite,
  mediaStreamAddress,
  OWNER_EMAIL,
  PUBLIC_URL,
  signedAsTwilio,
  startHarness,
} from './harness';

const TZ = 'America/New_York';
const CALLEE = '+12025550143';
const ALWAYS_OPEN = 'mon-sun 00:00-24:00';

let keys = 0;
const newKey = () => `e2e-${Date.now().toString(36)}-${++keys}`;

async function postCalls(
  harness: Harness,
  body: unknown,
  /** `null`: no Authorization header at all. */
  authorization: string | null = `Bearer ${CALLS_API_KEY}`,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${harness.stack.url}/calls`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** Calls created through the Twilio REST stand-in (not the updates of live calls). */
const createdCalls = (harness: Harness) =>
  harness.twilioRest.requests.filter((r) => r.path.endsWith('/Calls.json'));

/** Twilio fetching the TwiML of an answered outbound call, signed over the URL with its query. */
function answer(harness: Harness, callSid: string, requestId: string, answeredBy: string) {
  return placeCall({
    ...signedAsTwilio(harness),
    from: BUSINESS_NUMBER,
    to: CALLEE,
    callSid,
    path: `/twilio/outbound?requestId=${requestId}`,
    direction: 'outbound-api',
    extraParams: { AnsweredBy: answeredBy },
  });
}

describe('POST /calls', () => {
  let harness: Harness;
  let closed: Harness;
  /** Moves the app's clock ahead, to the time a schedule is due. */
  const clock = { aheadMs: 0 };
  beforeAll(async () => {
    harness = await startHarness({
      tools: 'real',
      env: { BUSINESS_HOURS: ALWAYS_OPEN, BUSINESS_TIMEZONE: TZ },
      now: () => Date.now() + clock.aheadMs,
    });
    // Open one minute a day, twelve hours from now: whenever the test runs, it is closed.
    const hour = (DateTime.now().setZone(TZ).hour + 12) % 24;
    const window = `${String(hour).padStart(2, '0')}:00-${String(hour).padStart(2, '0')}:01`;
    closed = await startHarness({ env: { BUSINESS_HOURS: `mon-sun ${window}`, BUSINESS_TIMEZONE: TZ } });
  });
  afterAll(async () => {
    await harness.close();
    await closed.close();
  });

  it('refuses a missing or wrong key, a bad number, a country not allowed and a closed hour, with no Twilio request', async () => {
    const missing = await postCalls(harness, { to: CALLEE, idempotencyKey: newKey() }, null);
    expect(missing.status).toBe(401);
    const wrong = await postCalls(harness, { to: CALLEE, idempotencyKey: newKey() }, 'Bearer nope');
    expect(wrong).toEqual({ status: 401, json: expect.objectContaining({ error: 'unauthorized' }) });

    const national = await postCalls(harness, { to: '202-555-0143', idempotencyKey: newKey() });
    expect(national.status).toBe(400);
    expect(national.json).toMatchObject({
      error: 'invalid-number',
      message: expect.stringMatching(/E\.164/),
    });

    const abroad = await postCalls(harness, { to: '+442079460123', idempotencyKey: newKey() });
    expect(abroad.status).toBe(403);
    expect(abroad.json).toMatchObject({
      error: 'country-not-allowed',
      message: expect.stringContaining('OUTBOUND_ALLOWED_COUNTRIES=US,CA'),
    });

    const badKey = await postCalls(harness, { to: CALLEE, idempotencyKey: 'has spaces' });
    expect(badKey.status).toBe(400);
    expect(badKey.json).toMatchObject({
      error: 'invalid-request',
      problems: [expect.stringMatching(/idempotencyKey/)],
    });

    const afterHours = await postCalls(closed, { to: CALLEE, idempotencyKey: newKey() });
    expect(afterHours.status).toBe(409);
    expect(afterHours.json).toMatchObject({
      error: 'outside-hours',
      message: expect.stringMatching(/Outside calling hours .*give "at" to schedule/),
    });

    expect(createdCalls(harness)).toEqual([]);
    expect(createdCalls(closed)).toEqual([]);
  });

  it('places a valid call once: the REST request carries the TwiML URL, the status callback and machine detection', async () => {
    const key = newKey();
    const placed = await postCalls(harness, {
      to: CALLEE,
      name: 'Sam Rivera',
      reason: 'your quote',
      idempotencyKey: key,
    });
    expect(placed).toEqual({
      status: 202,
      json: { status: 'placed', idempotencyKey: key, callSid: expect.stringMatching(/^CA[0-9a-f]{32}$/) },
    });
    const requests = createdCalls(harness);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.form).toEqual(
      expect.objectContaining({
        To: CALLEE,
        From: BUSINESS_NUMBER,
        Url: `${PUBLIC_URL}/twilio/outbound?requestId=${key}`,
        Method: 'POST',
        StatusCallback: `${PUBLIC_URL}/twilio/status`,
        StatusCallbackMethod: 'POST',
        MachineDetection: 'DetectMessageEnd',
      }),
    );
    expect((await harness.stack.sessions.get(placed.json.callSid as string))?.session).toMatchObject({
      direction: 'outbound',
      from: BUSINESS_NUMBER,
      to: CALLEE,
      status: 'created',
      outboundReason: 'your quote',
    });

    const again = await postCalls(harness, {
      to: CALLEE,
      name: 'Sam Rivera',
      reason: 'your quote',
      idempotencyKey: key,
    });
    // The repeat answers exactly as the first did, and places nothing.
    expect(again).toEqual(placed);
    expect(createdCalls(harness)).toHaveLength(1);
  });

  it('takes the idempotency key from the Idempotency-Key header; without any key each request places a call', async () => {
    const before = createdCalls(harness).length;
    const key = newKey();
    const send = (headers: Record<string, string>, body: unknown) =>
      fetch(`${harness.stack.url}/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${CALLS_API_KEY}`, ...headers },
        body: JSON.stringify(body),
      });
    const first = await send({ 'Idempotency-Key': key }, { to: CALLEE });
    const firstJson = await first.json();
    expect(first.status).toBe(202);
    expect(firstJson).toMatchObject({ status: 'placed', idempotencyKey: key });
    const repeat = await send({ 'Idempotency-Key': key }, { to: CALLEE });
    expect(repeat.status).toBe(202);
    expect(await repeat.json()).toEqual(firstJson);
    expect(repeat.headers.get('idempotent-replayed')).toBe('true');
    expect(createdCalls(harness)).toHaveLength(before + 1);

    const mismatch = await send({ 'Idempotency-Key': key }, { to: CALLEE, idempotencyKey: `${key}x` });
    expect(mismatch.status).toBe(400);
    expect(createdCalls(harness)).toHaveLength(before + 1);

    const a = await postCalls(harness, { to: CALLEE });
    const b = await postCalls(harness, { to: CALLEE });
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.json.callSid).not.toBe(b.json.callSid);
    expect(createdCalls(harness)).toHaveLength(before + 3);
  });

  it('holds a future call in a schedule and places it when the schedule fires', async () => {
    const before = createdCalls(harness).length;
    const key = newKey();
    const at = DateTime.now().setZone(TZ).plus({ days: 1 }).set({ hour: 10, minute: 30 });
    const scheduled = await postCalls(harness, {
      to: CALLEE,
      reason: 'call back as asked',
      at: at.toFormat("yyyy-MM-dd'T'HH:mm"),
      idempotencyKey: key,
    });
    expect(scheduled).toEqual({
      status: 202,
      json: {
        status: 'scheduled',
        idempotencyKey: key,
        scheduleName: `callback-${key}`,
        at: at.set({ second: 0, millisecond: 0 }).toISO({ suppressMilliseconds: true }),
      },
    });
    expect(createdCalls(harness)).toHaveLength(before);
    const timer = harness.app.afterCall.scheduler;
    expect(timer.pending()).toContain(`callback-${key}`);

    // At `at`, the timer runs the place-call handler with the stored request, as EventBridge
    // Scheduler invokes the Lambda with it.
    clock.aheadMs = at.toMillis() - Date.now();
    try {
      expect(await timer.fire(`callback-${key}`)).toBe(true);
    } finally {
      clock.aheadMs = 0;
    }
    const requests = createdCalls(harness);
    expect(requests).toHaveLength(before + 1);
    expect(requests.at(-1)?.form.Url).toBe(`${PUBLIC_URL}/twilio/outbound?requestId=${key}`);
    expect(timer.pending()).not.toContain(`callback-${key}`);
  });

  it('leaves a voicemail when a machine answers, and the owner hears about it', async () => {
    const key = newKey();
    const placed = await postCalls(harness, { to: CALLEE, idempotencyKey: key });
    const callSid = placed.json.callSid as string;

    // Twilio signs the TwiML URL with its query: the same form signed without it is refused.
    const params = voiceWebhookParams({
      ...signedAsTwilio(harness),
      from: BUSINESS_NUMBER,
      to: CALLEE,
      callSid,
      direction: 'outbound-api',
      extraParams: { AnsweredBy: 'machine_end_beep' },
    });
    const unsignedQuery = await fetch(`${harness.stack.url}/twilio/outbound?requestId=${key}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': getExpectedTwilioSignature(
          TEST_AUTH_TOKEN,
          `${PUBLIC_URL}/twilio/outbound`,
          params,
        ),
      },
      body: new URLSearchParams(params).toString(),
    });
    expect(unsignedQuery.status).toBe(403);
    expect((await harness.stack.sessions.get(callSid))?.session.status).toBe('created');

    const voicemail = await answer(harness, callSid, key, 'machine_end_beep');
    expect(voicemail.status).toBe(200);
    expect(voicemail.body).toMatch(
      /<Response><Say>Hello, this is Bolt Plumbing\. Sorry we missed you\. Please call us back at \+15550001111\. Thank you, goodbye\.<\/Say><Hangup\/><\/Response>/,
    );
    expect(voicemail.twiml).toBeUndefined();
    expect((await harness.stack.sessions.get(callSid))?.session).toMatchObject({
      status: 'ended',
      endReason: 'voicemail',
    });

    const done = await sendStatusCallback({
      ...signedAsTwilio(harness),
      callSid,
      from: BUSINESS_NUMBER,
      to: CALLEE,
      callStatus: 'completed',
      callDurationSeconds: 14,
      direction: 'outbound-api',
    });
    expect(done.status).toBe(200);
    const start = DateTime.now().setZone(TZ).startOf('day');
    const rows = await harness.app.adapters.crm.callsBetween(
      start.toMillis(),
      start.plus({ days: 1 }).toMillis(),
    );
    expect(rows.find((r) => r.callSid === callSid)).toMatchObject({ direction: 'outbound', to: CALLEE });
    const mail = await OutboxMailer.read(harness.stack.config.localOutboxDir);
    expect(mail.filter((m) => m.to === OWNER_EMAIL && m.text.includes('VOICEMAIL'))).toHaveLength(1);
  });
});

/** The media stream Twilio opens from the TwiML of an answered outbound call. */
function streamAnswered(harness: Harness, callSid: string, answered: Awaited<ReturnType<typeof answer>>) {
  return openStream({
    streamUrl: answered.twiml?.streamUrl ?? '',
    authToken: TEST_AUTH_TOKEN,
    accountSid: TEST_ACCOUNT_SID,
    callSid,
    parameters: answered.twiml?.parameters ?? {},
    connectTo: mediaStreamAddress(harness.stack),
  });
}

describe.each<EngineName>(['elevenlabs', 'openai'])('an outbound call a person answers, on %s', (engine) => {
  const harness = harnessForSuite({
    provider: engine,
    env: { BUSINESS_HOURS: ALWAYS_OPEN, BUSINESS_TIMEZONE: TZ },
  });

  it('connects the agent with a one-time token, and the agent knows why we call', async () => {
    const key = newKey();
    const placed = await postCalls(harness, {
      to: CALLEE,
      reason: 'the boiler quote you asked for',
      idempotencyKey: key,
    });
    const callSid = placed.json.callSid as string;

    const answered = await answer(harness, callSid, key, 'human');
    expect(answered.status).toBe(200);
    expect(answered.twiml?.streamUrl).toBe('wss://bolt-voice.test/media-stream');
    expect(answered.twiml?.parameters).toEqual({ token: expect.any(String), callSid });

    const stream = await streamAnswered(harness, callSid, answered);
    if (engine === 'elevenlabs') {
      const conversation = await harness.elevenlabs.nextConversation(5000);
      expect(conversation.dynamicVariables).toMatchObject({
        call_sid: callSid,
        caller_number: CALLEE,
        call_direction: 'outbound',
        outbound_reason: '"the boiler quote you asked for"',
      });
    } else {
      const session = await harness.openai.nextSession(5000);
      await session.waitForEvent('response.create', 1, 5000);
      expect((session.sessionConfig as { instructions: string }).instructions).toContain(
        'the boiler quote you asked for',
      );
    }
    expect((await harness.stack.sessions.get(callSid))?.session).toMatchObject({
      status: 'streaming',
      direction: 'outbound',
    });

    // The token worked once: Twilio asking again gets nothing that could open a second stream.
    const again = await answer(harness, callSid, key, 'human');
    expect(again.twiml).toBeUndefined();
    await stream.hangUp();
  });
});

describe('the first words on ElevenLabs (the agent first message is {{first_message}})', () => {
  const harness = harnessForSuite({
    provider: 'elevenlabs',
    env: { BUSINESS_HOURS: ALWAYS_OPEN, BUSINESS_TIMEZONE: TZ },
    script: {
      greeting: { text: 'unused: the agent speaks its first message', audioClip: 'agent-greeting' },
      turns: [],
    },
    elevenlabs: { firstMessage: '{{first_message}}' },
  });

  const firstAgentTurn = (callSid: string) =>
    eventually(
      () => harness.stack.sessions.get(callSid),
      (r) => r?.turns.some((t) => t.role === 'agent') === true,
    ).then((r) => r?.turns.find((t) => t.role === 'agent')?.text);

  it('an outbound call opens with an outbound greeting', async () => {
    const key = newKey();
    const placed = await postCalls(harness, { to: CALLEE, reason: 'your quote', idempotencyKey: key });
    const callSid = placed.json.callSid as string;
    const answered = await answer(harness, callSid, key, 'human');
    const stream = await streamAnswered(harness, callSid, answered);
    expect(await firstAgentTurn(callSid)).toMatch(
      /^Hi.*this is the receptionist at Bolt Plumbing, calling you back/,
    );
    await stream.hangUp();
  });

  it('an inbound call is greeted as before', async () => {
    const { callSid, stream } = await harness.call();
    expect(await firstAgentTurn(callSid)).toBe('Thanks for calling Bolt Plumbing. How can I help you today?');
    expect(harness.elevenlabs.violations).toEqual([]);
    await stream.hangUp();
  });
});
