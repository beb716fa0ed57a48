import { hashStreamToken } from '../../services/core/call/stream-token.js';
import {
  OUTBOUND_LEASE_MS,
  placeCall,
  REFUSAL_HTTP_STATUS,
} from '../../services/core/outbound/place-call.js';
import {
  BUSINESS_NUMBER,
  CLOSED_NOW,
  OPEN_NOW,
  outboundHarness,
  PUBLIC_URL,
} from '../support/outbound-harness.js';

const TO = '+12125550123';
const request = (overrides: Record<string, unknown> = {}) => ({
  to: TO,
  name: 'Ada Lovelace',
  reason: 'Confirm Thursday appointment',
  idempotencyKey: 'req-001',
  ...overrides,
});

describe('placeCall refuses, with a clear message and no Twilio request', () => {
  test.each([
    ['not E.164', { to: '2125550123' }, 'invalid-number', 'to must be an E.164 number'],
    ['not a real number', { to: '+15551230001' }, 'invalid-number', 'is not a valid phone number'],
    [
      'a country not allowed (GB)',
      { to: '+442079460000' },
      'country-not-allowed',
      'Calls to GB are not allowed (OUTBOUND_ALLOWED_COUNTRIES=US,CA)',
    ],
    [
      'a +1 number outside the US and Canada (Jamaica)',
      { to: '+18765550123' },
      'country-not-allowed',
      'Calls to JM are not allowed',
    ],
    ['a premium-rate number', { to: '+19005550123' }, 'premium-rate', 'premium-rate number'],
    [
      'an idempotency key that is not a string',
      { idempotencyKey: 42 as unknown as string },
      'invalid-request',
      'idempotencyKey must be a string',
    ],
    [
      'a key Scheduler could not name',
      { idempotencyKey: 'has spaces' },
      'invalid-request',
      'idempotencyKey must be 1–48 characters',
    ],
    ['an unknown field', { when: 'tomorrow' }, 'invalid-request', 'Unrecognized key'],
    ['an at that is not a time', { at: 'tomorrow at ten' }, 'invalid-request', 'at must be ISO 8601'],
    ['an at in the past', { at: '2026-11-25T09:00' }, 'at-in-past', 'is in the past'],
    ['an at too far ahead', { at: '2027-02-01T10:00' }, 'at-too-far', 'within 30 days'],
  ])('%s', async (_name, overrides, code, message) => {
    const h = outboundHarness();
    const outcome = await placeCall(h.deps, request(overrides));
    expect(outcome).toMatchObject({ kind: 'refused', code });
    expect(outcome.kind === 'refused' && outcome.message).toContain(message);
    expect(h.callControl.placed).toEqual([]);
    expect(h.scheduler.schedules.size).toBe(0);
    expect(h.requests.requests.size).toBe(0);
  });

  test('outside calling hours without an at', async () => {
    const h = outboundHarness({ now: CLOSED_NOW });
    const outcome = await placeCall(h.deps, request());
    expect(outcome).toEqual({
      kind: 'refused',
      code: 'outside-hours',
      message:
        'Outside calling hours (mon-fri 09:00-17:00, America/New_York); give "at" to schedule the call',
    });
    expect(h.callControl.placed).toEqual([]);
  });
});

