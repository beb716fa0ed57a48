import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DateTime } from 'luxon';
import { createPlaceCallHandler, handler, isHttpEvent } from '../../functions/place-call.js';
import { startTwilioRestSim, type TwilioRestSim } from '../../services/local/sim/twilio-rest.js';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.js';
import { outboundHarness, PUBLIC_URL } from '../support/outbound-harness.js';
import { TestMailer } from '../support/test-mailer.js';
import { formEvent, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, testEnv } from '../support/twilio.js';

const CALLEE = '+12025550143';

/** `POST /calls` as API Gateway (HTTP API, payload v2) delivers it. */
function callsEvent(body: unknown, headers: Record<string, string> = {}): APIGatewayProxyEventV2 {
  const event = formEvent('/calls', {}, { 'content-type': 'application/json', ...headers });
  return { ...event, isBase64Encoded: false, body: JSON.stringify(body) };
}

describe('the place-call handler', () => {
  test('refuses every request while CALLS_API_KEY is unset, saying to set it', async () => {
    const h = outboundHarness();
    const calls = createPlaceCallHandler({
      placeCall: h.deps,
      authorization: { kind: 'api-key', key: undefined },
    });
    const result = await calls.http(
      callsEvent({ to: CALLEE, idempotencyKey: 'k1' }, { authorization: 'Bearer anything' }),
    );
    expect(result.statusCode).toBe(403);
    expect(JSON.parse(result.body ?? '')).toMatchObject({ error: 'not-configured' });
    expect(result.body).toContain('CALLS_API_KEY');
    expect(h.callControl.placed).toEqual([]);
  });

  test.each([
    ['no Authorization header', {}],
    ['a wrong key', { authorization: 'Bearer not-the-key' }],
    ['the key without the Bearer scheme', { authorization: 'local-key' }],
  ])('answers 401 to %s and places nothing', async (_case, headers) => {
    const h = outboundHarness();
    const calls = createPlaceCallHandler({
      placeCall: h.deps,
      authorization: { kind: 'api-key', key: 'local-key' },
    });
    const result = await calls.http(callsEvent({ to: CALLEE, idempotencyKey: 'k1' }, headers));
    expect(result.statusCode).toBe(401);
    expect(result.headers?.['www-authenticate']).toBe('Bearer');
    expect(h.callControl.placed).toEqual([]);
  });

  test('with the key: places the call and answers 202 with the callSid; a body that is not JSON is 400', async () => {
    const h = outboundHarness();
    const calls = createPlaceCallHandler({
      placeCall: h.deps,
      authorization: { kind: 'api-key', key: 'local-key' },
    });
    const auth = { authorization: 'Bearer local-key' };
    const placed = await calls.http(callsEvent({ to: CALLEE, idempotencyKey: 'k1' }, auth));
    expect(placed.statusCode).toBe(202);
    expect(JSON.parse(placed.body ?? '')).toEqual({
      status: 'placed',
      idempotencyKey: 'k1',
      callSid: `CA${'1'.padStart(32, '0')}`,
    });
    const broken = await calls.http({ ...callsEvent({}, auth), body: '{"to":' });
    expect(broken.statusCode).toBe(400);
    expect(h.callControl.placed).toHaveLength(1);
  });

  test('tells a Scheduler event (the payload itself) from an HTTP event by requestContext', async () => {
    const h = outboundHarness();
    const calls = createPlaceCallHandler({ placeCall: h.deps, authorization: { kind: 'iam' } });
    expect(isHttpEvent(callsEvent({}))).toBe(true);
    expect(isHttpEvent({ to: CALLEE, idempotencyKey: 'k2' })).toBe(false);

    // A due schedule: `at` is now, so the call is placed whatever the hours.
    const at = DateTime.fromMillis(h.clock.now, { zone: 'America/New_York' }).toISO() ?? '';
    const outcome = await calls.handle({ to: CALLEE, idempotencyKey: 'k2', at });
    expect(outcome).toMatchObject({ kind: 'placed', idempotencyKey: 'k2' });
    expect(h.callControl.placed).toHaveLength(1);
  });

  test("what a due schedule throws reaches the Lambda runtime's own log with numbers masked", async () => {
    const h = outboundHarness();
    h.callControl.failWith = new Error(
      'Twilio 21210: The source phone number provided, 12125550100, is not verified; not authorized to call +1 (202) 555-0143 (To=%2B12025550143)',
    );
    const calls = createPlaceCallHandler({ placeCall: h.deps, authorization: { kind: 'iam' } });
    const thrown = await calls.handle({ to: CALLEE, idempotencyKey: 'k6' }).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(Error);
    const { message, stack } = thrown as Error;
    expect(message).toMatch(/k6 not placed: Twilio 21210/);
    for (const text of [message, stack ?? '']) {
      for (const digits of ['12125550100', '555-0143', '2025550143']) expect(text).not.toContain(digits);
    }
  });

  test('a due schedule not placed fails the invocation (retries, then the on-failure destination) and tells the owner once', async () => {
    const h = outboundHarness();
    const mailer = new TestMailer();
    h.callControl.failWith = new Error('Twilio 500');
    const calls = createPlaceCallHandler({
      placeCall: h.deps,
      authorization: { kind: 'iam' },
      owner: { mailer, email: 'owner@example.com' },
    });
    const due = { to: CALLEE, idempotencyKey: 'k3', name: 'Ada', reason: 'quote for the boiler' };
    await expect(calls.scheduled(due)).rejects.toThrow(/k3 not placed: Twilio 500/);
    // The Lambda's async retry fails the same way: still one email.
    await expect(calls.scheduled(due)).rejects.toThrow(/k3 not placed/);
    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]).toMatchObject({
      to: 'owner@example.com',
      subject: `Scheduled callback not placed: Ada, ${CALLEE}`,
    });
    expect(mailer.sent[0]?.text).toContain('CALLBACK NOT PLACED');
    expect(mailer.sent[0]?.text).toContain('quote for the boiler');
    // A refusal at firing time (final) fails the invocation too, instead of ending as a success.
    await expect(calls.scheduled({ to: '+442079460123', idempotencyKey: 'k4' })).rejects.toThrow(
      /k4 refused: country-not-allowed/,
    );
    expect(mailer.sent).toHaveLength(2);
    expect(mailer.sent[1]?.text).toContain('refused: country-not-allowed');
  });
});

