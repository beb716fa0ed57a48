import { createInboundCallHandler, type InboundCallDeps } from '../../functions/inbound-call.js';
import { DynamoCallSessionStore } from '../../services/adapters/dynamodb/call-session-store.js';
import { hashStreamToken } from '../../services/core/call/stream-token.js';
import type { ProviderFlag } from '../../services/core/ports/flags.js';
import { loadConfig } from '../../services/core/shared/config.js';
import { logger } from '../../services/core/shared/logging.js';
import { maskPhone } from '../../services/core/shared/phone.js';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.js';
import { callSid, formEvent, inboundForm, readStreamTwiml, signForm, testEnv } from '../support/twilio.js';

const NOW = Date.UTC(2026, 10, 25, 14, 0, 0);
const INBOUND_URL = 'https://voice.example.com/twilio/inbound';
const config = loadConfig(testEnv({ STREAM_URL: 'wss://bridge.example.com/media-stream' }));

let dynamo: TestDynamo;
let sessions: DynamoCallSessionStore;
let sids = 0;

beforeAll(async () => {
  dynamo = await startTestDynamo();
  sessions = new DynamoCallSessionStore(dynamo.doc, { tableName: await dynamo.newTable() });
});
afterAll(async () => {
  await dynamo.close();
});

function flag(provider: 'elevenlabs' | 'openai' = 'openai'): ProviderFlag & { reads: number } {
  const f = {
    reads: 0,
    async current() {
      f.reads += 1;
      return provider;
    },
  };
  return f;
}

function handlerWith(overrides: Partial<InboundCallDeps> = {}) {
  return createInboundCallHandler({ config, sessions, providerFlag: flag(), now: () => NOW, ...overrides });
}

function signedEvent(form: Record<string, string>, url = INBOUND_URL) {
  return formEvent('/twilio/inbound', form, { 'x-twilio-signature': signForm(url, form) });
}

