/**
 * `POST /twilio/sms`: a text to the business number is kept with the customer and their last call
 * and forwarded to the owner; nothing is texted back; a forged request changes nothing.
 */
import { createInboundSmsHandler } from '../../functions/inbound-sms.js';
import { MemoryCrm } from '../../services/adapters/memory/crm.js';
import { loadConfig } from '../../services/core/shared/config.js';
import { TestMailer } from '../support/test-mailer.js';
import { formEvent, signForm, TEST_ACCOUNT_SID, testEnv } from '../support/twilio.js';

const config = loadConfig(testEnv());
const URL = 'https://voice.example.com/twilio/sms';
const T0 = Date.parse('2026-11-25T15:00:00Z');
const CALLER = '+12025550143';
const SID = `SM${'1'.repeat(32)}`;

function setup() {
  const crm = new MemoryCrm({ timezone: 'America/New_York', now: () => T0 });
  const mailer = new TestMailer();
  const handler = createInboundSmsHandler({
    config,
    crm,
    mailer,
    ownerEmail: 'owner@example.com',
    business: { name: 'Bolt Plumbing', timezone: 'America/New_York' },
    now: () => T0,
  });
  return { crm, mailer, handler };
}

const form = (overrides: Record<string, string> = {}) => ({
  AccountSid: TEST_ACCOUNT_SID,
  MessageSid: SID,
  From: CALLER,
  To: '+15550001111',
  Body: 'Yes please\\ncall me after 5',
  NumMedia: '0',
  ...overrides,
});
const signed = (f: Record<string, string>) =>
  formEvent('/twilio/sms', f, { 'x-twilio-signature': signForm(URL, f) });

async function missedCallFrom(crm: MemoryCrm, callSid: string, startedAt: number) {
  await crm.saveCall({
    callSid,
    direction: 'inbound',
    from: CALLER,
    to: '+15550001111',
    failedOver: false,
    startedAt,
    outcome: 'no-answer',
    turns: [],
  });
}

describe('POST /twilio/sms', () => {
  it('keeps the text with the customer and their last call, emails the owner once, and answers nothing', async () => {
    const { crm, mailer, handler } = setup();
    await missedCallFrom(crm, 'CA-old', T0 - 3 * 86_400_000);
    await missedCallFrom(crm, 'CA-last', T0 - 3_600_000);
    const answer = await handler(signed(form()));
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    const customer = await crm.upsertCustomer({ phone: CALLER });
    expect([...crm.textReplies.values()]).toEqual([
      {
        messageSid: SID,
        phone: CALLER,
        customerId: customer.id,
        callSid: 'CA-last',
        body: 'Yes please\\ncall me after 5',
        receivedAt: T0,
      },
    ]);
    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]).toMatchObject({ to: 'owner@example.com', subject: `Text from ${CALLER}` });
    expect(mailer.sent[0]?.text).toContain('Yes please');
    expect(mailer.sent[0]?.text).toContain('Nothing was sent back automatically.');

    // Twilio delivering it again: one row, and the same email key, so the mailer sends once.
    await handler(signed(form()));
    expect(crm.textReplies.size).toBe(1);
    expect(mailer.sendCalls).toBe(2);
    expect(mailer.sent).toHaveLength(1);
  });

  it('a number with no call that week is kept with its customer only', async () => {
    const { crm, handler } = setup();
    await missedCallFrom(crm, 'CA-long-ago', T0 - 8 * 86_400_000);
    await handler(signed(form()));
    expect(crm.textReplies.get(SID)?.callSid).toBeUndefined();
  });

  it('with the CRM down: 500, and no email about a text that was not kept', async () => {
    const { crm, mailer, handler } = setup();
    crm.saveTextReply = async () => {
      throw new Error('PostgREST 503');
    };
    expect((await handler(signed(form()))).statusCode).toBe(500);
    expect(mailer.sent).toEqual([]);
  });

  it('refuses a forged text with 403 and keeps or sends nothing', async () => {
    const { crm, mailer, handler } = setup();
    const f = form();
    const answer = await handler(
      formEvent('/twilio/sms', f, { 'x-twilio-signature': signForm(URL, f, 'wrong') }),
    );
    expect(answer.statusCode).toBe(403);
    expect(crm.textReplies.size).toBe(0);
    expect(mailer.sent).toEqual([]);
  });

  it('answers 400 to a signed form that is not a text from a phone number', async () => {
    const { crm, handler } = setup();
    expect((await handler(signed(form({ From: 'client:alice' })))).statusCode).toBe(400);
    expect((await handler(signed(form({ MessageSid: 'nope' })))).statusCode).toBe(400);
    expect(crm.textReplies.size).toBe(0);
  });
});
