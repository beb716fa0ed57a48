import Ajv from 'ajv';
import { MemoryCalendar } from '../../../services/adapters/memory/calendar.js';
import { MemoryCrm } from '../../../services/adapters/memory/crm.js';
import type { Calendar } from '../../../services/core/ports/calendar.js';
import { outboundHarness } from '../../support/outbound-harness.js';
import { CALL_SID, CALLER, makeHarness, NOW, ny, OWNER, TZ } from './harness.js';

/** A CRM whose one write fails as in an outage, the rest working. */
function crmDownFor(write: 'upsertCustomer' | 'saveLead'): MemoryCrm {
  return Object.assign(new MemoryCrm({ timezone: TZ, now: () => NOW }), {
    [write]: async () => {
      throw new Error('CRM unavailable (503)');
    },
  });
}

type Harness = Awaited<ReturnType<typeof makeHarness>>;
let h: Harness;

afterEach(async () => {
  await h?.cleanup();
});

describe('check_availability', () => {
  it('lists free slots inside business hours in the business time zone, skipping busy and past times', async () => {
    h = await makeHarness({ busy: [{ start: ny('2026-11-25T11:00'), end: ny('2026-11-25T12:00') }] });
    const result = await h.run('check_availability', { date: '2026-11-25' });
    // Now is 10:10 local: 09:00–10:00 are past; 11:00 and 11:30 are busy; the day ends 16:30–17:00.
    expect(result).toEqual({
      ok: true,
      text:
        'Free 30-minute times on 2026-11-25: 2026-11-25T10:30, 2026-11-25T12:00, 2026-11-25T12:30, ' +
        '2026-11-25T13:00, 2026-11-25T13:30, 2026-11-25T14:00, and 5 more.',
    });
  });

  it('reads the date in the business time zone, not UTC', async () => {
    h = await makeHarness({
      busy: [{ start: Date.parse('2026-11-26T14:00:00Z'), end: Date.parse('2026-11-26T14:30:00Z') }],
    });
    const result = await h.run('check_availability', { date: '2026-11-26' });
    // 14:00Z is 09:00 in New York: the first slot of the day is taken, 09:30 is the first free one.
    expect(result.text).toMatch(/^Free 30-minute times on 2026-11-26: 2026-11-26T09:30, 2026-11-26T10:00,/);
  });

  it('searches several days and says so when none are free', async () => {
    h = await makeHarness();
    expect(await h.run('check_availability', { date: '2026-11-28', days: 2 })).toEqual({
      ok: true,
      text: 'There are no free times from 2026-11-28 to 2026-11-29.',
    });
    const week = await h.run('check_availability', { date: '2026-11-28', days: 3 });
    expect(week.text).toContain('2026-11-30T09:00');
    expect(week.text).toContain('and 10 more');
  });

  it('answers a past date with no free times', async () => {
    h = await makeHarness();
    expect((await h.run('check_availability', { date: '2026-11-24' })).text).toBe(
      'There are no free times on 2026-11-24.',
    );
  });
});

