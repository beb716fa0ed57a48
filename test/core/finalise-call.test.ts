import {
  finaliseCall,
  resumeFinalisation,
  streamNeverConnected,
} from '../../services/core/after-call/finalise-call.js';
import type { CallRecording } from '../../services/core/call/recording.js';
import { ownerCallEmailKey } from '../../services/core/email/owner-email.js';
import {
  APPOINTMENT,
  BUSINESS_NUMBER,
  bookedCall,
  CALL_SID,
  CALLER,
  harness,
  OWNER,
  session,
  T0,
  TURNS,
} from '../support/after-call-scenario.js';

const FINAL = { callSid: CALL_SID, status: 'completed' as const, durationSeconds: 125, at: T0 + 127_000 };

describe('finaliseCall', () => {
  test("waits for the bridge's last turns when Twilio's final status overtakes them", async () => {
    const h = harness();
    h.sessions.put({
      session: { ...session(), status: 'streaming' },
      turns: TURNS.slice(0, 2),
      toolCalls: [],
    });
    setTimeout(() => {
      const record = h.sessions.records.get(CALL_SID)!;
      record.turns = TURNS;
      record.session.status = 'ended';
    }, 250);

    await finaliseCall(h.deps, FINAL);

    expect(h.crm.calls.get(CALL_SID)?.turns).toHaveLength(TURNS.length);
  });

  test('a booked call becomes one CRM row with its turns, links and summary, and one owner email', async () => {
    const h = harness();
    bookedCall(h);

    const outcome = await finaliseCall(h.deps, FINAL);

    expect(outcome).toEqual({ kind: 'finalised', callSid: CALL_SID });
    const row = h.crm.calls.get(CALL_SID);
    expect(row).toMatchObject({
      callSid: CALL_SID,
      customerId: 'cust-1',
      direction: 'inbound',
      from: CALLER,
      to: BUSINESS_NUMBER,
      servedBy: 'elevenlabs',
      failedOver: false,
      startedAt: T0,
      endedAt: T0 + 126_000,
      durationSeconds: 125,
      outcome: 'completed',
      leadId: 'lead-1',
      appointmentId: 'appt-1',
    });
    expect(row?.turns).toEqual(TURNS.map(({ seq, role, text, at }) => ({ seq, role, text, at })));
    expect(row?.summary).toBe(
      'The caller said: "Hi, I\'d like to book a cleaning tomorrow morning if you have anything." ' +
        'Booked an appointment for Thu 26 Nov 2026, 10:00 (Cleaning). Saved as a lead: Whitening.',
    );

    expect(h.mailer.sent).toHaveLength(1);
    const email = h.mailer.sent[0]!;
    expect(email.to).toBe(OWNER);
    expect(email.idempotencyKey).toBe(ownerCallEmailKey(CALL_SID));
    expect(email.idempotencyKey).toMatch(/^call-[0-9a-f]{64}$/);
    expect(email.subject).toBe(
      'Call from Ada Lovelace (+12125550123): booked Thu 26 Nov 2026, 10:00 (Cleaning)',
    );
    expect(email.text).toContain('Caller: Ada Lovelace (+12125550123)');
    expect(email.text).toContain('When: Wed 25 Nov 2026, 09:12 (America/New_York)');
    expect(email.text).toContain('Duration: 2 min 5 s');
    expect(email.text).toContain('Booked: Thu 26 Nov 2026, 10:00 (Cleaning)');
    expect(email.text).toContain('Lead: Ada Lovelace (ada@example.com, +12125550123): Whitening');
    expect(email.text).toContain('Caller: Yes please, that works.');
    expect(email.text).not.toMatch(/MISSED|VERY SHORT/);
    expect(email.html).toContain('Caller: Hi, I&#39;d like to book a cleaning');

    const state = await h.store.get(CALL_SID);
    expect(state).toMatchObject({ step: 'done', attempts: 1, summarySource: 'turns' });
    expect(state?.lastError).toBeUndefined();
    expect((await h.sessions.get(CALL_SID))?.session).toMatchObject({
      status: 'finalised',
      finalisedAt: expect.any(Number),
    });
    expect(await h.store.listPending(10)).toEqual([]);
  });

  test('the same status callback twice: one row write, one email, nothing on the second run', async () => {
    const h = harness();
    bookedCall(h);

    await finaliseCall(h.deps, FINAL);
    const second = await finaliseCall(h.deps, { ...FINAL, at: FINAL.at + 5_000 });

    expect(second).toEqual({ kind: 'already-done', callSid: CALL_SID });
    expect(h.crm.saveCallWrites).toBe(1);
    expect(h.mailer.sendCalls).toBe(1);
    expect(h.mailer.sent).toHaveLength(1);
  });

  test('CRM down: the call stays pending with the error; the retry finalises it with one email', async () => {
    const h = harness();
    bookedCall(h);
    h.crm.down = true;

    const outcome = await finaliseCall(h.deps, FINAL);

    expect(outcome).toMatchObject({ kind: 'pending', step: 'pending', error: 'CRM unavailable (503)' });
    expect(await h.store.get(CALL_SID)).toMatchObject({
      step: 'pending',
      attempts: 1,
      lastError: 'CRM unavailable (503)',
    });
    expect(await h.store.listPending(10)).toEqual([CALL_SID]);
    expect(h.mailer.sendCalls).toBe(0);
    expect((await h.sessions.get(CALL_SID))?.session.status).not.toBe('finalised');

    // Still down: the retry fails again and counts it.
    expect(await resumeFinalisation(h.deps, CALL_SID)).toMatchObject({ kind: 'pending', step: 'pending' });
    expect((await h.store.get(CALL_SID))?.attempts).toBe(2);

    h.crm.down = false;
    expect(await resumeFinalisation(h.deps, CALL_SID)).toEqual({ kind: 'finalised', callSid: CALL_SID });

    expect(h.crm.calls.get(CALL_SID)?.appointmentId).toBe(APPOINTMENT.id);
    expect(h.mailer.sent).toHaveLength(1);
    expect(await h.store.get(CALL_SID)).toMatchObject({ step: 'done', attempts: 3 });
    expect((await h.sessions.get(CALL_SID))?.session.status).toBe('finalised');
    expect((await h.store.get(CALL_SID))?.lastError).toBeUndefined();
    expect(await h.store.listPending(10)).toEqual([]);
  });

  test('mail down after the CRM write: the retry sends the email without writing the row again', async () => {
    const h = harness();
    bookedCall(h);
    h.mailer.down = true;

    expect(await finaliseCall(h.deps, FINAL)).toMatchObject({ kind: 'pending', step: 'crm-saved' });
    expect(h.crm.saveCallWrites).toBe(1);

    h.mailer.down = false;
    expect(await resumeFinalisation(h.deps, CALL_SID)).toEqual({ kind: 'finalised', callSid: CALL_SID });

    expect(h.crm.saveCallWrites).toBe(1);
    expect(h.mailer.sent).toHaveLength(1);
    expect((await h.store.get(CALL_SID))?.step).toBe('done');
  });

  test.each([
    ['no-answer', 'no one answered'],
    ['busy', 'the line was busy'],
    ['failed', 'the call failed'],
    ['canceled', 'the call was canceled before it was answered'],
  ] as const)('an unanswered inbound call (%s) is flagged as missed', async (status, reason) => {
    const h = harness();
    h.sessions.put({ session: session({ customer: undefined, streamingAt: undefined }) });

    await finaliseCall(h.deps, { callSid: CALL_SID, status, at: T0 + 30_000 });

    const row = h.crm.calls.get(CALL_SID);
    expect(row).toMatchObject({ outcome: status, turns: [], summary: `Not answered (${status}).` });
    const email = h.mailer.sent[0]!;
    expect(email.subject).toBe('Missed call from +12125550123');
    expect(email.text).toContain(`MISSED: ${reason}.`);
  });

  test('an answered call where the caller never spoke is flagged as missed', async () => {
    const h = harness();
    h.sessions.put({ session: session(), turns: [TURNS[0]!] });

    await finaliseCall(h.deps, { ...FINAL, durationSeconds: 20 });

    expect(h.crm.calls.get(CALL_SID)?.summary).toBe('The caller did not speak.');
    expect(h.mailer.sent[0]?.subject).toBe('Missed call from Ada Lovelace (+12125550123)');
    expect(h.mailer.sent[0]?.text).toContain('MISSED: the caller hung up without speaking.');
  });

  test('a call under 15 seconds is flagged as very short', async () => {
    const h = harness();
    h.sessions.put({ session: session(), turns: TURNS.slice(0, 2) });

    await finaliseCall(h.deps, { ...FINAL, durationSeconds: 9 });

    expect(h.mailer.sent[0]?.subject).toBe('Very short call from Ada Lovelace (+12125550123)');
    expect(h.mailer.sent[0]?.text).toContain('VERY SHORT CALL: 9 s.');
  });

  test('a failover is recorded on the row and mentioned to the owner', async () => {
    const h = harness();
    h.sessions.put({
      session: session({ servedBy: 'openai', failoverReason: 'connect timeout' }),
      turns: TURNS,
    });

    await finaliseCall(h.deps, FINAL);

    expect(h.crm.calls.get(CALL_SID)).toMatchObject({ servedBy: 'openai', failedOver: true });
    expect(h.mailer.sent[0]?.text).toContain('Engine failover: served by openai.');
  });

  test('an analysis that arrived first gives the summary', async () => {
    const h = harness();
    bookedCall(h);
    await h.store.saveAnalysis({
      callSid: CALL_SID,
      conversationId: 'conv-1',
      summary: 'Ada booked a cleaning for Thursday 10:00 and asked about whitening.',
      dataCollection: {},
      eventAt: T0 + 128_000,
      receivedAt: T0 + 128_000,
    });

    await finaliseCall(h.deps, FINAL);

    expect(h.crm.calls.get(CALL_SID)?.summary).toBe(
      'Ada booked a cleaning for Thursday 10:00 and asked about whitening.',
    );
    expect((await h.store.get(CALL_SID))?.summarySource).toBe('analysis');
    expect(h.mailer.sent[0]?.text).toContain('Ada booked a cleaning for Thursday 10:00');
  });

  test('without a session the callback details still make a row and an email', async () => {
    const h = harness();

    await finaliseCall(h.deps, {
      callSid: CALL_SID,
      status: 'completed',
      durationSeconds: 4,
      at: T0,
      fallback: { from: CALLER, to: BUSINESS_NUMBER, direction: 'inbound' },
    });

    expect(h.crm.calls.get(CALL_SID)).toMatchObject({ from: CALLER, outcome: 'completed', turns: [] });
    expect(h.mailer.sent[0]?.subject).toBe('Missed call from +12125550123');
  });

  test('an outbound call that reached a machine says a voicemail was left', async () => {
    const h = harness();
    h.sessions.put({
      session: session({
        direction: 'outbound',
        from: BUSINESS_NUMBER,
        to: CALLER,
        endReason: 'voicemail',
        outboundReason: 'Confirm appointment',
      }),
    });

    await finaliseCall(h.deps, { ...FINAL, durationSeconds: 31 });

    expect(h.crm.calls.get(CALL_SID)).toMatchObject({ direction: 'outbound', to: CALLER });
    expect(h.mailer.sent[0]?.subject).toBe('Voicemail left for Ada Lovelace (+12125550123)');
    expect(h.mailer.sent[0]?.text).toContain('VOICEMAIL: a machine answered');
  });

  test('without OWNER_EMAIL the call is still finalised, with no email', async () => {
    const h = harness();
    bookedCall(h);

    const outcome = await finaliseCall({ ...h.deps, ownerEmail: undefined }, FINAL);

    expect(outcome.kind).toBe('finalised');
    expect(h.crm.calls.has(CALL_SID)).toBe(true);
    expect(h.mailer.sendCalls).toBe(0);
  });
});

