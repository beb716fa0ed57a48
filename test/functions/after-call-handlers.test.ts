import { createCallStatusHandler, directionOf } from '../../functions/call-status.js';
import { createDailyDigestHandler } from '../../functions/daily-digest.js';
import { createOutboundTwimlHandler } from '../../functions/outbound-twiml.js';
import { createPostCallHandler } from '../../functions/post-call.js';
import { signElevenLabsWebhook } from '../../services/adapters/elevenlabs/webhook-signature.js';
import { MemoryDigestMarkers } from '../../services/adapters/memory/digest-markers.js';
import { MemoryFinalisationStore } from '../../services/adapters/memory/finalisation-store.js';
import { MemoryOutboundRequestStore } from '../../services/adapters/memory/outbound-request-store.js';
import { loadConfig } from '../../services/core/shared/config.js';
import { bookedCall, CALL_SID, CALLER, harness } from '../support/after-call-scenario.js';
import { formEvent, signForm, TEST_ACCOUNT_SID, testEnv } from '../support/twilio.js';

const config = loadConfig(testEnv({ ELEVENLABS_WEBHOOK_SECRET: 'wsec' }));
const STATUS_URL = 'https://voice.example.com/twilio/status';

function statusForm(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    AccountSid: TEST_ACCOUNT_SID,
    CallSid: CALL_SID,
    CallStatus: 'completed',
    CallDuration: '125',
    From: CALLER,
    To: '+15550001111',
    Direction: 'inbound',
    ...overrides,
  };
}

const signed = (form: Record<string, string>, url = STATUS_URL) =>
  formEvent('/twilio/status', form, { 'x-twilio-signature': signForm(url, form) });

describe('POST /twilio/status', () => {
  test('a forged, unsigned or other-account callback is 403 and finalises nothing', async () => {
    const h = harness();
    bookedCall(h);
    const handler = createCallStatusHandler({ config, finalise: h.deps });
    const form = statusForm();
    const forged = formEvent('/twilio/status', form, {
      'x-twilio-signature': signForm(STATUS_URL, form, 'another-token'),
    });
    expect((await handler(forged)).statusCode).toBe(403);
    expect((await handler(formEvent('/twilio/status', form))).statusCode).toBe(403);
    const otherAccount = statusForm({ AccountSid: `AC${'f'.repeat(32)}` });
    expect((await handler(signed(otherAccount))).statusCode).toBe(403);
    expect(await h.store.get(CALL_SID)).toBeUndefined();
    expect(h.crm.saveCallWrites).toBe(0);
  });

  test('a status that is not final is acknowledged and changes nothing', async () => {
    const h = harness();
    bookedCall(h);
    const handler = createCallStatusHandler({ config, finalise: h.deps });
    for (const CallStatus of ['queued', 'ringing', 'in-progress']) {
      expect((await handler(signed(statusForm({ CallStatus })))).statusCode).toBe(200);
    }
    expect(await h.store.get(CALL_SID)).toBeUndefined();
  });

  test('a final status finalises; a failing CRM still answers 200 (pending, retried later)', async () => {
    const h = harness();
    bookedCall(h);
    h.crm.down = true;
    const handler = createCallStatusHandler({ config, finalise: h.deps });
    expect((await handler(signed(statusForm()))).statusCode).toBe(200);
    expect(await h.store.get(CALL_SID)).toMatchObject({ step: 'pending', durationSeconds: 125 });
  });

  test('without a session, the callback itself describes the call; outbound-api counts as outbound', async () => {
    const h = harness();
    const handler = createCallStatusHandler({ config, finalise: h.deps });
    const form = statusForm({
      CallStatus: 'no-answer',
      Direction: 'outbound-api',
      From: '+15550001111',
      To: CALLER,
    });
    delete form.CallDuration;
    expect((await handler(signed(form))).statusCode).toBe(200);
    expect(h.crm.calls.get(CALL_SID)).toMatchObject({
      direction: 'outbound',
      from: '+15550001111',
      to: CALLER,
      outcome: 'no-answer',
    });
    expect([directionOf('inbound'), directionOf('outbound-dial'), directionOf(undefined)]).toEqual([
      'inbound',
      'outbound',
      'inbound',
    ]);
  });

  test('a malformed form is 400; a store that fails before anything is recorded is 500', async () => {
    const h = harness();
    const handler = createCallStatusHandler({ config, finalise: h.deps });
    expect((await handler(signed(statusForm({ CallSid: 'not-a-sid' })))).statusCode).toBe(400);
    const failing = new MemoryFinalisationStore();
    failing.begin = async () => {
      throw new Error('DynamoDB unavailable');
    };
    const broken = createCallStatusHandler({ config, finalise: { ...h.deps, finalisations: failing } });
    expect((await broken(signed(statusForm()))).statusCode).toBe(500);
  });
});

