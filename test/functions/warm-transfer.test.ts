/**
 * The warm transfer's two Twilio routes over the real call table (dynalite): the whisper the owner
 * hears (and their key), and the dial result that takes the caller back to the agent when the owner
 * does not take the call.
 */
import { createDialResultHandler } from '../../functions/dial-result.js';
import { createWhisperHandler } from '../../functions/whisper.js';
import { type CallTableStores, callTableStores } from '../../services/adapters/dynamodb/stores.js';
import { TRANSFERRED } from '../../services/core/call/call-session.js';
import { hashStreamToken } from '../../services/core/call/stream-token.js';
import { loadConfig } from '../../services/core/shared/config.js';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.js';
import {
  callSid,
  formEvent,
  readStreamTwiml,
  signForm,
  TEST_ACCOUNT_SID,
  testEnv,
} from '../support/twilio.js';

const config = loadConfig(testEnv({ BUSINESS_NAME: 'Bolt Plumbing', BUSINESS_TIMEZONE: 'America/New_York' }));
const BASE = 'https://voice.example.com';
const T0 = Date.UTC(2026, 10, 25, 15, 0, 0);
let dynamo: TestDynamo;
let stores: CallTableStores;
let sids = 500;

beforeAll(async () => {
  dynamo = await startTestDynamo();
  stores = callTableStores(dynamo.doc, await dynamo.newTable());
});
afterAll(() => dynamo.close());

/** A call the agent served and transferred: turns, the tool call, the stream ended `transferred`. */
async function transferredCall(options: { verified?: boolean; endReason?: string } = {}): Promise<string> {
  const sid = callSid(++sids);
  await stores.sessions.open({
    callSid: sid,
    direction: 'inbound',
    from: '+12025550143',
    to: '+15550001111',
    provider: 'openai',
    customer: { id: 'cust-1', name: 'Jane Doe', openAppointment: '2026-11-27T10:00' },
    callerVerified: options.verified ?? true,
    streamTokenHash: 'a'.repeat(64),
    createdAt: T0,
  });
  await stores.sessions.claimStream(sid, 'a'.repeat(64), 'MZ1', T0 + 1000);
  await stores.sessions.appendTurn(sid, {
    seq: 1,
    role: 'agent',
    text: 'Bolt Plumbing, hello.',
    at: T0 + 2000,
  });
  await stores.sessions.appendTurn(sid, {
    seq: 2,
    role: 'caller',
    text: 'I need the owner about my quote <Hangup/>',
    at: T0 + 3000,
  });
  await stores.sessions.appendToolCall(sid, {
    seq: 1,
    name: 'transfer_to_human',
    args: { reason: 'questions about her quote <Hangup/>' },
    result: { ok: true, text: 'Transferring the call now.' },
    at: T0 + 4000,
    durationMs: 30,
  });
  await stores.sessions.markEnded(sid, options.endReason ?? TRANSFERRED, T0 + 4100);
  return sid;
}

function signedPost(path: string, form: Record<string, string>, query = '', signedQuery = query) {
  const event = formEvent(path, form, {
    'x-twilio-signature': signForm(`${BASE}${path}${signedQuery ? `?${signedQuery}` : ''}`, form),
  });
  return { ...event, rawQueryString: query };
}

describe('POST /twilio/whisper', () => {
  const handler = () => createWhisperHandler({ config, sessions: stores.sessions });
  const ownerLeg = callSid(9001);
  const form = { AccountSid: TEST_ACCOUNT_SID, CallSid: ownerLeg, From: '+15550001111', To: '+15550009999' };

  it('tells the owner who is calling and why, quoted safely, and asks for 1 in a one-digit Gather', async () => {
    const sid = await transferredCall();
    const answer = await handler()(signedPost('/twilio/whisper', form, `call=${sid}`));
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response>' +
        `<Gather numDigits="1" timeout="8" action="${BASE}/twilio/whisper?call=${sid}&amp;step=answer" method="POST">` +
        '<Say>A caller for Bolt Plumbing, put through by the receptionist. It is Jane Doe, a returning customer. ' +
        'Their next appointment is Friday, November 27 at 10:00 AM. They want: questions about her quote Hangup/. ' +
        'Press 1 to take the call, or hang up and the receptionist will take a message.</Say></Gather>' +
        '<Hangup/></Response>',
    );
  });

  it('names nobody for a caller the carrier did not vouch for', async () => {
    const sid = await transferredCall({ verified: false });
    const answer = await handler()(signedPost('/twilio/whisper', form, `call=${sid}`));
    expect(answer.body).not.toContain('Jane');
    expect(answer.body).not.toContain('appointment');
    expect(answer.body).toContain('They want: questions about her quote');
  });

  it('puts the owner through on 1 and hangs up their leg on any other key', async () => {
    const sid = await transferredCall();
    const query = `call=${sid}&step=answer`;
    const accepted = await handler()(signedPost('/twilio/whisper', { ...form, Digits: '1' }, query));
    expect(accepted.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Connecting you now.</Say></Response>',
    );
    const refused = await handler()(signedPost('/twilio/whisper', { ...form, Digits: '2' }, query));
    expect(refused.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>');
  });

  it('refuses an unsigned or re-aimed request with 403 and reads nothing', async () => {
    const sid = await transferredCall();
    const reads: string[] = [];
    const spy = createWhisperHandler({
      config,
      sessions: {
        get: async (s) => {
          reads.push(s);
          return stores.sessions.get(s);
        },
      },
    });
    const unsigned = { ...formEvent('/twilio/whisper', form), rawQueryString: `call=${sid}` };
    expect((await spy(unsigned)).statusCode).toBe(403);
    // Signed for one call, replayed for another: the query is part of the signed URL.
    const other = callSid(9999);
    expect((await spy(signedPost('/twilio/whisper', form, `call=${other}`, `call=${sid}`))).statusCode).toBe(
      403,
    );
    expect(reads).toEqual([]);
  });

  it('answers 400 to a signed request without a call', async () => {
    expect((await handler()(signedPost('/twilio/whisper', form, 'call=nope'))).statusCode).toBe(400);
  });
});

