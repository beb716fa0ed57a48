/**
 * The fault-injection suite (`npm run test:reliability`): the whole local stack (webhooks,
 * bridge, after-call, sweeper) with simulated engines and Twilio, one test per fault, the outcome
 * asserted. Faults are injected at the boundaries: DynamoDB through an HTTP proxy in front of
 * dynalite, Resend through a stand-in that can be down, Twilio's REST API through its simulator,
 * the CRM and the calendar through adapters that can be switched off.
 * docs/RELIABILITY.md lists each fault, the promise, this test, and the last run's figures (printed
 * at the end of the run).
 */
import { EventEmitter } from 'node:events';
import { DateTime } from 'luxon';
import { MemoryCalendar } from '../../services/adapters/memory/calendar';
import type { Bridge } from '../../services/bridge/server';
import { installProcessHandlers } from '../../services/bridge/shutdown';
import { ownerCallEmailKey } from '../../services/core/email/owner-email';
import type { CallRow } from '../../services/core/ports/crm';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../../services/local/embedded-dynamodb';
import { loadClip } from '../../services/local/sim/audio';
import { type EngineDriver, nextDriver, readyCall } from '../e2e/engine-driver';
import {
  BUSINESS_NUMBER,
  type Harness,
  OWNER_EMAIL,
  startHarness,
  statusCallback,
  turnsStored,
} from '../e2e/harness';
import { failWhileDown } from '../support/fail-while-down';
import { FlakyCrm } from '../support/flaky-crm';
import { eventually } from '../support/wait-until';
import { type DynamoFaultProxy, startDynamoFaultProxy } from './dynamo-fault-proxy';
import { type ResendStandIn, startResendStandIn } from './resend-stand-in';

const TZ = 'America/New_York';
const CALLER = '+15551234567';
const GRACE_SECONDS = 120;

/** A calendar that can be down, like Google answering 503. */
class FlakyCalendar extends MemoryCalendar {
  down = false;
  constructor() {
    super();
    failWhileDown(
      this,
      ['busy', 'findEvent', 'createEvent'],
      () => this.down,
      () => new Error('Google Calendar unavailable (503)'),
    );
  }
}

const figures: Array<{ fault: string; outcome: string; figure: string }> = [];
/**
 * Down like Supabase answering 503: every write and every lookup the product makes fails
 * (`callsBetween` stays readable: the tests read the rows through it).
 */
const crm = new FlakyCrm({ timezone: TZ }, [
  'findCustomerByPhone',
  'saveLead',
  'leadsBetween',
  'appointmentsBetween',
  'saveCall',
  'upsertCustomer',
  'recordAppointment',
]);
const calendar = new FlakyCalendar();
let dynamo: EmbeddedDynamo;
let proxy: DynamoFaultProxy;
let resend: ResendStandIn;
let harness: Harness;
/** The after-call clock runs this far ahead of real time (the sweeper's grace and backoff pass). */
let ahead = 0;
let calls = 0;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  proxy = await startDynamoFaultProxy(dynamo.endpoint);
  resend = await startResendStandIn({ now: () => Date.now() + ahead });
  harness = await startHarness({
    provider: 'elevenlabs',
    tools: 'real',
    adapters: { crm, calendar },
    now: () => Date.now() + ahead,
    env: {
      DYNAMODB_ENDPOINT: proxy.url,
      RESEND_API_KEY: 're_test_reliability',
      RESEND_API_URL: resend.url,
      BUSINESS_TIMEZONE: TZ,
      FINALISATION_GRACE_SECONDS: String(GRACE_SECONDS),
      // A loaded CI machine can be slow to open the first engine session: no failover here.
      ENGINE_CONNECT_TIMEOUT_MS: '8000',
    },
  });
}, 30_000);