describe('POST /elevenlabs/post-call', () => {
  const event = (body: string, signature?: string) => ({
    ...formEvent('/elevenlabs/post-call', {}, signature ? { 'elevenlabs-signature': signature } : {}),
    isBase64Encoded: false,
    body,
  });
  const now = Date.UTC(2026, 10, 25, 15, 0, 0);
  const t = Math.floor(now / 1000);
  /** The handler over a fresh after-call harness, its clock stopped at `now`. */
  const postCallHandler = (webhookConfig: { elevenlabsWebhookSecret?: string } = config) => {
    const h = harness();
    return createPostCallHandler({
      config: webhookConfig,
      postCall: { ...h.deps, analyses: h.store },
      now: () => now,
    });
  };

  test('refuses every delivery while ELEVENLABS_WEBHOOK_SECRET is unset', async () => {
    const handler = postCallHandler({ elevenlabsWebhookSecret: undefined });
    const result = await handler(event('{}', signElevenLabsWebhook('wsec', '{}', t)));
    expect(result.statusCode).toBe(503);
    expect(result.body).toContain('ELEVENLABS_WEBHOOK_SECRET');
  });

  test('a signed body that is not JSON is 400; another webhook type is acknowledged and ignored', async () => {
    const handler = postCallHandler();
    expect((await handler(event('not json', signElevenLabsWebhook('wsec', 'not json', t)))).statusCode).toBe(
      400,
    );
    const audio = JSON.stringify({ type: 'post_call_audio', event_timestamp: t, data: {} });
    const ignored = await handler(event(audio, signElevenLabsWebhook('wsec', audio, t)));
    expect(ignored.statusCode).toBe(200);
    expect(JSON.parse(ignored.body ?? '')).toEqual({ status: 'ignored', type: 'post_call_audio' });
  });

  test('a signature from the future is 403', async () => {
    const handler = postCallHandler();
    const body = '{"type":"post_call_transcription"}';
    expect((await handler(event(body, signElevenLabsWebhook('wsec', body, t + 600)))).statusCode).toBe(403);
  });
});

describe('POST /twilio/outbound', () => {
  test('the signature must cover the query string; a forged request opens no session', async () => {
    const h = harness();
    const requests = new MemoryOutboundRequestStore();
    await requests.create({
      idempotencyKey: 'k1',
      to: CALLER,
      from: '+15550001111',
      provider: 'elevenlabs',
      createdAt: 0,
    });
    const handler = createOutboundTwimlHandler({ config, sessions: h.sessions, requests });
    const form = { AccountSid: TEST_ACCOUNT_SID, CallSid: CALL_SID, AnsweredBy: 'human' };
    const withQuery = (signature: string) => ({
      ...formEvent('/twilio/outbound', form, { 'x-twilio-signature': signature }),
      rawQueryString: 'requestId=k1',
      queryStringParameters: { requestId: 'k1' },
    });
    const base = 'https://voice.example.com/twilio/outbound';
    expect((await handler(withQuery(signForm(base, form)))).statusCode).toBe(403);
    expect(await h.sessions.get(CALL_SID)).toBeUndefined();

    const answered = await handler(withQuery(signForm(`${base}?requestId=k1`, form)));
    expect(answered.statusCode).toBe(200);
    expect(answered.body).toContain('<Connect><Stream url="wss://voice.example.com/media-stream">');
    expect((await h.sessions.get(CALL_SID))?.session).toMatchObject({ direction: 'outbound', to: CALLER });
  });
});

describe('the daily digest handler', () => {
  test('reports the day the event names, else yesterday', async () => {
    const h = harness();
    const handler = createDailyDigestHandler({ ...h.deps, crm: h.crm, markers: new MemoryDigestMarkers() });
    expect(await handler({ day: '2026-11-20' })).toMatchObject({ kind: 'sent', day: '2026-11-20' });
    // The schedule's own event (or anything else) means the day before `now` in the business zone.
    expect(await handler({ 'detail-type': 'Scheduled Event' })).toMatchObject({
      kind: 'sent',
      day: '2026-11-24',
    });
    expect(await handler({ day: '2026-11-20' })).toMatchObject({ kind: 'already-sent' });
  });
});