describe('POST /twilio/inbound', () => {
  test('a signed call gets TwiML connecting STREAM_URL with a one-time token, and a created session', async () => {
    const sid = callSid(++sids);
    const providerFlag = flag('openai');
    const result = await handlerWith({ providerFlag })(signedEvent(inboundForm(sid)));

    expect(result.statusCode).toBe(200);
    expect(result.headers?.['content-type']).toMatch(/^text\/xml/);
    const twiml = readStreamTwiml(result.body ?? '');
    expect(twiml.streamUrl).toBe('wss://bridge.example.com/media-stream');
    expect(twiml.parameters.callSid).toBe(sid);
    const token = twiml.parameters.token ?? '';
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const record = await sessions.get(sid);
    expect(record?.session).toEqual({
      callSid: sid,
      direction: 'inbound',
      from: '+15551230001',
      to: '+15550001111',
      provider: 'openai',
      streamTokenHash: hashStreamToken(token),
      callerVerified: false,
      status: 'created',
      createdAt: NOW,
    });
    expect(providerFlag.reads).toBe(1);
    // The token in the TwiML is the one that claims the stream.
    expect(await sessions.claimStream(sid, hashStreamToken(token), 'MZ1', NOW + 1)).toBeDefined();
  });

  test('a retried webhook before the stream starts gets a new token that replaces the old one', async () => {
    const sid = callSid(++sids);
    const handler = handlerWith();
    const first = readStreamTwiml((await handler(signedEvent(inboundForm(sid)))).body ?? '');
    const second = readStreamTwiml((await handler(signedEvent(inboundForm(sid)))).body ?? '');
    expect(second.parameters.token).not.toBe(first.parameters.token);
    expect((await sessions.get(sid))?.session.streamTokenHash).toBe(
      hashStreamToken(second.parameters.token ?? ''),
    );
  });

  test('a webhook for a call that already streams gets an empty Response and no new token', async () => {
    const sid = callSid(++sids);
    const handler = handlerWith();
    const { parameters } = readStreamTwiml((await handler(signedEvent(inboundForm(sid)))).body ?? '');
    await sessions.claimStream(sid, hashStreamToken(parameters.token ?? ''), 'MZ1', NOW + 1);

    const again = await handler(signedEvent(inboundForm(sid)));
    expect(again.statusCode).toBe(200);
    expect(again.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    expect((await sessions.get(sid))?.session.status).toBe('streaming');
  });

  test.each([
    ['missing', (_form: Record<string, string>) => undefined],
    ['forged', (_form: Record<string, string>) => 'bm90IGEgc2lnbmF0dXJl'],
    ['signed with another auth token', (form: Record<string, string>) => signForm(INBOUND_URL, form, 'nope')],
    [
      'signed for another URL',
      (form: Record<string, string>) => signForm('https://voice.example.com/twilio/status', form),
    ],
    [
      'signed for another host',
      (form: Record<string, string>) => signForm('https://attacker.example.net/twilio/inbound', form),
    ],
  ])('a %s signature is refused with 403 and nothing is written', async (_case, sign) => {
    const sid = callSid(++sids);
    const form = inboundForm(sid);
    const signature = sign(form);
    const providerFlag = flag();
    const open = jest.spyOn(sessions, 'open');
    const result = await handlerWith({ providerFlag })(
      formEvent('/twilio/inbound', form, signature ? { 'x-twilio-signature': signature } : {}),
    );
    expect(result.statusCode).toBe(403);
    expect(result.body).toBe('Forbidden');
    expect(open).not.toHaveBeenCalled();
    expect(providerFlag.reads).toBe(0);
    expect(await sessions.get(sid)).toBeUndefined();
    open.mockRestore();
  });

  test('a body changed after signing is refused', async () => {
    const sid = callSid(++sids);
    const form = inboundForm(sid);
    const signature = signForm(INBOUND_URL, form);
    const tampered = { ...form, From: '+15559990000' };
    const result = await handlerWith()(
      formEvent('/twilio/inbound', tampered, { 'X-Twilio-Signature': signature }),
    );
    expect(result.statusCode).toBe(403);
    expect(await sessions.get(sid)).toBeUndefined();
  });

  test('the refusal is logged with masked numbers only', async () => {
    const lines: string[] = [];
    const write = jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    });
    logger.setLogLevel('WARN');
    try {
      const sid = callSid(++sids);
      await handlerWith()(formEvent('/twilio/inbound', inboundForm(sid)));
    } finally {
      logger.setLogLevel('SILENT');
      write.mockRestore();
    }
    const output = lines.join('\n');
    expect(output).toContain('invalid signature');
    expect(output).not.toContain('+15551230001');
    expect(output).not.toContain(maskPhone('+15551230001').slice(0, 6));
  });

  test('a signed request for another Twilio account is refused with 403', async () => {
    const sid = callSid(++sids);
    const form = inboundForm(sid, { AccountSid: 'ACFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF' });
    const result = await handlerWith()(signedEvent(form));
    expect(result.statusCode).toBe(403);
    expect(await sessions.get(sid)).toBeUndefined();
  });

  test('a signed but malformed form is a 400 and writes nothing', async () => {
    const form = inboundForm('not-a-call-sid');
    const open = jest.spyOn(sessions, 'open');
    const result = await handlerWith()(signedEvent(form));
    expect(result.statusCode).toBe(400);
    expect(open).not.toHaveBeenCalled();
    open.mockRestore();
  });

  test('a known caller is stored with the session when Twilio attests the number (StirVerstat A)', async () => {
    const sid = callSid(++sids);
    const crm = {
      findCustomerByPhone: jest.fn(async (phone: string) =>
        phone === '+15551230001'
          ? { id: 'cust-1', name: 'Ada', openAppointment: '2026-11-26T10:00' }
          : undefined,
      ),
    };
    const result = await handlerWith({ crm })(
      signedEvent(inboundForm(sid, { StirVerstat: 'TN-Validation-Passed-A' })),
    );
    expect(result.statusCode).toBe(200);
    expect(crm.findCustomerByPhone).toHaveBeenCalledWith('+15551230001', NOW);
    expect((await sessions.get(sid))?.session.customer).toEqual({
      id: 'cust-1',
      name: 'Ada',
      openAppointment: '2026-11-26T10:00',
    });
    // The tools may then write what this caller says to their customer row.
    expect(await sessions.callerVerified(sid)).toBe(true);
  });

  test.each([
    ['no StirVerstat', undefined],
    ['partial attestation (B)', 'TN-Validation-Passed-B'],
    ['gateway attestation (C)', 'TN-Validation-Passed-C'],
    ['a failed verification', 'TN-Validation-Failed-A'],
    ['no validation', 'No-TN-Validation'],
  ])('with %s the agent gets nothing personal: only the customer id is kept', async (_case, verstat) => {
    const sid = callSid(++sids);
    const crm = {
      findCustomerByPhone: async () => ({
        id: 'cust-1',
        name: 'Ada',
        openAppointment: '2026-11-26T10:00',
        lastCallSummary: 'Asked about a boiler',
      }),
    };
    const form = inboundForm(sid, verstat ? { StirVerstat: verstat } : {});
    expect((await handlerWith({ crm })(signedEvent(form))).statusCode).toBe(200);
    expect((await sessions.get(sid))?.session.customer).toEqual({ id: 'cust-1' });
    // …and the tools leave that customer's row as it is, whatever the caller says.
    expect(await sessions.callerVerified(sid)).toBe(false);
  });

  test('CALLER_CONTEXT_TRUST=any trusts every caller', async () => {
    const sid = callSid(++sids);
    const crm = { findCustomerByPhone: async () => ({ id: 'cust-1', name: 'Ada' }) };
    const anyConfig = loadConfig(testEnv({ CALLER_CONTEXT_TRUST: 'any' }));
    await handlerWith({ crm, config: anyConfig })(signedEvent(inboundForm(sid)));
    expect((await sessions.get(sid))?.session.customer).toEqual({ id: 'cust-1', name: 'Ada' });
    expect(await sessions.callerVerified(sid)).toBe(true);
  });

  test('a CRM that hangs or fails does not stop the call: the caller is unknown', async () => {
    const hangs = { findCustomerByPhone: () => new Promise<undefined>(() => {}) };
    const sidA = callSid(++sids);
    const a = await handlerWith({ crm: hangs, crmLookupTimeoutMs: 50 })(signedEvent(inboundForm(sidA)));
    expect(readStreamTwiml(a.body ?? '').parameters.token).toBeDefined();
    const sessionA = (await sessions.get(sidA))?.session;
    expect(sessionA?.status).toBe('created');
    expect(sessionA?.customer).toBeUndefined();

    const fails = { findCustomerByPhone: async () => Promise.reject(new Error('CRM down')) };
    const sidB = callSid(++sids);
    const b = await handlerWith({ crm: fails })(signedEvent(inboundForm(sidB)));
    expect(b.statusCode).toBe(200);
    expect((await sessions.get(sidB))?.session.customer).toBeUndefined();
  });

  test('a withheld number is not looked up', async () => {
    const sid = callSid(++sids);
    const crm = { findCustomerByPhone: jest.fn(async () => ({ id: 'x' })) };
    await handlerWith({ crm })(signedEvent(inboundForm(sid, { From: 'anonymous' })));
    expect(crm.findCustomerByPhone).not.toHaveBeenCalled();
    expect((await sessions.get(sid))?.session.from).toBe('anonymous');
  });

  test('an unreadable provider flag falls back to the configured provider', async () => {
    const sid = callSid(++sids);
    const broken: ProviderFlag = { current: async () => Promise.reject(new Error('SSM down')) };
    await handlerWith({ providerFlag: broken })(signedEvent(inboundForm(sid)));
    expect((await sessions.get(sid))?.session.provider).toBe(config.voiceProvider);
  });

  test('a session store failure answers 500 (Twilio then uses the fallback URL)', async () => {
    const sid = callSid(++sids);
    const failing = { ...sessions, open: async () => Promise.reject(new Error('DynamoDB down')) };
    const result = await handlerWith({ sessions: failing as unknown as DynamoCallSessionStore })(
      signedEvent(inboundForm(sid)),
    );
    expect(result.statusCode).toBe(500);
  });
});