describe('a call whose media stream never reached the bridge (StreamsNeverConnected)', () => {
  const neverStreamed = () => session({ status: 'created', streamingAt: undefined, endedAt: undefined });

  test('is told once, by the run that finalises it, for an answered call that never streamed', async () => {
    const h = harness();
    const told: string[] = [];
    h.deps.onStreamNeverConnected = (sid) => told.push(sid);
    h.sessions.put({ session: neverStreamed(), turns: [], toolCalls: [] });

    await finaliseCall(h.deps, FINAL);
    await finaliseCall(h.deps, FINAL); // Twilio's callback again: already done, not counted again
    expect(told).toEqual([CALL_SID]);
  });

  test('is counted once even when the first run failed and a retry finished the call', async () => {
    const h = harness();
    const told: string[] = [];
    h.deps.onStreamNeverConnected = (sid) => told.push(sid);
    h.sessions.put({ session: neverStreamed(), turns: [], toolCalls: [] });
    h.mailer.down = true;

    expect((await finaliseCall(h.deps, FINAL)).kind).toBe('pending');
    expect(told).toEqual([]);
    h.mailer.down = false;
    expect(await resumeFinalisation(h.deps, CALL_SID)).toEqual({ kind: 'finalised', callSid: CALL_SID });
    expect(told).toEqual([CALL_SID]);
  });

  test.each([
    ['a call that streamed', () => session(), 'completed'],
    ['an unanswered call', () => session({ status: 'created', streamingAt: undefined }), 'no-answer'],
    [
      'an outbound call that reached a machine (voicemail TwiML, no stream)',
      () => session({ direction: 'outbound', streamingAt: undefined, endReason: 'voicemail' }),
      'completed',
    ],
  ] as const)('is not told for %s', async (_name, make, status) => {
    const h = harness();
    const told: string[] = [];
    h.deps.onStreamNeverConnected = (sid) => told.push(sid);
    h.sessions.put({ session: make(), turns: [], toolCalls: [] });
    await finaliseCall(h.deps, { ...FINAL, status });
    expect(told).toEqual([]);
  });

  test('nor for a call with no session (the inbound webhook failed: the API alarms see that)', async () => {
    expect(streamNeverConnected({ status: 'completed' }, undefined)).toBe(false);
    expect(streamNeverConnected({ status: 'completed' }, { streamingAt: undefined })).toBe(true);
  });

  test('nor for a caller who hung up within 3 s of the answer, before any stream could connect', () => {
    const lost = { streamingAt: undefined };
    expect(streamNeverConnected({ status: 'completed', durationSeconds: 2 }, lost)).toBe(false);
    expect(streamNeverConnected({ status: 'completed', durationSeconds: 3 }, lost)).toBe(true);
  });
});

