/**
 * Texts through the local stack: a booking confirms by SMS through the Twilio REST stand-in (which
 * records it), the text shows on `/calls/<sid>`, a reminder goes the day before (not for a booking
 * cancelled since), a missed caller is texted back once a day, a reply is kept and forwarded, and a
 * number texts may not reach gets nothing.
 */
import { DateTime } from 'luxon';
import type { MemoryCalendar } from '../../services/adapters/memory/calendar';
import type { MemoryCrm } from '../../services/adapters/memory/crm';
import { OutboxMailer } from '../../services/adapters/memory/outbox-mailer';
import { spokenDateTime } from '../../services/core/tools/local-time';
import { DEMO_BUSINESS_PROFILE } from '../../services/local/demo-business-profile';
import { postTwilioWebhook } from '../../services/local/sim/twilio-caller';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from '../support/twilio';
import { eventually } from '../support/wait-until';
import { readyCall } from './engine-driver';
import { BUSINESS_NUMBER, type Harness, harnessForSuite, PUBLIC_URL, statusCallback } from './harness';

const TZ = 'America/New_York';
const CALLER = '+12025550143';

/** Tomorrow at `hour`:00 in the business time zone, as the tools take it and as a person says it. */
function tomorrowAt(hour: number): { local: string; spoken: string } {
  const at = DateTime.now().setZone(TZ).plus({ days: 1 }).set({ hour, minute: 0, second: 0, millisecond: 0 });
  return { local: at.toFormat("yyyy-LL-dd'T'HH:mm"), spoken: spokenDateTime(at.toMillis(), TZ) };
}

function dayAfterTomorrowAt(hour: number): { local: string; spoken: string; at: number } {
  const at = DateTime.now().setZone(TZ).plus({ days: 2 }).set({ hour, minute: 0, second: 0, millisecond: 0 });
  return {
    local: at.toFormat("yyyy-LL-dd'T'HH:mm"),
    spoken: spokenDateTime(at.toMillis(), TZ),
    at: at.toMillis(),
  };
}