describe('POST /twilio/dial-result', () => {
  const handler = () =>
    createDialResultHandler({ config, sessions: stores.sessions, now: () => T0 + 40_000 });
  const form = (sid: string, DialCallStatus: string, extra: Record<string, string> = {}) => ({
    AccountSid: TEST_ACCOUNT_SID,
    CallSid: sid,
    DialCallStatus,
    ...extra,
  });

  it.each([
    ['no-answer', {}, 'no-answer'],
    ['busy', {}, 'busy'],
    ['failed', {}, 'failed'],
    ['completed', { DialBridged: 'false' }, 'declined'],
  ])(
    '%s %j: the caller goes back to the agent on a fresh one-time stream',
    async (status, extra, recorded) => {
      const sid = await transferredCall();
      const answer = await handler()(signedPost('/twilio/dial-result', form(sid, status, extra)));
      expect(answer.statusCode).toBe(200);
      const twiml = readStreamTwiml(answer.body ?? '');
      expect(twiml.streamUrl).toBe(config.streamUrl);
      expect(twiml.parameters.callSid).toBe(sid);
      const token = twiml.parameters.token ?? '';
      expect(token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      const record = await stores.sessions.get(sid);
      expect(record?.session).toMatchObject({
        status: 'created',
        transferStatus: recorded,
        transferReturnedAt: T0 + 40_000,
      });
      expect(record?.session.endReason).toBeUndefined();
      // The new token claims the stream once; the turns and tool call of before are still there.
      const claimed = await stores.sessions.claimStream(sid, hashStreamToken(token), 'MZ2', T0 + 41_000);
      expect(claimed?.status).toBe('streaming');
      expect(
        await stores.sessions.claimStream(sid, hashStreamToken(token), 'MZ3', T0 + 42_000),
      ).toBeUndefined();
      expect(record?.turns).toHaveLength(2);
      expect(record?.toolCalls).toHaveLength(1);
    },
  );

  it('an answered transfer ends the call for the agent; nothing is reopened', async () => {
    const sid = await transferredCall();
    const answer = await handler()(
      signedPost('/twilio/dial-result', form(sid, 'completed', { DialBridged: 'true' })),
    );
    expect(answer.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>');
    expect((await stores.sessions.get(sid))?.session).toMatchObject({
      status: 'ended',
      transferStatus: 'completed',
    });
  });

  it('goes back only once: a second unanswered transfer ends with the callback promise', async () => {
    const sid = await transferredCall();
    const first = await handler()(signedPost('/twilio/dial-result', form(sid, 'no-answer')));
    expect(first.body).toContain('<Connect><Stream');
    // Back with the agent, who transferred again (the bridge ends the stream `transferred`).
    await stores.sessions.markEnded(sid, TRANSFERRED, T0 + 90_000);
    const again = await handler()(signedPost('/twilio/dial-result', form(sid, 'busy')));
    expect(again.body).toContain(
      '<Say>Sorry, nobody at Bolt Plumbing could take the call. We will call you back. Goodbye.</Say><Hangup/>',
    );
    expect((await stores.sessions.get(sid))?.session).toMatchObject({
      status: 'ended',
      transferStatus: 'busy',
    });
  });

  it('a call whose stream end is not recorded as a transfer is not reopened', async () => {
    const sid = await transferredCall({ endReason: 'caller-hung-up' });
    const answer = await handler()(signedPost('/twilio/dial-result', form(sid, 'no-answer')));
    expect(answer.body).not.toContain('<Connect>');
    expect((await stores.sessions.get(sid))?.session).toMatchObject({
      status: 'ended',
      transferStatus: 'no-answer',
    });
  });
});
