/**
 * Per call at most 2 emails, 2 bookings, 1 callback; per caller number per local day 3 emails, 3
 * bookings, 2 callbacks; per recipient 2 emails a day; and daily totals for the whole business (a
 * callback counts on the day it rings). Held in DynamoDB so they survive the call and the task;
 * bookings at most BOOKING_HORIZON_DAYS ahead; a booking confirms to one address, once, and that
 * email counts; a `phone` that is not the caller's own never changes that number's stored customer.
 */
import { DynamoUsageCounter } from '../../../services/adapters/dynamodb/usage-counter.js';
import { OVER_LIMIT_TEXT, TOOL_LIMITS, type ToolLimits } from '../../../services/core/tools/tool-usage.js';
import { startTestDynamo, type TestDynamo } from '../../support/dynamo.js';
import { outboundHarness } from '../../support/outbound-harness.js';
import { CALLER, makeHarness, NOW } from './harness.js';

let dynamo: TestDynamo;
let usage: DynamoUsageCounter;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  dynamo = await startTestDynamo();
});
afterAll(() => dynamo.close());
beforeEach(async () => {
  usage = new DynamoUsageCounter(dynamo.doc, { tableName: await dynamo.newTable() });
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A tool runner as one bridge task has it; two of them over one table are two tasks. */
async function task(overrides = {}, verified = true) {
  const h = await makeHarness({ verified, overrides: { usage, ...overrides } });
  cleanups.push(h.cleanup);
  return h;
}

const sid = (n: number) => `CA${n.toString(16).padStart(32, '0')}`;

describe('follow-up emails', () => {
  it('two per call, three per caller per local day across calls and tasks; a retry is not counted', async () => {
    const a = await task();
    const b = await task();
    const email = (h: typeof a, n: number, call: number) =>
      h.run('send_follow_up_email', { email: `p${n}@example.com`, topic: 'prices' }, sid(call));

    expect((await email(a, 1, 1)).ok).toBe(true);
    // The agent retrying the same email is the same operation.
    expect((await email(a, 1, 1)).ok).toBe(true);
    expect((await email(a, 2, 1)).ok).toBe(true);
    expect(await email(a, 3, 1)).toEqual({ ok: false, text: OVER_LIMIT_TEXT.email });

    // A second call from the same number, on another task: one more today, then no more.
    expect((await email(b, 4, 2)).ok).toBe(true);
    expect(await email(b, 5, 3)).toEqual({ ok: false, text: OVER_LIMIT_TEXT.email });
    // Another caller is not affected.
    expect(
      (
        await b.run(
          'send_follow_up_email',
          { email: 'x@example.com', topic: 'prices' },
          sid(4),
          '+12025550199',
        )
      ).ok,
    ).toBe(true);
    const sentToCallers = [...(await a.outbox()), ...(await b.outbox())].filter(
      (m) => m.to !== 'owner@example.com',
    );
    expect(sentToCallers.map((m) => m.to).sort()).toEqual([
      'p1@example.com',
      'p2@example.com',
      'p4@example.com',
      'x@example.com',
    ]);
  });
});

describe('without the call table (a runner built in-process)', () => {
  it('still holds the per-call limit, on the runner clock', async () => {
    const h = await makeHarness();
    cleanups.push(h.cleanup);
    const email = (n: number) => h.run('send_follow_up_email', { email: `q${n}@example.com`, topic: 'x' });
    expect((await email(1)).ok).toBe(true);
    expect((await email(2)).ok).toBe(true);
    expect(await email(3)).toEqual({ ok: false, text: OVER_LIMIT_TEXT.email });
  });
});

describe('bookings', () => {
  it('two per call; the refused one books nothing', async () => {
    const h = await task();
    const book = (start: string) => h.run('book_appointment', { start, name: 'Ada' });
    expect((await book('2026-11-26T10:00')).ok).toBe(true);
    expect((await book('2026-11-26T11:00')).ok).toBe(true);
    // Retrying a booking already made still confirms it.
    expect((await book('2026-11-26T10:00')).ok).toBe(true);
    expect(await book('2026-11-26T12:00')).toEqual({ ok: false, text: OVER_LIMIT_TEXT.booking });
    expect(h.calendar.events()).toHaveLength(2);
  });

  it('at most BOOKING_HORIZON_DAYS ahead', async () => {
    const h = await task({ bookingHorizonDays: 60 });
    const far = await h.run('book_appointment', { start: '2027-02-01T10:00', name: 'Ada' });
    expect(far).toEqual({
      ok: false,
      text: 'I can only book up to 60 days ahead; please pick an earlier date.',
    });
    expect((await h.run('book_appointment', { start: '2027-01-20T10:00', name: 'Ada' })).ok).toBe(true);
    expect(h.calendar.events()).toHaveLength(1);
  });
});

describe('booking confirmations', () => {
  it('a repeat of the booking with another address or purpose sends nothing; confirmations use the email allowance', async () => {
    const h = await task();
    const book = (start: string, email: string, purpose?: string) =>
      h.run('book_appointment', { start, name: 'Ada', email, ...(purpose ? { purpose } : {}) });
    expect((await book('2026-11-26T10:00', 'ada@example.com')).text).toContain(
      'A confirmation is on its way to ada@example.com.',
    );
    for (let n = 0; n < 10; n++) {
      const again = await book('2026-11-26T10:00', `victim${n}@example.com`, `Buy now ${n}`);
      expect(again.ok).toBe(true);
      expect(again.text).toContain('The confirmation went to the address given when it was booked.');
    }
    expect((await book('2026-11-26T10:00', 'ada@example.com', 'Click this link')).ok).toBe(true);
    // A plain retry is still confirmed (the same message, the same idempotency key).
    expect((await book('2026-11-26T10:00', 'ada@example.com')).text).toContain('on its way');
    expect((await h.outbox()).map((m) => m.to)).toEqual(['ada@example.com']);

    // The second booking's confirmation is the call's second email; a follow-up is then refused.
    expect((await book('2026-11-26T11:00', 'ada@example.com')).text).toContain('on its way');
    expect(await h.run('send_follow_up_email', { email: 'ada@example.com', topic: 'prices' })).toEqual({
      ok: false,
      text: OVER_LIMIT_TEXT.email,
    });
    expect(await h.outbox()).toHaveLength(2);
  });

  it('a confirmation over the email limit is not sent, and the booking stands', async () => {
    const h = await task();
    for (const n of [1, 2]) {
      expect((await h.run('send_follow_up_email', { email: `p${n}@example.com`, topic: 'x' })).ok).toBe(true);
    }
    const booked = await h.run('book_appointment', {
      start: '2026-11-26T10:00',
      name: 'Ada',
      email: 'ada@example.com',
    });
    expect(booked.ok).toBe(true);
    expect(booked.text).toContain(OVER_LIMIT_TEXT.email);
    expect(h.calendar.events()).toHaveLength(1);
    expect((await h.outbox()).filter((m) => m.to === 'ada@example.com')).toEqual([]);
  });
});

describe('rotating the claimed number', () => {
  const numbers = ['+12025550161', '+12025550162', '+12025550163', '+12025550164'];

  it('cannot flood one inbox: two emails per recipient per day, whoever asks', async () => {
    const h = await task();
    const results = [];
    for (const [i, number] of numbers.entries()) {
      results.push(
        await h.run(
          'send_follow_up_email',
          { email: 'Victim@Example.com', topic: `t${i}` },
          sid(10 + i),
          number,
        ),
      );
    }
    expect(results.map((r) => r.ok)).toEqual([true, true, false, false]);
    expect((await h.outbox()).filter((m) => m.to.toLowerCase() === 'victim@example.com')).toHaveLength(2);
  });

  it("cannot fill the calendar under one person's number: three bookings a day per phone booked under", async () => {
    const h = await task();
    const victim = '+12025550177';
    const booked = [];
    for (const [i, number] of numbers.entries()) {
      booked.push(
        await h.run(
          'book_appointment',
          { start: `2026-11-26T1${i}:00`, name: `N${i}`, phone: victim },
          sid(60 + i),
          number,
        ),
      );
    }
    expect(booked.map((r) => r.ok)).toEqual([true, true, true, false]);
    expect(booked[3]).toEqual({ ok: false, text: OVER_LIMIT_TEXT.booking });
  });

  it('cannot flood the calendar or the mail: a daily total for the whole business', async () => {
    const limits: ToolLimits = {
      ...TOOL_LIMITS,
      booking: { ...TOOL_LIMITS.booking, perDay: 3 },
      email: { ...TOOL_LIMITS.email, perDay: 3 },
    };
    const h = await task({ limits });
    const booked = [];
    for (const [i, number] of numbers.entries()) {
      booked.push(
        await h.run('book_appointment', { start: `2026-11-26T1${i}:00`, name: `N${i}` }, sid(20 + i), number),
      );
    }
    expect(booked.map((r) => r.ok)).toEqual([true, true, true, false]);
    expect(booked[3]).toEqual({ ok: false, text: OVER_LIMIT_TEXT.booking });
    expect(h.calendar.events()).toHaveLength(3);

    const mailed = [];
    for (const [i, number] of numbers.entries()) {
      mailed.push(
        await h.run('send_follow_up_email', { email: `r${i}@example.com`, topic: 'x' }, sid(30 + i), number),
      );
    }
    expect(mailed.map((r) => r.ok)).toEqual([true, true, true, false]);
  });
});

describe('callbacks', () => {
  it('one per call, two per caller per local day', async () => {
    const outbound = outboundHarness({ now: NOW });
    const h = await task({ callbacks: outbound.deps });
    const callback = (at: string, call: number) => h.run('schedule_callback', { at }, sid(call));
    // A refused time does not use up the call's one callback.
    expect((await callback('2026-11-26T21:00', 1)).ok).toBe(false);
    expect((await callback('2026-11-26T10:00', 1)).ok).toBe(true);
    expect(await callback('2026-11-26T11:00', 1)).toEqual({ ok: false, text: OVER_LIMIT_TEXT.callback });
    expect((await callback('2026-11-26T12:00', 2)).ok).toBe(true);
    expect(await callback('2026-11-26T13:00', 3)).toEqual({ ok: false, text: OVER_LIMIT_TEXT.callback });
    expect(outbound.scheduler.schedules.size).toBe(2);
  });

  it('count on the day they ring: asking on three days for the same day gets two', async () => {
    const outbound = outboundHarness({ now: NOW });
    const clock = { now: NOW };
    const h = await task({ callbacks: outbound.deps, now: () => clock.now });
    const results = [];
    for (const [day, at] of ['2026-12-01T10:00', '2026-12-01T11:00', '2026-12-01T12:00'].entries()) {
      clock.now = NOW + day * 24 * 3600_000;
      results.push(await h.run('schedule_callback', { at }, sid(40 + day)));
    }
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
    expect(results[2]).toEqual({ ok: false, text: OVER_LIMIT_TEXT.callback });
    expect(outbound.scheduler.schedules.size).toBe(2);
  });

  it('and a daily total for the business, whatever number asks', async () => {
    const outbound = outboundHarness({ now: NOW });
    const limits: ToolLimits = { ...TOOL_LIMITS, callback: { ...TOOL_LIMITS.callback, perDay: 2 } };
    const h = await task({ callbacks: outbound.deps, limits });
    const results = [];
    for (const n of [1, 2, 3]) {
      results.push(
        await h.run('schedule_callback', { at: `2026-12-01T1${n}:00` }, sid(50 + n), `+1202555017${n}`),
      );
    }
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
  });
});

describe("a phone argument that is not the caller's own", () => {
  it("never renames or re-addresses that number's customer", async () => {
    const h = await task();
    const victim = '+12025550177';
    await h.crm.upsertCustomer({ phone: victim, name: 'Victor', email: 'victor@example.com' });

    expect(
      (await h.run('save_lead', { name: 'Mallory', email: 'mallory@example.com', phone: victim })).ok,
    ).toBe(true);
    expect(
      (
        await h.run('book_appointment', {
          start: '2026-11-26T10:00',
          name: 'Mallory',
          email: 'mallory@example.com',
          phone: victim,
        })
      ).ok,
    ).toBe(true);
    const stored = await h.crm.upsertCustomer({ phone: victim });
    expect(stored).toMatchObject({ name: 'Victor', email: 'victor@example.com' });

    // The caller's own number is theirs to update.
    await h.run('save_lead', { name: 'Carol', email: 'carol@example.com' });
    expect(await h.crm.upsertCustomer({ phone: CALLER })).toMatchObject({ name: 'Carol' });
  });
});

describe('a caller whose number is not attested (anyone can claim it)', () => {
  it("saves the lead and books, linked to the call, but never renames or re-addresses the number's customer", async () => {
    const h = await task({}, false);
    await h.crm.upsertCustomer({
      phone: CALLER,
      name: 'Carol',
      email: 'carol@example.com',
      business: 'Carol Co',
    });

    const lead = await h.run('save_lead', {
      name: 'Mallory',
      email: 'mallory@example.com',
      business: 'Evil Inc',
    });
    expect(lead.ok).toBe(true);
    const booked = await h.run('book_appointment', {
      start: '2026-11-26T10:00',
      name: 'Mallory',
      email: 'mallory@example.com',
    });
    expect(booked.ok).toBe(true);

    expect(await h.crm.upsertCustomer({ phone: CALLER })).toMatchObject({
      name: 'Carol',
      email: 'carol@example.com',
      business: 'Carol Co',
    });
    const customerId = (await h.crm.upsertCustomer({ phone: CALLER })).id;
    // What they said stays on the lead and the appointment, for the owner to judge.
    expect(await h.crm.leadsBetween(0, NOW + 1)).toEqual([
      expect.objectContaining({ name: 'Mallory', email: 'mallory@example.com', customerId, phone: CALLER }),
    ]);
    expect(await h.crm.appointmentsBetween(0, NOW + 1)).toEqual([
      expect.objectContaining({ name: 'Mallory', email: 'mallory@example.com', customerId }),
    ]);
  });

  it('a verification that cannot be read counts as unverified', async () => {
    const h = await task({
      callers: {
        callerVerified: async () => {
          throw new Error('ProvisionedThroughputExceededException');
        },
      },
    });
    await h.crm.upsertCustomer({ phone: CALLER, name: 'Carol' });
    expect((await h.run('save_lead', { name: 'Mallory' })).ok).toBe(true);
    expect(await h.crm.upsertCustomer({ phone: CALLER })).toMatchObject({ name: 'Carol' });
  });
});