async function pageOf(harness: Harness, callSid: string): Promise<string> {
  const opened = await fetch(harness.app.pageLink('/calls'), { redirect: 'manual' });
  const cookie = (opened.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const page = await fetch(`${harness.stack.url}/calls/${callSid}`, { headers: { cookie } });
  expect(page.status).toBe(200);
  return page.text();
}

describe('texts', () => {
  const harness = harnessForSuite({
    provider: 'openai',
    tools: 'real',
    env: { BUSINESS_HOURS: 'mon-sun 00:00-24:00', BUSINESS_TIMEZONE: TZ },
  });

  it('confirms a booking by text to the caller: the business, the local time, the address, how to change it', async () => {
    const { callSid, stream, driver } = await readyCall(harness, 'openai', { from: CALLER });
    const slot = tomorrowAt(10);
    const booked = await driver.toolCall('book_appointment', { start: slot.local, name: 'Jane Doe' });
    expect(booked.isError).toBe(false);
    expect(booked.text).toContain('A text with the details is on its way.');
    // A retry of the same booking texts nothing more.
    await driver.toolCall('book_appointment', { start: slot.local, name: 'Jane Doe' });

    const body =
      `Bolt Plumbing: your appointment is booked for ${slot.spoken}. ` +
      `Address: ${DEMO_BUSINESS_PROFILE.address}. To change it, call us at ${BUSINESS_NUMBER}.`;
    expect(harness.twilioRest.texts.map(({ to, from, body }) => ({ to, from, body }))).toEqual([
      { to: CALLER, from: BUSINESS_NUMBER, body },
    ]);
    const record = await eventually(
      () => harness.stack.sessions.get(callSid),
      (r) => (r?.texts?.length ?? 0) === 1,
    );
    expect(record?.texts?.[0]).toMatchObject({ kind: 'booking-confirmation', to: CALLER, body });
    const page = await pageOf(harness, callSid);
    expect(page).toContain('<h2 id="texts-heading">Texts</h2>');
    expect(page).toContain(
      `<td>booking-confirmation</td><td>${CALLER}</td><td>Bolt Plumbing: your appointment`,
    );
    await stream.hangUp();
  });

  it('schedules a reminder the day before, which texts the local time; none for a booking cancelled since', async () => {
    // Callers of their own: each text counts against the number's daily allowance.
    const book = async (caller: string, slot: { local: string }) => {
      const { stream, driver } = await readyCall(harness, 'openai', { from: caller });
      const booked = await driver.toolCall('book_appointment', { start: slot.local, name: 'Jane Doe' });
      expect(booked.text).toContain('A text with the details is on its way.');
      await stream.hangUp();
    };
    const scheduler = harness.app.afterCall.scheduler;
    const pendingReminders = () => scheduler.pending().filter((name) => name.startsWith('reminder-'));
    // The reminder each booking adds (an earlier test's may still be pending: before 10:00 local
    // time, the reminder of its booking for tomorrow at 10:00 is not due yet).
    const reminderOf = async (caller: string, slot: { local: string }) => {
      const before = new Set(pendingReminders());
      await book(caller, slot);
      return pendingReminders().find((name) => !before.has(name));
    };
    const kept = dayAfterTomorrowAt(9);
    const keptReminder = await reminderOf('+13105550177', kept);
    const cancelled = dayAfterTomorrowAt(15);
    const cancelledReminder = await reminderOf('+13105550178', cancelled);
    expect(keptReminder).toBeDefined();
    expect(cancelledReminder).toBeDefined();

    // The owner deletes the second booking's event in the calendar: that booking is cancelled.
    const calendar = harness.app.adapters.calendar as MemoryCalendar;
    const second = calendar.events().find((e) => e.start === cancelled.at);
    await calendar.deleteEvent(second?.eventId ?? '');

    const before = harness.twilioRest.texts.length;
    expect(await scheduler.fire(keptReminder ?? '')).toBe(true);
    expect(await scheduler.fire(cancelledReminder ?? '')).toBe(true);
    const sent = harness.twilioRest.texts.slice(before).map(({ to, body }) => ({ to, body }));
    expect(sent).toEqual([
      {
        to: '+13105550177',
        body:
          `Bolt Plumbing: a reminder of your appointment ${kept.spoken}. ` +
          `Address: ${DEMO_BUSINESS_PROFILE.address}. To change it, call us at ${BUSINESS_NUMBER}.`,
      },
    ]);
  });

  it('texts nothing to a number outside OUTBOUND_ALLOWED_COUNTRIES, and the booking stands', async () => {
    const before = harness.twilioRest.texts.length;
    const { stream, driver } = await readyCall(harness, 'openai', { from: CALLER });
    const booked = await driver.toolCall('book_appointment', {
      start: tomorrowAt(11).local,
      name: 'Sam Smith',
      phone: '+447911123456',
    });
    expect(booked.isError).toBe(false);
    expect(booked.text).toMatch(/^Booked for /);
    expect(booked.text).not.toContain('text');
    expect(harness.twilioRest.texts).toHaveLength(before);
    await stream.hangUp();
  });
});

describe('the missed-call text-back', () => {
  const harness = harnessForSuite({ provider: 'elevenlabs', tools: 'real' });

  /** A call the caller leaves before saying anything, finalised by Twilio's status callback. */
  async function missedCall(from: string): Promise<string> {
    const { callSid, stream } = await readyCall(harness, 'elevenlabs', { from });
    await stream.hangUp();
    await eventually(
      () => harness.stack.sessions.get(callSid),
      (r) => r?.session.status === 'ended',
    );
    expect((await statusCallback(harness, { callSid, from, callStatus: 'completed' })).status).toBe(200);
    await eventually(
      () => harness.stack.sessions.get(callSid),
      (r) => r?.session.status === 'finalised',
    );
    return callSid;
  }

  it('texts a caller the agent could not help once, and only once that day', async () => {
    const first = await missedCall(CALLER);
    const body = `Bolt Plumbing: sorry we could not help you on your call just now. Please call us back at ${BUSINESS_NUMBER}, or reply to this text.`;
    expect(harness.twilioRest.texts.map(({ to, from, body }) => ({ to, from, body }))).toEqual([
      { to: CALLER, from: BUSINESS_NUMBER, body },
    ]);
    expect((await harness.stack.sessions.get(first))?.texts).toEqual([
      expect.objectContaining({ kind: 'missed-call', to: CALLER, body }),
    ]);
    await missedCall(CALLER);
    expect(harness.twilioRest.texts).toHaveLength(1);
  });

  it('a reply is kept with the customer and that call, forwarded to the owner, and answered with nothing', async () => {
    const callSid = await missedCall('+13105550188');
    const params = {
      AccountSid: TEST_ACCOUNT_SID,
      MessageSid: `SM${'7'.repeat(32)}`,
      From: '+13105550188',
      To: BUSINESS_NUMBER,
      Body: 'Sorry, bad line. Please call after 5pm.',
    };
    const sms = (signature: 'valid' | 'missing') =>
      postTwilioWebhook({
        baseUrl: harness.stack.url,
        publicUrl: PUBLIC_URL,
        path: '/twilio/sms',
        authToken: TEST_AUTH_TOKEN,
        params,
        signature,
      });
    const sentBefore = harness.twilioRest.texts.length;
    expect((await sms('missing')).status).toBe(403);
    const answer = await sms('valid');
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    const crm = harness.app.adapters.crm as MemoryCrm;
    expect(crm.textReplies.get(params.MessageSid)).toMatchObject({
      phone: '+13105550188',
      callSid,
      body: params.Body,
      customerId: expect.any(String),
    });
    const mail = await eventually(
      () => OutboxMailer.read(harness.stack.config.localOutboxDir),
      (messages) => messages.some((m) => m.subject === 'Text from +13105550188'),
    );
    expect(mail.find((m) => m.subject === 'Text from +13105550188')?.text).toContain(params.Body);
    // Nothing texted back.
    expect(harness.twilioRest.texts).toHaveLength(sentBefore);
  });

  it('never texts a number outside OUTBOUND_ALLOWED_COUNTRIES', async () => {
    const before = harness.twilioRest.texts.length;
    await missedCall('+447911123456');
    expect(harness.twilioRest.texts).toHaveLength(before);
  });
});

describe('texts turned off (SMS_ENABLED=false)', () => {
  const harness = harnessForSuite({
    provider: 'elevenlabs',
    tools: 'real',
    env: { BUSINESS_HOURS: 'mon-sun 00:00-24:00', BUSINESS_TIMEZONE: TZ, SMS_ENABLED: 'false' },
  });

  it('books without a text', async () => {
    const { stream, driver } = await readyCall(harness, 'elevenlabs', { from: CALLER });
    const booked = await driver.toolCall('book_appointment', {
      start: tomorrowAt(12).local,
      name: 'Jane Doe',
    });
    expect(booked.isError).toBe(false);
    expect(harness.twilioRest.texts).toEqual([]);
    await stream.hangUp();
  });
});
