import { MemoryDigestMarkers } from '../../services/adapters/memory/digest-markers.js';
import {
  type DigestDeps,
  digestEmailKey,
  previousLocalDay,
  runDailyDigest,
} from '../../services/core/after-call/daily-digest.js';
import { type FinaliseDeps, finaliseCall } from '../../services/core/after-call/finalise-call.js';
import type { CallRow } from '../../services/core/ports/crm.js';
import {
  APPOINTMENT,
  CALLER,
  harness,
  LEAD,
  OWNER,
  session,
  TURNS,
  TZ,
} from '../support/after-call-scenario.js';

/** Wed 25 Nov 2026, 07:00 in New York: the digest reports Tuesday 24 November. */
const RUN_AT = Date.UTC(2026, 10, 25, 12, 0, 0);
/** A local time on Tue 24 Nov 2026 in New York (UTC-5). */
const at = (hh: number, mm: number) => Date.UTC(2026, 10, 24, hh + 5, mm, 0);

function call(overrides: Partial<CallRow> & Pick<CallRow, 'callSid' | 'startedAt'>): CallRow {
  return {
    direction: 'inbound',
    from: '+12125550111',
    to: '+12125550100',
    servedBy: 'elevenlabs',
    failedOver: false,
    outcome: 'completed',
    durationSeconds: 60,
    turns: [{ seq: 1, role: 'caller', text: 'Hello', at: overrides.startedAt }],
    ...overrides,
  };
}

function digestHarness() {
  const h = harness();
  h.clock.now = RUN_AT;
  const markers = new MemoryDigestMarkers();
  const deps: DigestDeps & FinaliseDeps = { ...h.deps, crm: h.crm, markers };
  return { ...h, markers, deps };
}

/** A full Tuesday: booked, missed, short with failover, outbound, a missed caller reached later. */
function busyDay(h: ReturnType<typeof digestHarness>) {
  const rows: CallRow[] = [
    call({
      callSid: 'CA01',
      startedAt: at(9, 12),
      from: CALLER,
      durationSeconds: 125,
      summary: 'Booked a cleaning for Thu 26 Nov 10:00.',
      appointmentId: 'appt-1',
      leadId: 'lead-1',
    }),
    call({
      callSid: 'CA02',
      startedAt: at(10, 30),
      from: '+12125550177',
      outcome: 'no-answer',
      durationSeconds: undefined,
      turns: [],
    }),
    call({
      callSid: 'CA03',
      startedAt: at(11, 5),
      from: '+12125550188',
      durationSeconds: 9,
      servedBy: 'openai',
      failedOver: true,
      summary: 'Asked for opening hours.',
    }),
    call({ callSid: 'CA04', startedAt: at(12, 0), from: '+12125550166', outcome: 'completed', turns: [] }),
    call({
      callSid: 'CA05',
      startedAt: at(12, 30),
      from: '+12125550166',
      summary: 'Called back about a quote.',
    }),
    call({
      callSid: 'CA06',
      startedAt: at(14, 20),
      direction: 'outbound',
      from: '+12125550100',
      to: '+14165550199',
      summary: 'Confirmed Friday appointment.',
    }),
    // Outside the day, on both sides.
    call({ callSid: 'CA07', startedAt: at(-1, 50) }),
    call({ callSid: 'CA08', startedAt: at(24, 10) }),
  ];
  // Each row reached the CRM when its call started.
  for (const row of rows) h.crm.seedCall(row, row.startedAt);
  h.crm.seedAppointment({ ...APPOINTMENT, createdAt: at(9, 13) });
  h.crm.seedLead(
    { ...LEAD, createdAt: at(9, 14) },
    {
      id: 'lead-2',
      customerId: 'cust-2',
      name: 'Grace Hopper',
      business: 'Hopper Labs',
      email: 'grace@example.com',
      phone: '+12125550144',
      interest: 'Implants',
      createdAt: at(15, 0),
    },
  );
}