test('a due schedule whose request another run is still placing throws, so the Scheduler retries it', async () => {
  const h = outboundHarness();
  await h.requests.create({
    idempotencyKey: 'k5',
    to: CALLEE,
    from: '+12125550100',
    provider: 'elevenlabs',
    createdAt: h.clock.now,
  });
  const calls = createPlaceCallHandler({ placeCall: h.deps, authorization: { kind: 'iam' } });
  await expect(calls.scheduled({ to: CALLEE, idempotencyKey: 'k5' })).rejects.toThrow(
    /being placed by another run/,
  );
  // The retry after the lease: Twilio has no call for it, so it is placed, once.
  h.clock.now += 61_000;
  await expect(calls.scheduled({ to: CALLEE, idempotencyKey: 'k5' })).resolves.toMatchObject({
    kind: 'placed',
  });
  expect(h.callControl.placed).toHaveLength(1);
});

describe('the place-call Lambda, wired from its environment', () => {
  const scheduler = mockClient(SchedulerClient);
  const TARGET = 'arn:aws:lambda:us-east-1:123456789012:function:bolt-voice-test-PlaceCall';
  const ROLE = 'arn:aws:iam::123456789012:role/bolt-voice-callbacks';
  const DLQ = 'arn:aws:sqs:us-east-1:123456789012:bolt-voice-schedules-dlq';
  let dynamo: TestDynamo;
  let twilio: TwilioRestSim;
  let supabase: Server;
  const saved = { ...process.env };

  beforeAll(async () => {
    dynamo = await startTestDynamo();
    // A PostgREST that knows nobody: the CRM lookup before placing a call finds no customer.
    supabase = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[]');
    });
    await new Promise<void>((resolve) => supabase.listen(0, '127.0.0.1', resolve));
    twilio = await startTwilioRestSim({ accountSid: TEST_ACCOUNT_SID, authToken: TEST_AUTH_TOKEN });
    Object.assign(
      process.env,
      testEnv({
        PUBLIC_URL,
        TWILIO_API_URL: twilio.url,
        DYNAMODB_ENDPOINT: dynamo.endpoint,
        CALL_TABLE_NAME: await dynamo.newTable(),
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        BUSINESS_TIMEZONE: 'America/New_York',
        BUSINESS_HOURS: 'mon-sun 00:00-24:00',
        SUPABASE_URL: `http://127.0.0.1:${(supabase.address() as AddressInfo).port}`,
        SUPABASE_SERVICE_ROLE_KEY: 'service-role-key',
        GOOGLE_SERVICE_ACCOUNT_JSON: JSON.stringify({
          client_email: 'svc@example.iam.gserviceaccount.com',
          private_key: 'fake-key-never-used: this test never reaches Google',
        }),
        GOOGLE_CALENDAR_ID: 'calendar@example.com',
        RESEND_API_KEY: 're_test',
        CALLBACK_TARGET_ARN: TARGET,
        CALLBACK_SCHEDULE_ROLE_ARN: ROLE,
        CALLBACK_SCHEDULE_GROUP: 'bolt-voice-test-callbacks',
        CALLBACK_DEAD_LETTER_ARN: DLQ,
      }),
    );
  });
  beforeEach(() => scheduler.reset());
  afterAll(async () => {
    process.env = saved;
    await new Promise<void>((resolve) => supabase.close(() => resolve()));
    await twilio.close();
    await dynamo.close();
  });

  test('POST /calls with a future `at` creates the one-time EventBridge schedule that invokes this function', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: `${TARGET}-schedule` });
    const at = DateTime.now()
      .setZone('America/New_York')
      .plus({ days: 1 })
      .set({ hour: 10, minute: 0, second: 0, millisecond: 0 });
    const local = at.toFormat("yyyy-MM-dd'T'HH:mm");
    // Act
    const result = (await handler(
      callsEvent({ to: CALLEE, reason: 'quote follow-up', at: local, idempotencyKey: 'quote-42' }),
    )) as { statusCode: number; body: string };
    // Assess
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body)).toMatchObject({
      status: 'scheduled',
      scheduleName: 'callback-quote-42',
    });
    expect(scheduler).toHaveReceivedCommandTimes(CreateScheduleCommand, 1);
    const input = scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      Name: 'callback-quote-42',
      GroupName: 'bolt-voice-test-callbacks',
      ScheduleExpression: `at(${at.toFormat("yyyy-MM-dd'T'HH:mm")}:00)`,
      ScheduleExpressionTimezone: 'America/New_York',
      ActionAfterCompletion: 'DELETE',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: TARGET,
        RoleArn: ROLE,
        DeadLetterConfig: { Arn: DLQ },
        RetryPolicy: { MaximumEventAgeInSeconds: 900, MaximumRetryAttempts: 5 },
      },
    });
    expect(JSON.parse(input?.Target?.Input ?? '')).toEqual({
      to: CALLEE,
      reason: 'quote follow-up',
      at: at.toISO({ suppressMilliseconds: true }),
      idempotencyKey: 'quote-42',
    });
    expect(twilio.requests).toEqual([]);
  });

  test('the schedule firing (its Input as the event) places the call through the Twilio REST API', async () => {
    const at = DateTime.now().setZone('America/New_York').toISO({ suppressMilliseconds: true });
    const outcome = await handler({ to: CALLEE, reason: 'quote follow-up', at, idempotencyKey: 'quote-43' });
    expect(outcome).toMatchObject({ kind: 'placed', idempotencyKey: 'quote-43' });
    expect(twilio.requests).toHaveLength(1);
    expect(twilio.requests[0]?.form).toMatchObject({
      To: CALLEE,
      Url: `${PUBLIC_URL}/twilio/outbound?requestId=quote-43`,
      StatusCallback: `${PUBLIC_URL}/twilio/status`,
      MachineDetection: 'DetectMessageEnd',
    });
    expect(scheduler).toHaveReceivedCommandTimes(CreateScheduleCommand, 0);
  });
});