describe('placeCall places', () => {
  test('a valid request: Twilio gets the TwiML URL, the status callback and machine detection', async () => {
    const h = outboundHarness({ flag: 'openai' });
    h.crm.seedCustomer({ id: 'cust-1', phone: TO, name: 'Ada Lovelace' });
    // Thu 26 Nov 2026, 10:00 New York: the customer's open appointment.
    const start = Date.UTC(2026, 10, 26, 15, 0, 0);
    h.crm.seedAppointment({
      id: 'appt-1',
      customerId: 'cust-1',
      calendarEventId: 'ev-1',
      start,
      end: start + 30 * 60_000,
      name: 'Ada Lovelace',
      phone: TO,
      createdAt: OPEN_NOW,
    });

    const outcome = await placeCall(h.deps, request());

    expect(h.callControl.placed).toEqual([
      {
        to: TO,
        from: BUSINESS_NUMBER,
        url: `${PUBLIC_URL}/twilio/outbound?requestId=req-001`,
        statusCallback: `${PUBLIC_URL}/twilio/status`,
        machineDetection: true,
      },
    ]);
    const callSid = `CA${'0'.repeat(31)}1`;
    expect(outcome).toEqual({ kind: 'placed', idempotencyKey: 'req-001', callSid });
    const session = (await h.sessions.get(callSid))?.session;
    expect(session).toMatchObject({
      callSid,
      direction: 'outbound',
      from: BUSINESS_NUMBER,
      to: TO,
      provider: 'openai',
      customer: { id: 'cust-1', name: 'Ada Lovelace' },
      outboundReason: 'Confirm Thursday appointment',
      status: 'created',
      createdAt: OPEN_NOW,
    });
    expect(session?.streamTokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(await h.requests.get('req-001')).toMatchObject({
      status: 'placed',
      callSid,
      name: 'Ada Lovelace',
    });
  });

  test('an unreadable provider flag falls back to the configured engine', async () => {
    const h = outboundHarness({ flag: new Error('SSM throttled') });
    const outcome = await placeCall(h.deps, request());
    expect(outcome.kind).toBe('placed');
    expect((await h.requests.get('req-001'))?.provider).toBe('openai');
  });

  test('a duplicate request with the same key places one call', async () => {
    const h = outboundHarness();
    const first = await placeCall(h.deps, request());
    const second = await placeCall(h.deps, request());

    expect(h.callControl.placed).toHaveLength(1);
    expect(second).toEqual({
      kind: 'duplicate',
      idempotencyKey: 'req-001',
      status: 'placed',
      callSid: first.kind === 'placed' ? first.callSid : 'missing',
    });
  });

  test('the same key for a different request is refused (422) and places nothing', async () => {
    const h = outboundHarness();
    await placeCall(h.deps, request());
    const other = await placeCall(h.deps, request({ reason: 'changed my mind' }));
    expect(other).toMatchObject({ kind: 'refused', code: 'idempotency-key-reused' });
    expect(REFUSAL_HTTP_STATUS['idempotency-key-reused']).toBe(422);
    expect(h.callControl.placed).toHaveLength(1);
  });

  test('without an idempotency key each request places its own call, under a fresh key', async () => {
    const h = outboundHarness();
    const first = await placeCall(h.deps, request({ idempotencyKey: undefined }));
    const second = await placeCall(h.deps, request({ idempotencyKey: undefined }));
    expect([first.kind, second.kind]).toEqual(['placed', 'placed']);
    expect(h.callControl.placed).toHaveLength(2);
    const keys = [first, second].map((o) => (o.kind === 'placed' ? o.idempotencyKey : ''));
    expect(new Set(keys).size).toBe(2);
    for (const key of keys) expect(key).toMatch(/^[A-Za-z0-9._-]{1,48}$/);
  });

  test('Twilio refusing the call is reported, and the same key may try again', async () => {
    const h = outboundHarness();
    h.callControl.failWith = new Error('Twilio 21215: geo permissions');

    expect(await placeCall(h.deps, request())).toEqual({
      kind: 'failed',
      idempotencyKey: 'req-001',
      message: 'Twilio 21215: geo permissions',
    });
    expect((await h.requests.get('req-001'))?.status).toBe('failed');

    h.callControl.failWith = undefined;
    expect((await placeCall(h.deps, request())).kind).toBe('placed');
    expect(h.callControl.placed).toHaveLength(1);
  });
});

describe('placeCall resolves a request left placing (the outbound lease)', () => {
  /**
   * A run that crashed between asking Twilio and recording the answer, `msLater` ago: the request
   * stays placing.
   */
  async function crashedAfterTwilio(msLater: number) {
    const h = outboundHarness();
    const markPlaced = h.requests.markPlaced.bind(h.requests);
    h.requests.markPlaced = async () => {
      throw new Error('task killed');
    };
    await expect(placeCall(h.deps, request())).rejects.toThrow('task killed');
    h.requests.markPlaced = markPlaced;
    h.clock.now += msLater;
    return h;
  }

  test('within the lease a duplicate places nothing and says placing', async () => {
    const h = await crashedAfterTwilio(OUTBOUND_LEASE_MS - 1);
    expect(await placeCall(h.deps, request())).toMatchObject({ kind: 'duplicate', status: 'placing' });
    expect(h.callControl.placed).toHaveLength(1);
  });

  test('after the lease, a call Twilio placed for it is recorded, never dialled again', async () => {
    const h = await crashedAfterTwilio(OUTBOUND_LEASE_MS + 1);
    const outcome = await placeCall(h.deps, request());
    expect(outcome).toEqual({
      kind: 'duplicate',
      idempotencyKey: 'req-001',
      status: 'placed',
      callSid: h.callControl.twilioCalls[0]?.callSid,
    });
    expect(h.callControl.placed).toHaveLength(1);
    expect(await h.requests.get('req-001')).toMatchObject({
      status: 'placed',
      callSid: outcome.kind === 'duplicate' ? outcome.callSid : '',
    });
    expect(h.sessions.records.size).toBe(1);
  });

  /** A run that crashed before asking Twilio, `msLater` ago: the request exists, placing, and no call for it. */
  async function crashedBeforeTwilio(msLater = 0) {
    const h = outboundHarness();
    await h.requests.create({
      idempotencyKey: 'req-001',
      to: TO,
      name: 'Ada Lovelace',
      reason: 'Confirm Thursday appointment',
      from: BUSINESS_NUMBER,
      provider: 'elevenlabs',
      createdAt: h.clock.now,
    });
    h.clock.now += msLater;
    return h;
  }

  test("another request's call to the same number is never taken for this one", async () => {
    const h = await crashedBeforeTwilio(30_000);
    const other = await placeCall(h.deps, request({ idempotencyKey: 'req-002', reason: 'Another matter' }));
    expect(other).toMatchObject({ kind: 'placed' });
    h.clock.now += OUTBOUND_LEASE_MS;

    const outcome = await placeCall(h.deps, request());
    expect(outcome).toMatchObject({ kind: 'placed', idempotencyKey: 'req-001' });
    expect(outcome.kind === 'placed' && outcome.callSid).not.toBe(other.kind === 'placed' && other.callSid);
    expect(h.callControl.placed).toHaveLength(2);
  });

  test("a call to that number made after the lease ended is not this request's", async () => {
    const h = await crashedBeforeTwilio();
    // Hours later someone calls the number from the business line (no session of ours).
    h.clock.now += 3 * 3600_000;
    h.callControl.twilioCalls.push({
      callSid: `CA${'f'.repeat(32)}`,
      status: 'completed',
      from: BUSINESS_NUMBER,
      to: TO,
      direction: 'outbound',
      createdAt: h.clock.now - 1000,
    });
    expect(await placeCall(h.deps, request())).toMatchObject({ kind: 'placed', idempotencyKey: 'req-001' });
    expect(h.callControl.placed).toHaveLength(1);
  });

  test('after the lease, with no call at Twilio, the request is taken over and placed once', async () => {
    const h = await crashedBeforeTwilio(OUTBOUND_LEASE_MS + 1);
    const [a, b] = await Promise.all([placeCall(h.deps, request()), placeCall(h.deps, request())]);
    expect([a.kind, b.kind].sort()).toEqual(['duplicate', 'placed']);
    expect(h.callControl.placed).toHaveLength(1);
    expect((await h.requests.get('req-001'))?.status).toBe('placed');
  });
});

describe('placeCall schedules', () => {
  test('a future at (local time) becomes one schedule carrying the request', async () => {
    const h = outboundHarness();

    const outcome = await placeCall(h.deps, request({ at: '2026-11-26T10:30' }));

    expect(outcome).toEqual({
      kind: 'scheduled',
      idempotencyKey: 'req-001',
      scheduleName: 'callback-req-001',
      at: '2026-11-26T10:30:00-05:00',
      created: true,
    });
    expect(h.scheduler.schedules.get('callback-req-001')).toEqual({
      name: 'callback-req-001',
      at: Date.UTC(2026, 10, 26, 15, 30),
      timezone: 'America/New_York',
      payload: { ...request(), at: '2026-11-26T10:30:00-05:00' },
    });
    expect(h.callControl.placed).toEqual([]);
    expect(h.requests.requests.size).toBe(0);
  });

  test('an at with an offset is honoured and shown in the business zone', async () => {
    const h = outboundHarness();
    const outcome = await placeCall(h.deps, request({ at: '2026-11-27T18:00:00Z' }));
    expect(outcome).toMatchObject({ kind: 'scheduled', at: '2026-11-27T13:00:00-05:00' });
  });

  test('scheduling again with the same key makes no second schedule', async () => {
    const h = outboundHarness();
    await placeCall(h.deps, request({ at: '2026-11-26T10:30' }));
    expect(await placeCall(h.deps, request({ at: '2026-11-26T10:30' }))).toMatchObject({
      kind: 'scheduled',
      created: false,
    });
    expect(h.scheduler.schedules.size).toBe(1);
  });

  test('when the schedule fires (even after hours, as asked), its payload places the call once', async () => {
    const h = outboundHarness();
    await placeCall(h.deps, request({ at: '2026-11-25T19:30' }));
    const payload = h.scheduler.schedules.get('callback-req-001')?.payload;

    h.clock.now = Date.UTC(2026, 10, 26, 0, 30, 20); // 19:30:20 local, outside hours
    const fired = await placeCall(h.deps, payload);
    const firedAgain = await placeCall(h.deps, payload); // the Scheduler retried the invocation

    expect(fired.kind).toBe('placed');
    expect(firedAgain.kind).toBe('duplicate');
    expect(h.callControl.placed).toHaveLength(1);
    expect(h.scheduler.schedules.size).toBe(1);
  });

  test('the token hash written at placement is one nobody holds', async () => {
    const h = outboundHarness();
    const outcome = await placeCall(h.deps, request());
    const callSid = outcome.kind === 'placed' ? outcome.callSid : '';
    // Not the hash of an empty or guessable token.
    const hash = (await h.sessions.get(callSid))?.session.streamTokenHash;
    expect(hash).not.toBe(hashStreamToken(''));
    expect(hash).not.toBe(hashStreamToken(callSid));
  });
});