afterAll(async () => {
  await harness?.close();
  await resend?.close();
  await proxy?.close();
  await dynamo?.close();
  const rows = figures.map((f) => `| ${f.fault} | ${f.outcome} | ${f.figure} |`).join('\n');
  console.log(`Reliability figures (last run):\n| fault | outcome | figure |\n|---|---|---|\n${rows}`);
});

/** A live call with its engine session ready; the callSid ends in `tag` repeated. */
async function liveCall(tag: string) {
  const callSid = `CA${(++calls).toString(16).padStart(4, '0')}${tag.repeat(14)}`;
  const { stream, driver } = await readyCall(harness, 'elevenlabs', { from: CALLER, callSid });
  return { callSid, stream, driver };
}

/**
 * A call that streamed, said two turns, and hung up; Twilio's record of it is in the simulator.
 * `during` runs on the live call first (a tool call, say).
 */
async function finishedCall(
  options: { tag?: string; during?: (driver: EngineDriver) => Promise<void> } = {},
): Promise<{ callSid: string; driver: EngineDriver }> {
  const { callSid, stream, driver } = await liveCall(options.tag ?? 'ab');
  await options.during?.(driver);
  driver.transcripts('Hi, my boiler is leaking.', 'Sorry to hear that, we can help.');
  await turnsStored(harness, callSid, 2, 8000);
  await stream.hangUp();
  await eventually(
    () => harness.stack.sessions.get(callSid),
    (r) => r?.session.status === 'ended',
    8000,
  );
  twilioKnows(callSid);
  return { callSid, driver };
}

function twilioKnows(callSid: string, status = 'completed', duration = 42): void {
  harness.twilioRest.setCall({
    sid: callSid,
    status,
    from: CALLER,
    to: BUSINESS_NUMBER,
    direction: 'inbound',
    duration,
  });
}

function completed(callSid: string) {
  return statusCallback(harness, { callSid, from: CALLER, callStatus: 'completed' });
}

/** Moves the after-call clock past the grace period and any backoff, and runs one sweep. */
async function sweepLater(minutes = 10) {
  ahead += minutes * 60_000;
  return harness.app.afterCall.sweep();
}

/** Owner emails about the call that Resend really sent (a replay of the key sends nothing). */
const ownerEmailsFor = (callSid: string) =>
  resend.sent.filter((m) => m.key === ownerCallEmailKey(callSid) && m.to === OWNER_EMAIL);

async function crmRow(callSid: string): Promise<CallRow | undefined> {
  const rows = await crm.callsBetween(0, Date.now() + ahead + 86_400_000);
  return rows.find((r) => r.callSid === callSid);
}

