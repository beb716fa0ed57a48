import { voicemailTwiml } from '../../services/adapters/twilio/voicemail-twiml.js';
import { hashStreamToken } from '../../services/core/call/stream-token.js';
import {
  type AnswerOutboundDeps,
  answerOutboundCall,
  classifyAnsweredBy,
  type OutboundTwiml,
  voicemailMessage,
} from '../../services/core/outbound/outbound-answer.js';
import { placeCall } from '../../services/core/outbound/place-call.js';
import { BUSINESS_NUMBER, outboundHarness } from '../support/outbound-harness.js';

/** Records what the core asked for; the voicemail is the real TwiML builder. */
const twiml: OutboundTwiml = {
  stream: ({ token, callSid }) => `STREAM token=${token} callSid=${callSid}`,
  voicemail: voicemailTwiml,
  empty: () => '<Response/>',
};

async function placed() {
  const h = outboundHarness();
  const outcome = await placeCall(h.deps, { to: '+12125550123', reason: 'Confirm', idempotencyKey: 'req-9' });
  if (outcome.kind !== 'placed') throw new Error(`not placed: ${outcome.kind}`);
  const deps: AnswerOutboundDeps = {
    sessions: h.sessions,
    requests: h.requests,
    twiml,
    business: { name: 'Bolt Dental', number: BUSINESS_NUMBER },
    now: () => h.clock.now,
  };
  return { ...h, deps, callSid: outcome.callSid };
}

describe('classifyAnsweredBy', () => {
  test.each(['human', 'unknown', undefined])('%s is a person', (value) => {
    expect(classifyAnsweredBy(value)).toBe('human');
  });
  test.each(['machine_start', 'machine_end_beep', 'machine_end_silence', 'machine_end_other', 'fax'])(
    '%s is a machine',
    (value) => {
      expect(classifyAnsweredBy(value)).toBe('machine');
    },
  );
});

describe('answerOutboundCall', () => {
  test('a person gets the stream with a fresh token whose hash is now on the session', async () => {
    const h = await placed();
    const before = (await h.sessions.get(h.callSid))?.session.streamTokenHash;

    const answer = await answerOutboundCall(h.deps, {
      callSid: h.callSid,
      answeredBy: 'human',
      requestId: 'req-9',
    });

    expect(answer.outcome).toBe('stream');
    const token = /token=(\S+)/.exec(answer.twiml)?.[1] ?? '';
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(answer.twiml).toContain(`callSid=${h.callSid}`);
    const session = (await h.sessions.get(h.callSid))?.session;
    expect(session?.streamTokenHash).toBe(hashStreamToken(token));
    expect(session?.streamTokenHash).not.toBe(before);
    expect(session?.direction).toBe('outbound');
  });

  test('a machine gets a short voicemail with the business name and callback number, then a hangup', async () => {
    const h = await placed();

    const answer = await answerOutboundCall(h.deps, { callSid: h.callSid, answeredBy: 'machine_end_beep' });

    expect(answer).toEqual({
      outcome: 'voicemail',
      twiml:
        '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hello, this is Bolt Dental. Sorry we missed you. ' +
        'Please call us back at (212) 555-0100. Thank you, goodbye.</Say><Hangup/></Response>',
    });
    expect((await h.sessions.get(h.callSid))?.session).toMatchObject({
      status: 'ended',
      endReason: 'voicemail',
    });
  });

  test('the session is opened from the request record if the webhook beats our own write', async () => {
    const h = await placed();
    h.sessions.records.delete(h.callSid);

    const answer = await answerOutboundCall(h.deps, {
      callSid: h.callSid,
      answeredBy: 'human',
      requestId: 'req-9',
    });

    expect(answer.outcome).toBe('stream');
    expect((await h.sessions.get(h.callSid))?.session).toMatchObject({
      direction: 'outbound',
      to: '+12125550123',
      from: BUSINESS_NUMBER,
      outboundReason: 'Confirm',
    });
  });

  test('a request for another call cannot open this one', async () => {
    const h = await placed();
    const other = `CA${'f'.repeat(32)}`;
    const answer = await answerOutboundCall(h.deps, {
      callSid: other,
      answeredBy: 'human',
      requestId: 'req-9',
    });
    expect(answer).toEqual({ outcome: 'unknown-call', twiml: '<Response/>' });
    expect(await h.sessions.get(other)).toBeUndefined();
  });

  test('a call that already streams gets nothing new', async () => {
    const h = await placed();
    h.sessions.records.get(h.callSid)!.session.status = 'streaming';
    const answer = await answerOutboundCall(h.deps, { callSid: h.callSid, answeredBy: 'human' });
    expect(answer).toEqual({ outcome: 'already-streaming', twiml: '<Response/>' });
  });

  test('the voicemail number falls back to the raw number when it cannot be formatted', () => {
    expect(voicemailMessage({ name: 'Bolt', number: '+15550001111' })).toContain(
      'call us back at +15550001111.',
    );
  });
});
