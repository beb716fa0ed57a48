/**
 * A warm transfer through the local stack, on both engines: the tool redirects the call to a
 * `<Dial>` with a whisper, the whisper route tells the owner who is calling, the owner does not take
 * it, and `/twilio/dial-result` sends the caller back to the agent on a new stream; the engine gets
 * the conversation so far and speaks, and the call is reported as a callback due.
 */
import { OutboxMailer } from '../../services/adapters/memory/outbox-mailer';
import { TRANSFER_UNANSWERED_LINE } from '../../services/core/call/persona';
import type { EngineName } from '../../services/core/shared/engines';
import { openStream, parseStreamTwiml, postTwilioWebhook } from '../../services/local/sim/twilio-caller';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from '../support/twilio';
import { eventually } from '../support/wait-until';
import { nextDriver, readyCall } from './engine-driver';
import {
  BUSINESS_NUMBER,
  type Harness,
  harnessForSuite,
  mediaStreamAddress,
  OWNER_EMAIL,
  PUBLIC_URL,
  statusCallback,
  turnsStored,
} from './harness';

const CALLER = '+12025550143';
const OWNER_LEG = `CA${'f'.repeat(32)}`;

function twilio(harness: Harness, path: string, params: Record<string, string>) {
  return postTwilioWebhook({
    baseUrl: harness.stack.url,
    publicUrl: PUBLIC_URL,
    path,
    authToken: TEST_AUTH_TOKEN,
    params: { AccountSid: TEST_ACCOUNT_SID, ...params },
  });
}

describe.each<EngineName>(['elevenlabs', 'openai'])('a warm transfer on %s', (engine) => {
  const harness = harnessForSuite({ provider: engine, tools: 'real' });

  it('whispers to the owner and, unanswered, brings the caller back to the agent, who speaks', async () => {
    const { callSid, stream, driver } = await readyCall(harness, engine, { from: CALLER });
    driver.transcripts('Can I speak to the owner about my quote?', 'Of course, let me put you through.');
    await turnsStored(harness, callSid, 2);
    const transfer = await driver.toolCall('transfer_to_human', { reason: 'a question about a quote' });
    expect(transfer.isError).toBe(false);
    await stream.closed;

    // The redirect: a <Dial> with the whisper on the owner's number.
    const redirect = harness.twilioRest.requests.find((r) => r.callSid === callSid);
    expect(redirect?.form.Twiml).toContain(
      `<Number url="${PUBLIC_URL}/twilio/whisper?call=${callSid}" method="POST">+15550009999</Number>`,
    );
    await eventually(
      () => harness.stack.sessions.get(callSid),
      (r) => r?.session.endReason === 'transferred',
    );

    // The owner picks up and hears the whisper; an unsigned whisper request is refused.
    const whisperPath = `/twilio/whisper?call=${callSid}`;
    const whisper = await twilio(harness, whisperPath, { CallSid: OWNER_LEG, To: '+15550009999' });
    expect(whisper.status).toBe(200);
    expect(whisper.body).toContain('<Gather numDigits="1"');
    expect(whisper.body).toContain('They want: a question about a quote.');
    const forged = await postTwilioWebhook({
      baseUrl: harness.stack.url,
      publicUrl: PUBLIC_URL,
      path: whisperPath,
      authToken: TEST_AUTH_TOKEN,
      params: { AccountSid: TEST_ACCOUNT_SID, CallSid: OWNER_LEG },
      signature: 'missing',
    });
    expect(forged.status).toBe(403);
    // The owner presses 2: their leg is hung up.
    const declined = await twilio(harness, `${whisperPath}&step=answer`, { CallSid: OWNER_LEG, Digits: '2' });
    expect(declined.body).toContain('<Hangup/>');

    // Twilio reports the <Dial> as picked up but never bridged: back to the agent.
    const result = await twilio(harness, '/twilio/dial-result', {
      CallSid: callSid,
      DialCallStatus: 'completed',
      DialBridged: 'false',
    });
    expect(result.status).toBe(200);
    const twiml = parseStreamTwiml(result.body);
    expect(twiml?.parameters.callSid).toBe(callSid);
    const back = await openStream({
      streamUrl: twiml?.streamUrl ?? '',
      authToken: TEST_AUTH_TOKEN,
      accountSid: TEST_ACCOUNT_SID,
      callSid,
      parameters: twiml?.parameters ?? {},
      connectTo: mediaStreamAddress(harness.stack),
    });
    const returned = await nextDriver(harness, engine);
    await returned.ready();

    // The engine was told: the transfer failed, the conversation so far, what to offer.
    const told =
      engine === 'openai'
        ? JSON.stringify(harness.openai.sessions.at(-1)?.sessionConfig)
        : JSON.stringify([
            harness.elevenlabs.conversations.at(-1)?.initiation,
            harness.elevenlabs.conversations.at(-1)?.received,
          ]);
    expect(told).toContain(TRANSFER_UNANSWERED_LINE);
    expect(told).toContain('nobody took the call');
    expect(told).toContain('Can I speak to the owner about my quote?');
    expect(told).toContain('transfer_to_human');

    // ...and speaks to the caller on the new stream.
    await returned.speak(Buffer.alloc(1600, 0x55), TRANSFER_UNANSWERED_LINE);
    await back.waitForAudio(1600, 5000);
    returned.transcripts('Please ask them to call me back.', 'I will, goodbye.');
    const record = await turnsStored(harness, callSid, 5);
    // The new turns number on from the old ones: nothing before the transfer was overwritten.
    expect(record?.turns.map((t) => t.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(record?.turns[0]?.text).toBe('Can I speak to the owner about my quote?');
    await back.hangUp();
    await eventually(
      () => harness.stack.sessions.get(callSid),
      (r) => r?.session.status === 'ended',
    );

    // Finalised as a transfer nobody took: a callback due in the owner's email.
    expect((await statusCallback(harness, { callSid, from: CALLER, callStatus: 'completed' })).status).toBe(
      200,
    );
    const mail = await eventually(
      () => OutboxMailer.read(harness.stack.config.localOutboxDir),
      (messages) => messages.some((m) => m.to === OWNER_EMAIL && m.subject.startsWith('Callback due')),
    );
    expect(mail.find((m) => m.to === OWNER_EMAIL)?.subject).toMatch(/^Callback due: transfer unanswered/);
    const rows = await harness.app.adapters.crm.callsBetween(0, Date.now() + 60_000);
    expect(rows.find((row) => row.callSid === callSid)).toMatchObject({
      outcome: 'transfer-unanswered',
      to: BUSINESS_NUMBER,
    });
  });
});
