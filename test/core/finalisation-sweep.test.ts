/**
 * The finalisation sweeper over the real DynamoDB adapters (dynalite, the sparse `unfinalised`
 * index) and the real Twilio SDK against the Twilio REST simulator.
 */
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoCallSessionStore } from '../../services/adapters/dynamodb/call-session-store.js';
import { DynamoFinalisationStore } from '../../services/adapters/dynamodb/finalisation-store.js';
import { DynamoSweepWatermark } from '../../services/adapters/dynamodb/sweep-watermark.js';
import { TwilioCallControl } from '../../services/adapters/twilio/call-control.js';
import {
  nextRetryAt,
  type SweepDeps,
  sweepUnfinalisedCalls,
} from '../../services/core/after-call/finalisation-sweep.js';
import { finaliseCall } from '../../services/core/after-call/finalise-call.js';
import { startTwilioRestSim, type TwilioRestSim } from '../../services/local/sim/twilio-rest.js';
import {
  BUSINESS,
  BUSINESS_NUMBER,
  bookedOwingCrmRow,
  CALLER,
  OWNER,
  T0,
} from '../support/after-call-scenario.js';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.js';
import { TestCrm } from '../support/test-crm.js';
import { TestMailer } from '../support/test-mailer.js';
import { callSid, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from '../support/twilio.js';

const GRACE_MS = 120_000;
let dynamo: TestDynamo;
let twilio: TwilioRestSim;
let table: string;
let sessions: DynamoCallSessionStore;
let finalisations: DynamoFinalisationStore;
let crm: TestCrm;
let mailer: TestMailer;
const clock = { now: T0 };

beforeAll(async () => {
  dynamo = await startTestDynamo();
  twilio = await startTwilioRestSim({ accountSid: TEST_ACCOUNT_SID, authToken: TEST_AUTH_TOKEN });
});
afterAll(async () => {
  await twilio.close();
  await dynamo.close();
});
beforeEach(async () => {
  table = await dynamo.newTable();
  clock.now = T0;
  twilio.calls.clear();
  twilio.requests.length = 0;
  sessions = new DynamoCallSessionStore(dynamo.doc, { tableName: table, now: () => clock.now });
  finalisations = new DynamoFinalisationStore(dynamo.doc, { tableName: table, now: () => clock.now });
  crm = new TestCrm();
  mailer = new TestMailer();
});

function deps(): SweepDeps {
  const now = () => clock.now;
  return {
    finalise: {
      sessions,
      finalisations,
      analyses: finalisations,
      crm,
      mailer,
      ownerEmail: OWNER,
      business: BUSINESS,
      now,
    },
    index: sessions,
    sessions,
    twilio: new TwilioCallControl({
      accountSid: TEST_ACCOUNT_SID,
      authToken: TEST_AUTH_TOKEN,
      apiUrl: twilio.url,
    }),
    businessNumber: BUSINESS_NUMBER,
    graceMs: GRACE_MS,
    now,
  };
}

/** Finalises a call Twilio reports completed at `at`, without waiting for late writes to settle. */
function finaliseCompleted(sid: string, at: number) {
  return finaliseCall({ ...deps().finalise, settleMs: 0 }, { callSid: sid, status: 'completed', at });
}

async function openCall(sid: string, at = T0): Promise<void> {
  await sessions.open({
    callSid: sid,
    direction: 'inbound',
    from: CALLER,
    to: BUSINESS_NUMBER,
    provider: 'elevenlabs',
    streamTokenHash: 'a'.repeat(64),
    createdAt: at,
  });
}

/** Runs `write` (a bridge write landing late) right after the next CRM row write, once. */
function afterNextRowWrite(write: () => Promise<void>): void {
  const saveCall = crm.saveCall.bind(crm);
  crm.saveCall = async (row) => {
    await saveCall(row);
    crm.saveCall = saveCall;
    await write();
  };
}

function twilioCompleted(sid: string, duration = 95): void {
  twilio.setCall({
    sid,
    status: 'completed',
    from: CALLER,
    to: BUSINESS_NUMBER,
    direction: 'inbound',
    duration,
    startTime: T0,
    endTime: T0 + duration * 1000,
  });
}

describe('finalisation sweeper', () => {
  test('a call whose status callback never came is finalised from Twilio after the grace period', async () => {
    const sid = callSid(1);
    await openCall(sid);
    await sessions.claimStream(sid, 'a'.repeat(64), 'MZ1', T0 + 1000);
    await sessions.appendTurn(sid, { seq: 1, role: 'caller', text: 'Do you fix boilers?', at: T0 + 5000 });
    await sessions.markEnded(sid, 'caller-hung-up', T0 + 96_000);
    twilioCompleted(sid);

    clock.now = T0 + 96_000 + GRACE_MS - 1;
    expect((await sweepUnfinalisedCalls(deps())).finalised).toEqual([]);
    const fetchesOf = () => twilio.requests.filter((r) => r.callSid === sid);
    expect(fetchesOf()).toEqual([]);

    clock.now = T0 + 96_000 + GRACE_MS;
    const report = await sweepUnfinalisedCalls(deps());
    expect(report.finalised).toEqual([sid]);
    expect(report.oldestUnfinalisedAgeSeconds).toBe(0);
    expect(fetchesOf()).toEqual([
      expect.objectContaining({
        method: 'GET',
        path: `/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Calls/${sid}.json`,
      }),
    ]);
    // The only other requests: each run's list of calls to the business number (calls never recorded).
    for (const other of twilio.requests.filter((r) => r.callSid !== sid)) {
      expect(other).toMatchObject({
        method: 'GET',
        path: `/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Calls.json`,
      });
      expect(other.form.To).toBe(BUSINESS_NUMBER);
    }
    expect(crm.calls.get(sid)).toMatchObject({ outcome: 'completed', durationSeconds: 95, from: CALLER });
    expect(crm.calls.get(sid)?.turns).toHaveLength(1);
    expect(mailer.sent).toHaveLength(1);
    expect((await sessions.get(sid))?.session.status).toBe('finalised');
    // Off the index: the next run asks Twilio nothing about it.
    twilio.requests.length = 0;
    clock.now += 600_000;
    expect(await sweepUnfinalisedCalls(deps())).toMatchObject({ finalised: [], live: [], pending: [] });
    expect(fetchesOf()).toEqual([]);
  });

  test('a call that never streamed counts its grace from the webhook; Twilio says no-answer', async () => {
    const sid = callSid(2);
    await openCall(sid);
    twilio.setCall({ sid, status: 'no-answer', from: CALLER, to: BUSINESS_NUMBER, direction: 'inbound' });
    clock.now = T0 + GRACE_MS;
    expect((await sweepUnfinalisedCalls(deps())).finalised).toEqual([sid]);
    expect(crm.calls.get(sid)?.outcome).toBe('no-answer');
    expect(mailer.sent[0]?.subject).toMatch(/^Missed call/);
  });

  test('a call Twilio reports in progress waits for the next run, and is not counted as late', async () => {
    const sid = callSid(3);
    await openCall(sid);
    await sessions.claimStream(sid, 'a'.repeat(64), 'MZ3', T0 + 1000);
    twilio.setCall({ sid, status: 'in-progress', from: CALLER, to: BUSINESS_NUMBER, direction: 'inbound' });
    clock.now = T0 + 10 * 60_000;
    const report = await sweepUnfinalisedCalls(deps());
    expect(report).toMatchObject({ finalised: [], live: [sid], oldestUnfinalisedAgeSeconds: 0 });
    expect(crm.calls.size).toBe(0);

    twilioCompleted(sid, 700);
    clock.now += 300_000;
    expect((await sweepUnfinalisedCalls(deps())).finalised).toEqual([sid]);
    expect(crm.calls.get(sid)?.durationSeconds).toBe(700);
  });

  test('racing the status callback still finalises exactly once', async () => {
    const sid = callSid(4);
    await openCall(sid);
    await sessions.markEnded(sid, 'caller-hung-up', T0 + 30_000);
    twilioCompleted(sid, 30);
    clock.now = T0 + 30_000 + GRACE_MS;
    const d = deps();
    const [callback, sweep] = await Promise.all([
      finaliseCall(
        { ...d.finalise, settleMs: 0 },
        { callSid: sid, status: 'completed', durationSeconds: 30, at: clock.now },
      ),
      sweepUnfinalisedCalls(d),
    ]);
    expect(callback.kind).toBe('finalised');
    expect(sweep.finalised.length + sweep.pending.length).toBeLessThanOrEqual(1);
    expect(crm.calls.size).toBe(1);
    expect(mailer.sent).toHaveLength(1);
    expect((await finalisations.get(sid))?.step).toBe('done');
  });

  test('a pending finalisation is retried with backoff, and its age is the metric', async () => {
    const sid = callSid(5);
    await openCall(sid);
    await sessions.markEnded(sid, 'caller-hung-up', T0 + 10_000);
    crm.down = true;
    clock.now = T0 + 11_000;
    const first = await finaliseCompleted(sid, clock.now);
    expect(first.kind).toBe('pending');

    // The first sweep after the grace retries (the CRM is still down): a second failed attempt.
    clock.now = T0 + 10_000 + GRACE_MS;
    expect((await sweepUnfinalisedCalls(deps())).pending).toEqual([sid]);
    const state = await finalisations.get(sid);
    if (!state) throw new Error('no state');
    expect(state.attempts).toBe(2);

    // Back up, but the 2-minute backoff has not passed: no retry yet.
    crm.down = false;
    clock.now = state.updatedAt + 60_000;
    const early = await sweepUnfinalisedCalls(deps());
    expect(early.pending).toEqual([sid]);
    expect(early.oldestUnfinalisedAgeSeconds).toBe((clock.now - (T0 + 10_000)) / 1000);
    expect(crm.calls.size).toBe(0);

    clock.now = nextRetryAt(state);
    const later = await sweepUnfinalisedCalls(deps());
    expect(later.finalised).toEqual([sid]);
    expect(later.oldestUnfinalisedAgeSeconds).toBe(0);
    expect(mailer.sent).toHaveLength(1);
  });

  test('a Twilio outage leaves the call for the next run and reports its age', async () => {
    const sid = callSid(6);
    await openCall(sid);
    twilioCompleted(sid);
    clock.now = T0 + GRACE_MS + 60_000;
    twilio.failNext(1, 503);
    const report = await sweepUnfinalisedCalls(deps());
    expect(report).toMatchObject({ finalised: [], pending: [sid], oldestUnfinalisedAgeSeconds: 180 });
    expect((await sweepUnfinalisedCalls(deps())).finalised).toEqual([sid]);
  });

  test('a failing phase (pending list, Twilio call list) costs neither the other phases nor the report', async () => {
    const sid = callSid(11);
    await openCall(sid);
    twilioCompleted(sid);
    clock.now = T0 + GRACE_MS + 60_000;
    const sweep = deps();
    jest.spyOn(finalisations, 'listPending').mockRejectedValueOnce(new Error('DynamoDB unreachable'));
    jest.spyOn(sweep.twilio, 'callsTo').mockRejectedValueOnce(new Error('Twilio 503'));
    const report = await sweepUnfinalisedCalls(sweep);
    expect(report).toMatchObject({ finalised: [sid], pending: [], oldestUnfinalisedAgeSeconds: 0 });
    expect(sweep.twilio.callsTo).toHaveBeenCalled();
  });

  test('turns that arrive after finalisation are added to the CRM row by the next sweep', async () => {
    const sid = callSid(9);
    await openCall(sid);
    await sessions.appendTurn(sid, { seq: 1, role: 'caller', text: 'Hi, is this Bolt?', at: T0 + 1000 });
    await finaliseCompleted(sid, T0 + 9000);
    expect(crm.calls.get(sid)?.turns).toHaveLength(1);

    // A kept write lands late: the agent's goodbye.
    await sessions.appendTurn(sid, { seq: 2, role: 'agent', text: 'Yes! Goodbye.', at: T0 + 8000 });
    clock.now = T0 + 9000 + GRACE_MS;
    await sweepUnfinalisedCalls(deps());
    expect(crm.calls.get(sid)?.turns.map((t) => t.text)).toEqual(['Hi, is this Bolt?', 'Yes! Goodbye.']);
    expect(mailer.sent).toHaveLength(1);
    expect(await sessions.listUnfinalised(clock.now, 10)).toEqual([]);
  });

  test('a turn landing while finalisation writes the row (session still streaming) reaches the CRM by the next sweep', async () => {
    const sid = callSid(10);
    await openCall(sid);
    await sessions.claimStream(sid, 'a'.repeat(64), 'MZ1', T0 + 500);
    await sessions.appendTurn(sid, { seq: 1, role: 'caller', text: 'Hi, is this Bolt?', at: T0 + 1000 });
    // DynamoDB throttled across the hang-up: the bridge's last turn lands after finalisation read
    // the transcript, and before it marked the session finalised.
    afterNextRowWrite(() =>
      sessions.appendTurn(sid, { seq: 2, role: 'agent', text: 'Yes! Goodbye.', at: T0 + 8000 }),
    );
    await finaliseCompleted(sid, T0 + 9000);
    expect(crm.calls.get(sid)?.turns).toHaveLength(1);
    clock.now = T0 + 9000 + GRACE_MS;
    await sweepUnfinalisedCalls(deps());
    expect(crm.calls.get(sid)?.turns.map((t) => t.text)).toEqual(['Hi, is this Bolt?', 'Yes! Goodbye.']);
    expect(await sessions.listUnfinalised(clock.now, 10)).toEqual([]);
  });

  test('a late turn landing while the sweeper writes the earlier late turns is not dropped', async () => {
    const sid = callSid(11);
    await openCall(sid);
    await sessions.appendTurn(sid, { seq: 1, role: 'caller', text: 'Hi, is this Bolt?', at: T0 + 1000 });
    await finaliseCompleted(sid, T0 + 9000);
    await sessions.appendTurn(sid, { seq: 2, role: 'agent', text: 'Yes!', at: T0 + 8000 });
    afterNextRowWrite(() =>
      sessions.appendTurn(sid, { seq: 3, role: 'agent', text: 'Goodbye.', at: T0 + 8500 }),
    );
    clock.now = T0 + 9000 + GRACE_MS;
    await sweepUnfinalisedCalls(deps());
    expect(crm.calls.get(sid)?.turns).toHaveLength(2);
    // Still listed: the next run adds the third turn, then lets the call go.
    clock.now += GRACE_MS;
    await sweepUnfinalisedCalls(deps());
    expect(crm.calls.get(sid)?.turns.map((t) => t.text)).toEqual(['Hi, is this Bolt?', 'Yes!', 'Goodbye.']);
    expect(await sessions.listUnfinalised(clock.now, 10)).toEqual([]);
  });

  test('a booking recorded after finalisation (the tool finished after the hang-up) gets its CRM row by the next sweep', async () => {
    const sid = callSid(15);
    await openCall(sid);
    await sessions.markEnded(sid, 'caller-hung-up', T0 + 9000);
    await finaliseCompleted(sid, T0 + 9000);
    await sessions.appendToolCall(sid, {
      seq: 1,
      name: 'book_appointment',
      args: { name: 'Sam Rivera' },
      result: bookedOwingCrmRow(sid, 'Sam Rivera', 'evt-late'),
      at: T0 + 2000,
      durationMs: 12_000,
    });
    clock.now = T0 + 9000 + GRACE_MS;
    await sweepUnfinalisedCalls(deps());
    expect(crm.appointments).toEqual([
      expect.objectContaining({ calendarEventId: 'evt-late', callSid: sid }),
    ]);
    expect(await sessions.listUnfinalised(clock.now, 10)).toEqual([]);
  });

  test('a call Twilio has and we never recorded (webhook failed, no callback) still reaches the CRM', async () => {
    const sid = callSid(10);
    twilio.setCall({
      sid,
      status: 'completed',
      from: '+12125550177',
      to: BUSINESS_NUMBER,
      direction: 'inbound',
      duration: 3,
      startTime: T0,
      endTime: T0 + 3000,
    });
    clock.now = T0 + 3000 + GRACE_MS - 1;
    expect((await sweepUnfinalisedCalls(deps())).finalised).toEqual([]);
    clock.now += 2;
    expect((await sweepUnfinalisedCalls(deps())).finalised).toEqual([sid]);
    expect(crm.calls.get(sid)).toMatchObject({ from: '+12125550177', outcome: 'completed', turns: [] });
    expect(mailer.sent[0]?.subject).toBe('Missed call from +12125550177');
    // Known now: the next run leaves it alone.
    expect((await sweepUnfinalisedCalls(deps())).finalised).toEqual([]);
    expect(mailer.sent).toHaveLength(1);
  });

  test('an outage longer than the first look-back: the persisted watermark still finds the unrecorded call', async () => {
    const watermark = new DynamoSweepWatermark(dynamo.doc, { tableName: table });
    const withMark = (): SweepDeps => ({ ...deps(), watermark });
    await sweepUnfinalisedCalls(withMark()); // the last run before the outage
    const sid = callSid(12);
    twilio.setCall({
      sid,
      status: 'no-answer',
      from: '+12125550188',
      to: BUSINESS_NUMBER,
      direction: 'inbound',
      duration: 0,
      startTime: T0 + 10 * 60_000,
      endTime: T0 + 10 * 60_000 + 20_000,
    });
    // Three hours without a successful run (the sweeper's function failing, DynamoDB down).
    clock.now = T0 + 3 * 60 * 60_000;
    expect((await sweepUnfinalisedCalls(withMark())).finalised).toEqual([sid]);
    expect(crm.calls.get(sid)).toMatchObject({ from: '+12125550188', outcome: 'no-answer' });
    // The mark moved on: the next run's look starts after it.
    expect(await watermark.get()).toBe(clock.now - GRACE_MS);
  });

  test('a call still live at a run keeps the watermark at its start until it is over', async () => {
    const watermark = new DynamoSweepWatermark(dynamo.doc, { tableName: table });
    const withMark = (): SweepDeps => ({ ...deps(), watermark });
    const sid = callSid(13);
    twilio.setCall({
      sid,
      status: 'in-progress',
      from: '+12125550188',
      to: BUSINESS_NUMBER,
      direction: 'inbound',
      startTime: T0 + 60_000,
    });
    clock.now = T0 + 30 * 60_000;
    await sweepUnfinalisedCalls(withMark());
    expect(await watermark.get()).toBe(T0 + 60_000);
  });

  test('a call that streamed and never had its end recorded (the bridge died) is finalised as a callback due', async () => {
    const sid = callSid(14);
    await openCall(sid);
    await sessions.claimStream(sid, 'a'.repeat(64), 'MZ1', T0 + 1000);
    await sessions.appendTurn(sid, {
      seq: 1,
      role: 'caller',
      text: 'I need a plumber today.',
      at: T0 + 5000,
    });
    twilioCompleted(sid, 60);
    // Within the grace after Twilio's end the bridge may still record it: left for the next run.
    clock.now = T0 + 60_000 + GRACE_MS - 1;
    expect((await sweepUnfinalisedCalls(deps())).live).toEqual([sid]);
    clock.now = T0 + 60_000 + GRACE_MS;
    expect((await sweepUnfinalisedCalls(deps())).finalised).toEqual([sid]);
    expect(crm.calls.get(sid)).toMatchObject({ outcome: 'engine-outage', durationSeconds: 60 });
    expect(mailer.sent[0]?.text).toContain('CALLBACK DUE');
    expect((await sessions.get(sid))?.session).toMatchObject({
      status: 'finalised',
      endedAt: T0 + 60_000,
      endReason: expect.stringMatching(/^engine-outage: the bridge stopped/),
    });
  });

  test('the sparse index holds only unfinalised sessions and is read by query, not scan', async () => {
    await openCall(callSid(7));
    await openCall(callSid(8));
    await sessions.appendTurn(callSid(7), { seq: 1, role: 'agent', text: 'Hello', at: T0 });
    await sessions.markFinalised(callSid(8), T0 + 1);
    const indexed = await dynamo.doc.send(new ScanCommand({ TableName: table, IndexName: 'unfinalised' }));
    expect(indexed.Items?.map((i) => i.callSid)).toEqual([callSid(7)]);
    expect(await sessions.listUnfinalised(T0, 10)).toEqual([
      { callSid: callSid(7), since: T0, status: 'created' },
    ]);
    expect(await sessions.listUnfinalised(T0 - 1, 10)).toEqual([]);
    const viaQuery = await dynamo.doc.send(
      new QueryCommand({
        TableName: table,
        IndexName: 'unfinalised',
        KeyConditionExpression: 'sweepPk = :pk',
        ExpressionAttributeValues: { ':pk': 'UNFINALISED' },
      }),
    );
    expect(viaQuery.Count).toBe(1);
  });
});

describe('finalisation sweeper: streams that never connected', () => {
  test('counts an answered call whose stream never claimed its session, once, and not a streamed one', async () => {
    const told: string[] = [];
    const sweep = () => {
      const d = deps();
      return sweepUnfinalisedCalls({
        ...d,
        finalise: { ...d.finalise, onStreamNeverConnected: (sid) => told.push(sid) },
      });
    };
    const lost = callSid(41);
    const streamed = callSid(42);
    await openCall(lost);
    await openCall(streamed);
    await sessions.claimStream(streamed, 'a'.repeat(64), 'MZ42', T0 + 1000);
    await sessions.markEnded(streamed, 'caller-hung-up', T0 + 20_000);
    twilioCompleted(lost, 12);
    twilioCompleted(streamed, 20);

    clock.now = T0 + 30_000 + GRACE_MS;
    expect((await sweep()).finalised.sort()).toEqual([lost, streamed].sort());
    clock.now += 10 * 60_000;
    await sweep();
    expect(told).toEqual([lost]);
  });
});