describe('finaliseCall: the recording', () => {
  const KEY = `recordings/${CALL_SID}.wav`;
  const links = (minted: string[]) => ({
    linkFor: async (callSid: string, key: string) => {
      minted.push(`${callSid} ${key}`);
      return `https://recordings.example/${key}?sig=1`;
    },
  });

  /** A booked call whose session holds this recording. */
  function bookedCallWith(recording: CallRecording) {
    const h = harness();
    bookedCall(h);
    h.sessions.records.get(CALL_SID)!.session.recording = recording;
    return h;
  }

  test('a stored recording is linked from the row and the email with a link minted at finalisation', async () => {
    const h = bookedCallWith({ status: 'saved', key: KEY, durationMs: 125_000, bytes: 4_000_044 });
    const minted: string[] = [];

    await finaliseCall({ ...h.deps, recordingLinks: links(minted) }, FINAL);

    expect(minted).toEqual([`${CALL_SID} ${KEY}`]);
    expect(h.crm.calls.get(CALL_SID)?.recording).toEqual({
      status: 'recorded',
      url: `https://recordings.example/${KEY}?sig=1`,
    });
    expect(h.mailer.sent[0]?.text).toContain(`Recording: https://recordings.example/${KEY}?sig=1`);
  });

  test('a recording that failed (or whose link cannot be made) reads "no recording"; an unrecorded call says nothing', async () => {
    const failed = bookedCallWith({ status: 'failed' });
    await finaliseCall({ ...failed.deps, recordingLinks: links([]) }, FINAL);
    expect(failed.crm.calls.get(CALL_SID)?.recording).toEqual({ status: 'no recording' });
    expect(failed.mailer.sent[0]?.text).toContain('Recording: no recording');

    const unlinkable = bookedCallWith({ status: 'saved', key: KEY, durationMs: 1, bytes: 1 });
    const broken = { linkFor: async () => Promise.reject(new Error('no credentials')) };
    expect(await finaliseCall({ ...unlinkable.deps, recordingLinks: broken }, FINAL)).toMatchObject({
      kind: 'finalised',
    });
    expect(unlinkable.crm.calls.get(CALL_SID)?.recording).toEqual({ status: 'no recording' });

    const off = harness();
    bookedCall(off);
    await finaliseCall({ ...off.deps, recordingLinks: links([]) }, FINAL);
    expect(off.crm.calls.get(CALL_SID)?.recording).toBeUndefined();
    expect(off.mailer.sent[0]?.text).not.toContain('Recording');
  });

  test('waits (bounded) for a recording still being stored, then links it', async () => {
    const h = harness();
    bookedCall(h);
    const record = h.sessions.records.get(CALL_SID)!;
    record.session.recording = { status: 'writing', key: KEY };
    setTimeout(() => {
      record.session.recording = { status: 'saved', key: KEY, durationMs: 1000, bytes: 32_044 };
    }, 300);
    const started = Date.now();
    await finaliseCall({ ...h.deps, recordingLinks: links([]), recordingSettleMs: 5000 }, FINAL);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(h.crm.calls.get(CALL_SID)?.recording).toMatchObject({ status: 'recorded' });
  });
});