describe('runDailyDigest', () => {
  test('reports the previous local day', () => {
    expect(previousLocalDay(RUN_AT, TZ)).toBe('2026-11-24');
    // 00:30 local on the 25th is still 05:30 UTC: yesterday is the 24th in New York.
    expect(previousLocalDay(Date.UTC(2026, 10, 25, 5, 30), TZ)).toBe('2026-11-24');
  });

  test('a day with calls: counts, follow-ups, bookings, leads and the call list, in text and HTML', async () => {
    const h = digestHarness();
    busyDay(h);

    const outcome = await runDailyDigest(h.deps);

    expect(outcome).toMatchObject({
      kind: 'sent',
      day: '2026-11-24',
      counts: {
        calls: 6,
        inbound: 5,
        outbound: 1,
        answered: 4,
        missed: 2,
        failedOver: 1,
        leads: 2,
        appointments: 1,
        followUps: 2,
      },
    });
    expect(h.mailer.sent).toHaveLength(1);
    const email = h.mailer.sent[0]!;
    expect(email.to).toBe(OWNER);
    expect(email.idempotencyKey).toBe(digestEmailKey('2026-11-24'));
    expect(email.idempotencyKey).toMatch(/^digest-[0-9a-f]{64}$/);
    expect(email.subject).toBe(
      'Bolt Dental daily digest, Tuesday 24 November 2026: 6 calls, 2 missed, 1 booked, 2 new leads',
    );
    expect(email.text).toBe(EXPECTED_TEXT);
    expect(email.html).toContain('<h3>Follow-ups due</h3>');
    expect(email.html).toContain('<li>Grace Hopper +12125550144: lead without an appointment</li>');
  });

  test('a second run for the same day sends nothing', async () => {
    const h = digestHarness();
    busyDay(h);
    await runDailyDigest(h.deps);

    const again = await runDailyDigest(h.deps);

    expect(again).toMatchObject({ kind: 'already-sent', day: '2026-11-24' });
    expect(h.mailer.sendCalls).toBe(1);
  });

  test('an empty day says so in one line', async () => {
    const h = digestHarness();

    await runDailyDigest(h.deps);

    const email = h.mailer.sent[0]!;
    expect(email.text).toBe('No calls, leads or appointments on Tuesday 24 November 2026.');
    expect(email.subject).toBe('Bolt Dental daily digest, Tuesday 24 November 2026: a quiet day');
  });

  test('a failed send gives the day back, so the retried schedule sends it once', async () => {
    const h = digestHarness();
    busyDay(h);
    h.mailer.down = true;

    await expect(runDailyDigest(h.deps)).rejects.toThrow('mail service unavailable');
    expect(h.markers.markers.get('2026-11-24')?.status).toBe('failed');

    h.mailer.down = false;
    expect((await runDailyDigest(h.deps)).kind).toBe('sent');
    expect((await runDailyDigest(h.deps)).kind).toBe('already-sent');
    expect(h.mailer.sent.filter((m) => m.idempotencyKey === digestEmailKey('2026-11-24'))).toHaveLength(1);
  });

  test('a call of an earlier day finalised after its digest is listed as late in the next one', async () => {
    const h = digestHarness();
    // Monday's digest went out Tuesday 08:00; the sweeper finalised a Monday call at 09:30 Tuesday.
    h.markers.markers.set('2026-11-23', { status: 'sent', claimedAt: at(8, 0), sentAt: at(8, 0) });
    const late = call({
      callSid: 'CA-late',
      startedAt: at(-2, 0),
      from: '+12125550199',
      durationSeconds: 80,
    });
    h.crm.seedCall(late, at(9, 30));
    // Finalised before Monday's digest: already reported there, not late.
    h.crm.seedCall(call({ callSid: 'CA-ontime', startedAt: at(-3, 0) }), at(7, 0));

    const outcome = await runDailyDigest(h.deps);

    expect(outcome).toMatchObject({ kind: 'sent', counts: { calls: 0, late: 1 } });
    const email = h.mailer.sent[0]!;
    expect(email.subject).toBe('Bolt Dental daily digest, Tuesday 24 November 2026: a quiet day, 1 late');
    expect(email.text).toContain('Late: earlier calls that reached the CRM since the last digest:');
    expect(email.text).toContain('LATE Mon 23 Nov 22:00  in   +12125550199  1 min 20 s');
    expect(email.text).not.toContain('CA-ontime');
    expect(email.html).toContain('<h3>Late: earlier calls that reached the CRM since the last digest</h3>');
  });

  test('callback-due calls (engine outage, unanswered transfer) are follow-ups', async () => {
    const h = digestHarness();
    await h.crm.saveCall(
      call({
        callSid: 'CA-eo',
        startedAt: at(9, 0),
        from: '+12125550101',
        outcome: 'engine-outage',
        turns: [],
      }),
    );
    await h.crm.saveCall(
      call({ callSid: 'CA-tu', startedAt: at(11, 0), from: '+12125550102', outcome: 'transfer-unanswered' }),
    );

    await runDailyDigest(h.deps);

    const text = h.mailer.sent[0]?.text ?? '';
    expect(text).toContain('+12125550101: CALLBACK DUE: the agent could not answer at 09:00');
    expect(text).toContain('+12125550102: CALLBACK DUE: transfer unanswered at 11:00');
    expect(text).toContain('AGENT COULD NOT ANSWER (callback due)');
    expect(text).toContain('TRANSFER UNANSWERED (callback due)');
  });

  test('a retry after a failed send sends the frozen message, even if the day changed meanwhile', async () => {
    const h = digestHarness();
    busyDay(h);
    h.mailer.down = true;
    await expect(runDailyDigest(h.deps)).rejects.toThrow('mail service unavailable');
    await h.crm.saveCall(call({ callSid: 'CA-new', startedAt: at(18, 0) }));
    h.mailer.down = false;

    const outcome = await runDailyDigest(h.deps);

    expect(outcome).toMatchObject({ kind: 'sent', counts: { calls: 6 } });
    expect(h.mailer.sent[0]?.text).toBe(EXPECTED_TEXT);
  });

  test('a finalisation still pending is noted in the digest (the sweeper retries it)', async () => {
    const h = digestHarness();
    h.sessions.put({ session: session(), turns: TURNS });
    // Writes fail (reads still work): the call cannot reach the CRM, the digest can still be built.
    h.crm.saveCall = async () => {
      throw new Error('CRM unavailable (503)');
    };
    await finaliseCall(h.deps, { callSid: session().callSid, status: 'completed', at: RUN_AT - 1000 });

    const outcome = await runDailyDigest(h.deps);

    expect(outcome).toMatchObject({ kind: 'sent', pending: 1 });
    expect(h.mailer.sent).toHaveLength(1);
    expect(h.mailer.sent[0]?.text).toBe(
      'No calls, leads or appointments on Tuesday 24 November 2026.\n\n' +
        'Note: 1 call(s) could not be written to the CRM yet; they are retried and will appear in a later digest.',
    );
  });

  test('integration webhook events kept as failed since the last digest are reported, once', async () => {
    const h = digestHarness();
    const asked: Array<[number, number]> = [];
    const deps: DigestDeps = {
      ...h.deps,
      webhookFailures: {
        failedBetween: async (from, to) => {
          asked.push([from, to]);
          return [{ callSid: 'CA0123', eventId: 'evt_abc', failedAt: RUN_AT - 3600_000 }];
        },
      },
    };

    await runDailyDigest(deps);

    expect(h.mailer.sent[0]?.text).toContain(
      'Integration webhook: 1 call event(s) could not be delivered after 24 h of retries (the receiver never answered 2xx): evt_abc (call CA0123).',
    );
    // From the start of the reported day (no earlier digest went out) to the run.
    expect(asked).toEqual([[at(0, 0), RUN_AT]]);
  });
});

const EXPECTED_TEXT = `Bolt Dental: Tuesday 24 November 2026 (America/New_York)

At a glance:
  Calls: 6 (5 inbound, 1 outbound)
  Answered: 4
  Missed: 2
  Engine failovers: 1
  New leads: 2
  Appointments booked: 1
  Follow-ups due: 2

Follow-ups due:
  Grace Hopper +12125550144: lead without an appointment
  +12125550177: missed call at 10:30, not reached since

Appointments booked:
  Thu 26 Nov 2026, 10:00  Ada Lovelace +12125550123: Cleaning

New leads:
  Ada Lovelace (ada@example.com, +12125550123): Whitening
  Grace Hopper (Hopper Labs, grace@example.com, +12125550144): Implants

Calls:
  09:12  in   +12125550123  2 min 5 s
      Booked a cleaning for Thu 26 Nov 10:00.
  10:30  in   +12125550177  MISSED (no-answer)
  11:05  in   +12125550188  9 s VERY SHORT [failover: openai]
      Asked for opening hours.
  12:00  in   +12125550166  MISSED (nobody spoke)
  12:30  in   +12125550166  1 min
      Called back about a quote.
  14:20  out  +14165550199  1 min
      Confirmed Friday appointment.`;