describe('book_appointment', () => {
  it('books a free slot: calendar event, customer, appointment and confirmation email', async () => {
    h = await makeHarness();
    const result = await h.run('book_appointment', {
      start: '2026-11-26T10:00',
      name: 'Jane Doe',
      email: 'jane@example.com',
      purpose: 'Boiler service',
    });
    expect(result).toEqual({
      ok: true,
      text: 'Booked for Thursday, November 26 at 10:00 AM (2026-11-26T10:00) for Jane Doe. A confirmation is on its way to jane@example.com.',
    });
    const [event] = h.calendar.events();
    expect(h.calendar.events()).toHaveLength(1);
    expect(event).toMatchObject({
      start: Date.parse('2026-11-26T15:00:00Z'),
      end: Date.parse('2026-11-26T15:30:00Z'),
      summary: 'Boiler service: Jane Doe',
    });
    const appointments = await h.crm.appointmentsBetween(0, NOW + 1);
    expect(appointments).toEqual([
      expect.objectContaining({
        callSid: CALL_SID,
        calendarEventId: event?.eventId,
        phone: CALLER, // defaults to the caller's number
        name: 'Jane Doe',
        email: 'jane@example.com',
        purpose: 'Boiler service',
      }),
    ]);
    const customer = await h.crm.findCustomerByPhone(CALLER, NOW);
    expect(customer).toMatchObject({ name: 'Jane Doe', openAppointment: '2026-11-26T10:00' });
    const mail = await h.outbox();
    expect(mail).toEqual([
      expect.objectContaining({
        to: 'jane@example.com',
        from: 'Bolt <desk@example.com>',
        subject: 'Your appointment with Bolt Plumbing: Thursday, November 26 at 10:00 AM',
      }),
    ]);
    expect(mail[0]?.text).toContain('Purpose: Boiler service');
  });

  it('a booking retried twice makes one event, one appointment and one email', async () => {
    h = await makeHarness();
    const args = { start: '2026-11-26T10:00', name: 'Jane Doe', email: 'jane@example.com' };
    const results = [
      await h.run('book_appointment', args),
      await h.run('book_appointment', args),
      await h.run('book_appointment', args),
    ];
    expect(results.every((r) => r.ok)).toBe(true);
    expect(new Set(results.map((r) => r.text)).size).toBe(1);
    expect(h.calendar.events()).toHaveLength(1);
    expect(await h.crm.appointmentsBetween(0, NOW + 1)).toHaveLength(1);
    expect(await h.outbox()).toHaveLength(1);
  });

  it('another call booking the same time finds it taken', async () => {
    h = await makeHarness();
    await h.run('book_appointment', { start: '2026-11-26T10:00', name: 'Jane Doe' });
    const other = await h.run('book_appointment', { start: '2026-11-26T10:00', name: 'Sam' }, 'CA-other');
    expect(other).toEqual({
      ok: false,
      text: 'Thursday, November 26 at 10:00 AM has just been taken; please pick another time.',
    });
    expect(h.calendar.events()).toHaveLength(1);
  });

  it('the same slot asked again in the same call for another name is taken, and the first booking stands', async () => {
    h = await makeHarness();
    await h.run('book_appointment', {
      start: '2026-11-26T10:00',
      name: 'Jane Doe',
      email: 'jane@example.com',
    });
    const other = await h.run('book_appointment', {
      start: '2026-11-26T10:00',
      name: 'Other Person',
      email: 'other@example.com',
    });
    expect(other).toEqual({
      ok: false,
      text: 'Thursday, November 26 at 10:00 AM has just been taken; please pick another time.',
    });
    expect(h.calendar.events()).toHaveLength(1);
    expect(await h.crm.appointmentsBetween(0, NOW + 1)).toEqual([
      expect.objectContaining({ name: 'Jane Doe' }),
    ]);
    expect((await h.outbox()).map((m) => m.to)).toEqual(['jane@example.com']);
  });

  it('a row the CRM refuses as overlapping (a concurrent booking) removes our event and says taken', async () => {
    // Another call's booking holds 10:00: its event and its row, though free/busy did not show it
    // to us yet (both calls read it before either event existed).
    class LateFreeBusy extends MemoryCalendar {
      override async busy() {
        return [];
      }
    }
    const calendar = new LateFreeBusy([]);
    h = await makeHarness({ overrides: { calendar } });
    const theirs = await calendar.createEvent({
      idempotencyKey: 'their-booking',
      start: ny('2026-11-26T10:00'),
      end: ny('2026-11-26T10:30'),
      summary: 'Sam',
    });
    await h.crm.recordAppointment({
      customerId: 'c-1',
      start: ny('2026-11-26T10:00'),
      end: ny('2026-11-26T10:30'),
      calendarEventId: theirs.eventId,
      name: 'Sam',
      phone: '+12025550199',
    });
    const result = await h.run('book_appointment', { start: '2026-11-26T10:00', name: 'Jane Doe' });
    expect(result).toMatchObject({ ok: false, text: expect.stringContaining('has just been taken') });
    expect(calendar.events().map((e) => e.eventId)).toEqual([theirs.eventId]);
  });

  it('a CRM row whose calendar event the owner removed no longer holds the slot', async () => {
    h = await makeHarness();
    const first = await h.run('book_appointment', { start: '2026-11-26T10:00', name: 'Sam Roe' }, 'CA_first');
    expect(first.ok).toBe(true);
    // The owner cancels it in Google Calendar; the CRM row stays.
    const cancelled = h.calendar.events()[0]?.eventId ?? '';
    await h.calendar.deleteEvent(cancelled);
    const second = await h.run(
      'book_appointment',
      { start: '2026-11-26T10:00', name: 'Jane Doe' },
      'CA_second',
    );
    expect(second).toMatchObject({ ok: true, text: expect.stringContaining('Booked for') });
    const rows = await h.crm.appointmentsBetween(0, NOW + 86_400_000);
    expect(rows).toEqual([
      expect.objectContaining({ calendarEventId: cancelled, cancelledAt: NOW }),
      expect.objectContaining({ name: 'Jane Doe', calendarEventId: h.calendar.events()[0]?.eventId }),
    ]);
    expect(rows[1]?.cancelledAt).toBeUndefined();
  });

  it('a CRM outage after the event keeps the booking and hands the row to finalisation', async () => {
    h = await makeHarness({
      overrides: {
        crm: crmDownFor('upsertCustomer'),
      },
    });
    const result = await h.run('book_appointment', { start: '2026-11-26T10:00', name: 'Jane Doe' });
    expect(result.ok).toBe(true);
    expect(result.crmRepair).toEqual({
      kind: 'appointment',
      customer: { phone: CALLER, name: 'Jane Doe' },
      appointment: expect.objectContaining({
        callSid: CALL_SID,
        calendarEventId: h.calendar.events()[0]?.eventId,
        start: ny('2026-11-26T10:00'),
        name: 'Jane Doe',
      }),
    });
  });

  it('a booking the runner gives up on (timeout) leaves no event and no row behind, as the caller was told', async () => {
    // Google carries the insert out although the request was aborted: the event appears late.
    class SlowCalendar extends MemoryCalendar {
      override async createEvent(event: Parameters<MemoryCalendar['createEvent']>[0]) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        return super.createEvent(event);
      }
    }
    const calendar = new SlowCalendar([]);
    h = await makeHarness({ overrides: { calendar, timeoutMs: 50 } });
    const result = await h.run('book_appointment', { start: '2026-11-26T10:00', name: 'Jane Doe' });
    expect(result).toMatchObject({
      ok: false,
      text: expect.stringContaining('could not complete the booking'),
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(calendar.events()).toEqual([]);
    expect(await h.crm.appointmentsBetween(0, NOW + 86_400_000)).toEqual([]);
  });

  it('two calls booking one slot while the CRM is down: the calendar decides, one hears booked, the other taken', async () => {
    // Free/busy is read by both before either event exists (two calls at once).
    class RacingCalendar extends MemoryCalendar {
      override async busy(from: number, to: number) {
        const busy = await super.busy(from, to);
        await new Promise((resolve) => setTimeout(resolve, 30));
        return busy;
      }
    }
    const calendar = new RacingCalendar([]);
    const crm = crmDownFor('upsertCustomer');
    h = await makeHarness({ overrides: { calendar, crm } });
    const [first, second] = await Promise.all([
      h.run('book_appointment', { start: '2026-11-26T10:00', name: 'Jane Doe' }, 'CA_first_call'),
      h.run('book_appointment', { start: '2026-11-26T10:00', name: 'Sam Roe' }, 'CA_second_call'),
    ]);
    const results = [first, second];
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toEqual([
      expect.objectContaining({ text: expect.stringContaining('has just been taken') }),
    ]);
    expect(calendar.events()).toHaveLength(1);
    expect(results.find((r) => r.ok)?.crmRepair?.kind).toBe('appointment');
  });

  it('a CRM outage during save_lead keeps the lead and hands it to finalisation', async () => {
    h = await makeHarness({
      overrides: {
        crm: crmDownFor('saveLead'),
      },
    });
    const result = await h.run('save_lead', { name: 'Jane Doe', interest: 'a quote' });
    expect(result).toMatchObject({ ok: true, text: expect.stringContaining('noted Jane Doe') });
    expect(result.crmRepair).toEqual({
      kind: 'lead',
      customer: { phone: CALLER, name: 'Jane Doe' },
      lead: expect.objectContaining({
        callSid: CALL_SID,
        name: 'Jane Doe',
        phone: CALLER,
        interest: 'a quote',
      }),
    });
  });

  it('email idempotency keys are fixed-length hashes with nothing personal in them', async () => {
    const sent: Array<{ idempotencyKey?: string }> = [];
    h = await makeHarness({
      overrides: {
        mailer: {
          send: async (m) => {
            sent.push(m);
            return { id: 'x' };
          },
        },
      },
    });
    const long = 'a'.repeat(180);
    await h.run('send_follow_up_email', { email: `${long}@example.com`, topic: 'x'.repeat(200) });
    await h.run('book_appointment', {
      start: '2026-11-26T10:00',
      name: 'Jane Doe',
      email: 'jane@example.com',
    });
    expect(sent.length).toBeGreaterThanOrEqual(2);
    for (const { idempotencyKey } of sent) {
      expect(idempotencyKey).toMatch(/^[a-z-]+-[0-9a-f]{64}$/);
      expect(idempotencyKey?.length).toBeLessThan(256);
      expect(idempotencyKey).not.toMatch(/example|jane/i);
    }
  });

  it('refuses a time that overlaps a busy interval', async () => {
    h = await makeHarness({ busy: [{ start: ny('2026-11-26T10:15'), end: ny('2026-11-26T10:45') }] });
    const result = await h.run('book_appointment', { start: '2026-11-26T10:00', name: 'Jane' });
    expect(result.ok).toBe(false);
    expect(result.text).toContain('has just been taken');
    expect(h.calendar.events()).toHaveLength(0);
  });

  it.each([
    ['before opening', '2026-11-26T08:30'],
    ['running past closing', '2026-11-26T16:45'],
    ['on a Saturday', '2026-11-28T10:00'],
  ])('refuses a time outside opening hours (%s)', async (_label, start) => {
    h = await makeHarness();
    const result = await h.run('book_appointment', { start, name: 'Jane' });
    expect(result.ok).toBe(false);
    expect(result.text).toContain('is outside our opening hours. We are open mon-fri 09:00-17:00.');
    expect(h.calendar.events()).toHaveLength(0);
  });

  it('refuses a time in the past', async () => {
    h = await makeHarness();
    const result = await h.run('book_appointment', { start: '2026-11-25T09:30', name: 'Jane' });
    expect(result).toEqual({
      ok: false,
      text: 'Wednesday, November 25 at 9:30 AM has already passed; please pick a later time.',
    });
    expect(await h.crm.appointmentsBetween(0, NOW + 1)).toHaveLength(0);
  });

  it('refuses a local time that daylight saving skips', async () => {
    h = await makeHarness();
    const result = await h.run('book_appointment', { start: '2027-03-14T02:30', name: 'Jane' });
    expect(result).toEqual({
      ok: false,
      text: '2027-03-14T02:30 does not exist on the local clock; please pick another time.',
    });
  });

  it('keeps the booking under a phone number the caller gives, spoken as a national number', async () => {
    h = await makeHarness();
    await h.run('book_appointment', { start: '2026-11-26T10:00', name: 'Jane', phone: '(212) 555-0100' });
    const [appointment] = await h.crm.appointmentsBetween(0, NOW + 1);
    expect(appointment?.phone).toBe('+12125550100');
  });

  it('asks for a number when the caller withheld theirs and gave none', async () => {
    h = await makeHarness();
    const result = await h.run(
      'book_appointment',
      { start: '2026-11-26T10:00', name: 'Jane' },
      CALL_SID,
      'anonymous',
    );
    expect(result).toEqual({ ok: false, text: 'I need a phone number with its area code to book under.' });
  });

  it('keeps the booking and says so when only the confirmation email fails', async () => {
    h = await makeHarness({
      overrides: {
        mailer: {
          send: async () => {
            throw new Error('mail down');
          },
        },
      },
    });
    const result = await h.run('book_appointment', {
      start: '2026-11-26T10:00',
      name: 'Jane',
      email: 'jane@example.com',
    });
    expect(result.ok).toBe(true);
    expect(result.text).toContain('I could not send the confirmation email, but the booking is made.');
    expect(await h.crm.appointmentsBetween(0, NOW + 1)).toHaveLength(1);
  });
});

describe('save_lead', () => {
  it('upserts the customer by phone and keeps one lead per call, updated by a second save', async () => {
    h = await makeHarness();
    const first = await h.run('save_lead', {
      name: 'Jane Doe',
      business: 'Doe Bakery',
      interest: 'new boiler',
    });
    expect(first).toEqual({ ok: true, text: "Thanks, I have noted Jane Doe's details for the team." });
    await h.run('save_lead', { name: 'Jane Doe', email: 'jane@example.com', notes: 'call after 3pm' });
    const leads = await h.crm.leadsBetween(0, NOW + 1);
    expect(leads).toEqual([
      expect.objectContaining({
        callSid: CALL_SID,
        phone: CALLER,
        name: 'Jane Doe',
        business: 'Doe Bakery', // kept from the first save
        interest: 'new boiler',
        email: 'jane@example.com',
        notes: 'call after 3pm',
      }),
    ]);
    const customer = await h.crm.upsertCustomer({ phone: CALLER });
    expect(customer).toMatchObject({ name: 'Jane Doe', business: 'Doe Bakery', email: 'jane@example.com' });
  });
});

describe('send_follow_up_email', () => {
  it('emails the caller about the topic and tells the owner, once even if retried', async () => {
    h = await makeHarness();
    const args = { email: 'jane@example.com', topic: 'Boiler prices' };
    expect(await h.run('send_follow_up_email', args)).toEqual({
      ok: true,
      text: 'Done, I have sent an email to jane@example.com about Boiler prices.',
    });
    await h.run('send_follow_up_email', args);
    const mail = await h.outbox();
    expect(mail.map((m) => [m.to, m.subject])).toEqual(
      expect.arrayContaining([
        ['jane@example.com', 'Bolt Plumbing: Boiler prices'],
        ['owner@example.com', 'Follow up with jane@example.com: Boiler prices'],
      ]),
    );
    expect(mail).toHaveLength(2);
  });
});

describe('transfer_to_human', () => {
  it('redirects the live call to TwiML that dials OWNER_PHONE and tells the bridge', async () => {
    h = await makeHarness();
    const result = await h.run('transfer_to_human', { reason: 'wants to talk about a quote' });
    expect(result).toEqual({ ok: true, text: 'Transferring the call now.', endsCall: 'transfer' });
    expect(h.callControl.redirects).toHaveLength(1);
    const { callSid, twiml } = h.callControl.redirects[0] ?? { callSid: '', twiml: '' };
    expect(callSid).toBe(CALL_SID);
    expect(twiml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Connecting you now. Please hold while I let them know who is calling.</Say>' +
        `<Dial timeout="25"><Number>${OWNER}</Number></Dial>` +
        '<Say>Sorry, nobody at Bolt Plumbing could take the call. We will call you back. Goodbye.</Say>' +
        '<Hangup/></Response>',
    );
  });

  it('without OWNER_PHONE, offers a message instead and leaves the call alone', async () => {
    h = await makeHarness({ overrides: { ownerPhone: undefined } });
    const result = await h.run('transfer_to_human', {});
    expect(result.ok).toBe(false);
    expect(result.endsCall).toBeUndefined();
    expect(result.text).toContain('I can take a message');
    expect(h.callControl.redirects).toHaveLength(0);
  });
});

describe('end_call', () => {
  it('says goodbye and asks the bridge to hang up; the tool itself hangs nothing up', async () => {
    h = await makeHarness();
    expect(await h.run('end_call', { reason: 'done' })).toEqual({
      ok: true,
      text: 'Goodbye, and thank you for calling.',
      endsCall: 'hangup',
    });
    expect(h.callControl.hangUps).toEqual([]);
  });
});

describe('the runner', () => {
  it('turns invalid arguments into a sentence the agent can speak', async () => {
    h = await makeHarness();
    expect(await h.run('check_availability', { date: '26/11/2026' })).toEqual({
      ok: false,
      text: 'I need the date as year-month-day, for example 2026-11-26.',
    });
    expect(await h.run('check_availability', { date: '2026-02-30' })).toMatchObject({ ok: false });
    expect((await h.run('check_availability', { date: '2026-11-26', days: 30 })).text).toBe(
      'I can look at between 1 and 14 days at a time.',
    );
    expect(await h.run('book_appointment', { start: 'tomorrow at 3' })).toEqual({
      ok: false,
      text:
        'I need the time as year-month-day, then T, then hours and minutes, like 2026-11-26T14:30. ' +
        'I need the name of the person.',
    });
    expect((await h.run('save_lead', { name: 'Jane', email: 'jane at example' })).text).toBe(
      'That email address does not look complete; could you spell it again?',
    );
    expect((await h.run('send_follow_up_email', 'not json')).text).toBe(
      'I could not read the details for that request.',
    );
  });

  it('accepts arguments as a JSON string (OpenAI function calls)', async () => {
    h = await makeHarness();
    const result = await h.run('check_availability', JSON.stringify({ date: '2026-11-26' }));
    expect(result.ok).toBe(true);
  });

  it('answers an unknown tool with an error result', async () => {
    h = await makeHarness();
    expect(await h.run('order_pizza', {})).toEqual({
      ok: false,
      text: 'I do not have a tool called order_pizza.',
    });
  });

  it('turns a throwing adapter into the tool’s error result, never a throw', async () => {
    const broken: Calendar = {
      busy: async () => {
        throw new Error('Google says 503');
      },
      findEvent: async () => undefined,
      createEvent: async () => {
        throw new Error('unreachable');
      },
      deleteEvent: async () => {},
      hasEvent: async () => true,
      eventsOverlapping: async () => [],
    };
    h = await makeHarness({ overrides: { calendar: broken } });
    expect(await h.run('check_availability', { date: '2026-11-26' })).toEqual({
      ok: false,
      text: 'I could not reach the calendar just now. Could I take your details and have someone call you back?',
    });
    const booking = await h.run('book_appointment', { start: '2026-11-26T10:00', name: 'Jane' });
    expect(booking.ok).toBe(false);
    expect(booking.text).toContain('I could not complete the booking just now');
  });

  it('gives up on a tool that hangs, with its error result', async () => {
    const hanging: Calendar = {
      busy: () => new Promise(() => {}),
      findEvent: async () => undefined,
      createEvent: () => new Promise(() => {}),
      deleteEvent: async () => {},
      hasEvent: async () => true,
      eventsOverlapping: async () => [],
    };
    h = await makeHarness({ overrides: { calendar: hanging, timeoutMs: 20 } });
    const result = await h.run('check_availability', { date: '2026-11-26' });
    expect(result.ok).toBe(false);
  });

  it('declares every tool with a JSON schema that matches the contract', async () => {
    h = await makeHarness();
    const definitions = h.runner.definitions();
    expect(definitions.map((d) => d.name)).toEqual([
      'check_availability',
      'book_appointment',
      'save_lead',
      'send_follow_up_email',
      'transfer_to_human',
      'end_call',
      'schedule_callback',
    ]);
    const byName = Object.fromEntries(definitions.map((d) => [d.name, d.parameters]));
    const props = (name: string) => Object.keys((byName[name]?.properties as object) ?? {});
    expect(props('check_availability')).toEqual(['date', 'days']);
    expect(props('book_appointment')).toEqual(['start', 'name', 'phone', 'email', 'purpose']);
    expect(props('save_lead')).toEqual(['name', 'business', 'email', 'phone', 'interest', 'notes']);
    expect(props('send_follow_up_email')).toEqual(['email', 'topic']);
    expect(props('transfer_to_human')).toEqual(['reason']);
    expect(props('end_call')).toEqual(['reason']);
    expect(props('schedule_callback')).toEqual(['at', 'reason']);
    expect(byName.book_appointment?.required).toEqual(['start', 'name']);
    expect(byName.schedule_callback?.required).toEqual(['at']);
    expect(byName.check_availability).not.toHaveProperty('$schema');

    const ajv = new Ajv({ strict: false });
    const checkBooking = ajv.compile(byName.book_appointment ?? {});
    expect(checkBooking({ start: '2026-11-26T10:00', name: 'Jane' })).toBe(true);
    expect(checkBooking({ start: '2026-11-26T10:00' })).toBe(false);
    const checkDays = ajv.compile(byName.check_availability ?? {});
    expect(checkDays({ date: '2026-11-26', days: 15 })).toBe(false);
  });
});

describe('schedule_callback', () => {
  it('schedules a call back to the caller through the POST /calls path', async () => {
    const outbound = outboundHarness({ now: NOW });
    h = await makeHarness({ overrides: { callbacks: outbound.deps } });
    const result = await h.run('schedule_callback', { at: '2026-11-26T10:00', reason: 'quote for a boiler' });
    expect(result).toEqual({
      ok: true,
      text: 'Done: we will call you back on Thursday 26 November at 10:00.',
    });
    const schedules = [...outbound.scheduler.schedules.values()];
    expect(schedules).toHaveLength(1);
    expect(schedules[0]?.at).toBe(ny('2026-11-26T10:00'));
    expect(schedules[0]?.payload).toMatchObject({
      to: CALLER,
      reason: 'quote for a boiler',
      at: '2026-11-26T10:00:00-05:00',
    });
    expect(outbound.callControl.placed).toEqual([]);

    // The agent retrying the same time schedules nothing new.
    expect((await h.run('schedule_callback', { at: '2026-11-26T10:00' })).ok).toBe(true);
    expect(outbound.scheduler.schedules.size).toBe(1);
  });

  it('answers an unreadable time or a closed hour with a sentence, and schedules nothing', async () => {
    const outbound = outboundHarness({ now: NOW });
    h = await makeHarness({ overrides: { callbacks: outbound.deps } });
    const unreadable = await h.run('schedule_callback', { at: 'tomorrow at ten' });
    expect(unreadable.ok).toBe(false);
    expect(unreadable.text).toMatch(/2026-11-26T14:30/);
    const closed = await h.run('schedule_callback', { at: '2026-11-26T21:00' });
    expect(closed).toEqual({
      ok: false,
      text: 'Thursday 26 November at 21:00 is outside our opening hours (mon-fri 09:00-17:00).',
    });
    expect(outbound.scheduler.schedules.size).toBe(0);
  });

  it('declines when call backs are not configured', async () => {
    h = await makeHarness();
    const result = await h.run('schedule_callback', { at: '2026-11-26T10:00' });
    expect(result.ok).toBe(false);
    expect(result.text).toMatch(/cannot schedule a call back/);
  });
});