describe('fault injection through the local stack', () => {
  test('status callback never sent: the sweeper finalises from Twilio after the grace period', async () => {
    const { callSid } = await finishedCall();
    const ended = (await harness.stack.sessions.get(callSid))?.session.endedAt ?? 0;
    // One second before the grace period ends: the sweeper leaves it alone.
    ahead += GRACE_SECONDS * 1000 - (Date.now() + ahead - ended) - 1000;
    expect((await harness.app.afterCall.sweep()).finalised).not.toContain(callSid);
    ahead += 2000;
    const report = await harness.app.afterCall.sweep();
    expect(report.finalised).toContain(callSid);
    expect(await crmRow(callSid)).toMatchObject({ outcome: 'completed', durationSeconds: 42 });
    expect(ownerEmailsFor(callSid)).toHaveLength(1);
    expect(harness.twilioRest.requests.some((r) => r.method === 'GET' && r.callSid === callSid)).toBe(true);
    figures.push({
      fault: 'status callback never sent',
      outcome: 'finalised by the sweeper from Twilio REST; 1 row, 1 email',
      figure: `finalised by the first sweep after the ${GRACE_SECONDS} s grace (${Math.round((Date.now() + ahead - ended) / 1000)} s after the call ended); worst case grace + sweep = ${GRACE_SECONDS + 300} s`,
    });
  });

  test('status callback failing on its first write: answered 500, then the sweeper finalises', async () => {
    const { callSid } = await finishedCall();
    const stop = proxy.inject({
      kind: 'internal-error',
      operation: 'PutItem',
      bodyContains: 'FINALISATION#PENDING',
    });
    const answer = await completed(callSid);
    stop();
    expect(answer.status).toBe(500);
    expect(await crmRow(callSid)).toBeUndefined();
    expect((await sweepLater()).finalised).toContain(callSid);
    expect(await crmRow(callSid)).toMatchObject({ outcome: 'completed' });
    expect(ownerEmailsFor(callSid)).toHaveLength(1);
    figures.push({
      fault: 'status callback failing on its first write',
      outcome: 'callback 500 (Twilio does not retry); sweeper finalises; 1 row, 1 email',
      figure: `${proxy.failed} DynamoDB requests refused so far`,
    });
  });

  test('DynamoDB throttled for a few seconds during a call: audio keeps flowing, turns land later', async () => {
    const { callSid, stream, driver } = await liveCall('cd');
    const before = proxy.failed;
    const stop = proxy.inject({ kind: 'throttled', operation: 'PutItem', bodyContains: 'TURN#' });
    const outageStart = Date.now();
    driver.transcripts('Can someone come today?', 'Yes, this afternoon.');
    const greeting = loadClip('agent-greeting');
    await driver.speak(greeting, 'One moment.');
    await stream.waitForAudio(greeting.length, 5000);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    stop();
    const outageMs = Date.now() - outageStart;
    const record = await turnsStored(harness, callSid, 3, 15_000);
    const landedMs = Date.now() - outageStart;
    expect(record?.turns.map((t) => t.text)).toEqual(
      expect.arrayContaining(['Can someone come today?', 'Yes, this afternoon.', 'One moment.']),
    );
    expect(proxy.failed).toBeGreaterThan(before);
    await stream.hangUp();
    figures.push({
      fault: 'DynamoDB throttled ~3 s during a call',
      outcome: 'agent audio kept flowing; every turn written after the outage',
      figure: `${proxy.failed - before} writes throttled; outage ${outageMs} ms; all turns stored ${landedMs} ms after it began`,
    });
  });

  test('DynamoDB throttled across the hang-up: finalisation writes what is stored, the turns that land later reach the CRM row', async () => {
    const { callSid, stream, driver } = await liveCall('de');
    driver.transcripts('Hi, is this Bolt?', 'Yes, how can I help?');
    await turnsStored(harness, callSid, 2, 8000);
    const stop = proxy.inject({ kind: 'throttled', operation: 'PutItem', bodyContains: 'TURN#' });
    driver.transcripts('Can you come on Monday?', 'Yes, Monday at 9. Goodbye!');
    await stream.hangUp();
    twilioKnows(callSid, 'completed', 50);
    // Twilio's final status while the bridge's last writes wait out the throttling.
    expect((await completed(callSid)).status).toBe(200);
    expect((await crmRow(callSid))?.turns).toHaveLength(2);
    stop();
    const landedAt = Date.now();
    // A late turn is its item, then its mark on the session (a second write): wait for both.
    const record = await eventually(
      () => harness.stack.sessions.get(callSid),
      (r) => (r?.turns.length ?? 0) >= 4 && (r?.session.lateTurnMarks ?? 0) >= 2,
      30_000,
    );
    const landedMs = Date.now() - landedAt;
    expect(record?.session.lateTurnMarks).toBeGreaterThanOrEqual(2);
    expect((await sweepLater()).finalised).not.toContain(callSid);
    expect((await crmRow(callSid))?.turns.map((t) => t.text)).toEqual([
      'Hi, is this Bolt?',
      'Yes, how can I help?',
      'Can you come on Monday?',
      'Yes, Monday at 9. Goodbye!',
    ]);
    expect(await harness.stack.stores.sessions.listUnfinalised(Date.now() + ahead, 50)).not.toContainEqual(
      expect.objectContaining({ callSid }),
    );
    expect(ownerEmailsFor(callSid)).toHaveLength(1);
    figures.push({
      fault: 'DynamoDB throttled across the hang-up',
      outcome:
        'finalised with the 2 turns stored; the 2 late turns reached the CRM row at the next sweep; 1 email',
      figure: `late turns stored ${landedMs} ms after the throttling ended; 0 turns lost`,
    });
  });

  test('Supabase down at finalisation: pending, then finalised exactly once', async () => {
    const { callSid } = await finishedCall();
    crm.down = true;
    expect((await completed(callSid)).status).toBe(200);
    const pending = await harness.stack.stores.finalisations.get(callSid);
    expect(pending).toMatchObject({ step: 'pending', lastError: 'Supabase unavailable (503)' });
    // Still down at the first sweep: stays pending, with backoff.
    expect((await sweepLater()).pending).toContain(callSid);
    crm.down = false;
    expect((await sweepLater()).finalised).toContain(callSid);
    expect((await completed(callSid)).status).toBe(200); // Twilio repeats: nothing new
    expect((await sweepLater()).finalised).not.toContain(callSid);
    expect(ownerEmailsFor(callSid)).toHaveLength(1);
    const state = await harness.stack.stores.finalisations.get(callSid);
    expect(state?.step).toBe('done');
    figures.push({
      fault: 'Supabase down at finalisation',
      outcome: 'pending, retried with backoff, finalised once; 1 row, 1 email',
      figure: `${state?.attempts} finalisation attempts`,
    });
  });

  test('Supabase down during a call: answered without caller context, the lead kept, and both reach the CRM once it is back', async () => {
    crm.down = true;
    const { callSid } = await finishedCall({
      tag: '9a',
      during: async (driver) => {
        const saved = await driver.toolCall('save_lead', {
          name: 'Robin Ode',
          interest: 'a new water heater',
        });
        expect(saved).toMatchObject({ isError: false, text: expect.stringContaining('noted Robin Ode') });
      },
    });
    expect((await completed(callSid)).status).toBe(200);
    expect(await harness.stack.stores.finalisations.get(callSid)).toMatchObject({ step: 'pending' });
    crm.down = false;
    expect((await sweepLater()).finalised).toContain(callSid);
    const leads = await crm.leadsBetween(0, Date.now() + ahead + 86_400_000);
    const lead = leads.find((l) => l.callSid === callSid);
    expect(lead).toMatchObject({ name: 'Robin Ode', interest: 'a new water heater' });
    expect((await crmRow(callSid))?.leadId).toBe(lead?.id);
    expect(ownerEmailsFor(callSid)).toHaveLength(1);
    figures.push({
      fault: 'Supabase down during a call',
      outcome:
        'answered (the lookup failed, bounded); save_lead kept the lead; finalised after; 1 lead, 1 row, 1 email',
      figure: '0 leads lost',
    });
  });

  test('Resend down: retried, and the owner email is sent once', async () => {
    const { callSid } = await finishedCall();
    resend.down = true;
    expect((await completed(callSid)).status).toBe(200);
    expect(await harness.stack.stores.finalisations.get(callSid)).toMatchObject({ step: 'crm-saved' });
    const refused = resend.refused;
    expect(refused).toBeGreaterThanOrEqual(3);
    resend.down = false;
    expect((await sweepLater()).finalised).toContain(callSid);
    expect((await sweepLater()).finalised).not.toContain(callSid);
    expect(ownerEmailsFor(callSid)).toHaveLength(1);
    figures.push({
      fault: 'Resend down',
      outcome: 'crm-saved, email retried by the sweeper, sent once',
      figure: `${refused} send attempts refused with 503 before it went through`,
    });
  });

  test('Google down while booking: the caller is told, nothing half-made; CRM down after the event: row written at finalisation', async () => {
    const { callSid, stream, driver } = await liveCall('ef');
    const start = nextWeekdayAt10();
    calendar.down = true;
    const refused = await driver.toolCall('book_appointment', { start, name: 'Sam Rivera' });
    expect(refused.isError).toBe(true);
    expect(refused.text).toContain('I could not complete the booking just now');
    expect(calendar.events()).toEqual([]);

    calendar.down = false;
    crm.down = true;
    const booked = await driver.toolCall('book_appointment', { start, name: 'Sam Rivera' });
    expect(booked.isError).toBe(false);
    expect(booked.text).toContain('Booked for');
    expect(calendar.events()).toHaveLength(1);
    crm.down = false;
    expect(await crm.appointmentsBetween(0, Date.now() + ahead + 86_400_000)).toEqual([]);

    await stream.hangUp();
    await eventually(
      () => harness.stack.sessions.get(callSid),
      (r) => r?.session.status === 'ended',
      8000,
    );
    expect((await completed(callSid)).status).toBe(200);
    const appointments = await crm.appointmentsBetween(0, Date.now() + ahead + 86_400_000);
    expect(appointments).toEqual([
      expect.objectContaining({
        callSid,
        calendarEventId: calendar.events()[0]?.eventId,
        name: 'Sam Rivera',
      }),
    ]);
    expect((await crmRow(callSid))?.appointmentId).toBe(appointments[0]?.id);
    figures.push({
      fault: 'Google down while booking',
      outcome: 'caller told; no event, no row. CRM down after the event: row written by finalisation',
      figure: '0 orphan events, 0 missing rows',
    });
  });

  test('the Twilio REST API failing on transfer and hang-up: the caller is told, the call still ends', async () => {
    const { callSid, stream, driver } = await liveCall('12');
    harness.twilioRest.failNext(2, 500);
    const transfer = await driver.toolCall('transfer_to_human', { reason: 'wants the owner' });
    expect(transfer.isError).toBe(true);
    expect(transfer.text).toContain('I could not connect you just now');
    // The call goes on with the agent.
    const clip = loadClip('agent-greeting');
    await driver.speak(clip, 'I can take a message.');
    await stream.waitForAudio(clip.length, 5000);

    const bye = await driver.toolCall('end_call', { reason: 'done' });
    expect(bye.isError).toBe(false);
    await stream.closed;
    const record = await eventually(
      () => harness.stack.sessions.get(callSid),
      (r) => r?.session.status === 'ended',
      10_000,
    );
    expect(record?.session.endReason).toBe('agent-ended-call');
    const failedRequests = harness.twilioRest.requests.filter(
      (r) => r.callSid === callSid && r.method === 'POST',
    );
    // The transfer, then the hang-up (the end_call tool's, and the bridge's own after the goodbye).
    expect(failedRequests.length).toBeGreaterThanOrEqual(2);
    twilioKnows(callSid);
    expect((await sweepLater()).finalised).toContain(callSid);
    figures.push({
      fault: 'Twilio REST failing on transfer and hang-up',
      outcome: 'caller told the transfer failed; the bridge closed the stream itself; call finalised',
      figure: `${failedRequests.length} REST requests failed (500)`,
    });
  });

  test('the engine drops mid-call: the other engine takes over and the call still reaches the CRM', async () => {
    const { callSid, stream, driver } = await liveCall('34');
    driver.transcripts('Hello?', 'Hi, how can I help?');
    await turnsStored(harness, callSid, 2, 8000);
    const droppedAt = Date.now();
    driver.closeFromEngine(1011);
    // Mid-call failover: the caller stays on the line and OpenAI takes the conversation over.
    const next = await nextDriver(harness, 'openai');
    await next.ready();
    const takeoverMs = Date.now() - droppedAt;
    await stream.hangUp();
    const record = await eventually(
      () => harness.stack.sessions.get(callSid),
      (r) => r?.session.status === 'ended',
      8000,
    );
    expect(record?.session.servedBy).toBe('openai');
    expect(record?.session.failoverReason).toMatch(/^elevenlabs: engine-closed \(1011/);
    expect(record?.session.endReason).not.toMatch(/engine-outage/);
    expect((await completed(callSid)).status).toBe(200);
    expect((await crmRow(callSid))?.turns.length).toBeGreaterThanOrEqual(2);
    figures.push({
      fault: 'engine drops mid-call',
      outcome: `OpenAI took the call over (servedBy ${record?.session.servedBy}); row with the turns so far`,
      figure: `drop → other engine ready in ${takeoverMs} ms`,
    });
  });

  test('SIGTERM with live calls: through the production handler each call is wrapped up and hung up, its writes flushed, and the process exits on its own', async () => {
    // Two live calls: the agent of the first ends it when told to wrap up; the second's agent
    // ignores it, so the bridge hangs that call up after the notice.
    const first = await liveCall('56');
    const second = await liveCall('78');
    first.driver.transcripts('Are you open Saturday?', 'Yes, 10 to 2.');
    await turnsStored(harness, first.callSid, 2, 8000);
    const conversations = harness.elevenlabs.conversations.slice(-2);
    const exits: number[] = [];
    const signals = new EventEmitter();
    installProcessHandlers(signals, {
      bridge: harness.stack.bridge as Bridge,
      stopServing: async () => {},
      exit: (code) => exits.push(code),
      timeline: { wrapUpMs: 1500, closeAfterMs: 20_000, exitAfterMs: 40_000 },
    });
    const stoppedAt = Date.now();
    signals.emit('SIGTERM'); // what ECS sends; main.ts registers the same handlers on the process
    for (const conversation of conversations) {
      await eventually(
        () => conversation?.receivedOfType('contextual_update') ?? [],
        (updates) => updates.some((u) => String(u.text).includes('has to end within the next minute')),
        5000,
      );
    }
    const bye = await first.driver.toolCall('end_call', { reason: 'the line is closing' });
    expect(bye.isError).toBe(false);
    await Promise.all([first.stream.closed, second.stream.closed]);
    await eventually(
      async () => exits,
      (e) => e.length > 0,
      30_000,
    );
    const stopMs = Date.now() - stoppedAt;
    expect(exits).toEqual([0]);
    const ended = await Promise.all([first, second].map((c) => harness.stack.sessions.get(c.callSid)));
    expect(ended.map((r) => r?.session.status)).toEqual(['ended', 'ended']);
    expect(ended.map((r) => r?.session.endReason)).toEqual(['agent-ended-call', 'bridge-shutdown']);
    expect(ended[0]?.turns).toHaveLength(2);
    // Hung up through the REST API (never just closed: the caller would hear the outage apology).
    for (const { callSid } of [first, second]) {
      expect(
        harness.twilioRest.requests.some(
          (r) => r.callSid === callSid && r.method === 'POST' && r.form.Status === 'completed',
        ),
      ).toBe(true);
    }
    twilioKnows(first.callSid, 'completed', 30);
    twilioKnows(second.callSid, 'completed', 31);
    const report = await sweepLater();
    expect(report.finalised).toEqual(expect.arrayContaining([first.callSid, second.callSid]));
    expect(await crmRow(first.callSid)).toMatchObject({ outcome: 'completed', durationSeconds: 30 });
    figures.push({
      fault: 'SIGTERM with live calls',
      outcome:
        'production handler: agents told to wrap up; one ended the call, the other was hung up; writes flushed; exit 0',
      figure: `2 live calls, 0 lost; SIGTERM → exit in ${stopMs} ms (notice 1.5 s here, 30 s in production)`,
    });
  });
});

/** `YYYY-MM-DDT10:00` on the next weekday at least two days ahead, in the business time zone. */
function nextWeekdayAt10(): string {
  let day = DateTime.now().setZone(TZ).plus({ days: 2 }).startOf('day');
  while (day.weekday > 5) day = day.plus({ days: 1 });
  return day.set({ hour: 10 }).toFormat("yyyy-MM-dd'T'HH:mm");
}
