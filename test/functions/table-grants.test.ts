import { PutCommand } from '@aws-sdk/lib-dynamodb';
/**
 * Each function's DynamoDB grant (lib/lambda-functions.ts) covers what its code sends: every handler
 * runs its paths (first delivery, Twilio's retry, failures retried later) against dynalite through a
 * client that records each command, and each recorded action must be in the function's row (in AWS
 * anything else is AccessDenied). test/infra/iam.test.ts checks the template grants exactly the row.
 */
import { createCallStatusHandler } from '../../functions/call-status.js';
import { createDailyDigestHandler } from '../../functions/daily-digest.js';
import { createDialResultHandler } from '../../functions/dial-result.js';
import { createInboundCallHandler } from '../../functions/inbound-call.js';
import { createOutboundTwimlHandler } from '../../functions/outbound-twiml.js';
import { createPostCallHandler } from '../../functions/post-call.js';
import { createWhisperHandler } from '../../functions/whisper.js';
import { FUNCTION_TABLE, type FunctionId } from '../../lib/lambda-functions.js';
import { pendingMarkerKey } from '../../services/adapters/dynamodb/after-call-items.js';
import { createDynamoClients } from '../../services/adapters/dynamodb/clients.js';
import { type CallTableStores, callTableStores } from '../../services/adapters/dynamodb/stores.js';
import { signElevenLabsWebhook } from '../../services/adapters/elevenlabs/webhook-signature.js';
import { sweepUnfinalisedCalls } from '../../services/core/after-call/finalisation-sweep.js';
import { TRANSFERRED } from '../../services/core/call/call-session.js';
import { placeCall } from '../../services/core/outbound/place-call.js';
import { PENDING_PK } from '../../services/core/ports/call-table-schema.js';
import type { Crm } from '../../services/core/ports/crm.js';
import { loadConfig } from '../../services/core/shared/config.js';
import { afterCallDepsFor } from '../../services/wiring/parts/after-call.js';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.js';
import { FlakyCrm } from '../support/flaky-crm.js';
import { outboundHarness } from '../support/outbound-harness.js';
import { TestMailer } from '../support/test-mailer.js';
import { callSid, formEvent, inboundForm, signForm, TEST_ACCOUNT_SID, testEnv } from '../support/twilio.js';

const config = loadConfig(testEnv({ ELEVENLABS_WEBHOOK_SECRET: 'wsec', OWNER_EMAIL: 'owner@example.com' }));
const BASE = 'https://voice.example.com';
let dynamo: TestDynamo;
let sids = 100;

beforeAll(async () => {
  dynamo = await startTestDynamo();
});
afterAll(() => dynamo.close());

interface Recording {
  table: string;
  /** Stores over a client that records every command it sends. */
  stores: CallTableStores;
  /** Stores over the plain client: for setting a scene without recording it. */
  plain: CallTableStores;
  actions: Set<string>;
  /** The partition keys of every DeleteItem. */
  deletedPartitions: string[];
}

async function recording(): Promise<Recording> {
  const table = await dynamo.newTable();
  const { client, doc } = createDynamoClients({ endpoint: dynamo.endpoint });
  const actions = new Set<string>();
  const deletedPartitions: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const action = String(context.commandName).replace(/Command$/, '');
      actions.add(action);
      if (action === 'DeleteItem') {
        // Marshalled or not yet, depending on where in the stack this runs.
        const pk = (args.input as { Key?: { pk?: string | { S?: string } } }).Key?.pk;
        deletedPartitions.push(typeof pk === 'string' ? pk : (pk?.S ?? JSON.stringify(args.input)));
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return {
    table,
    stores: callTableStores(doc, table),
    plain: callTableStores(dynamo.doc, table),
    actions,
    deletedPartitions,
  };
}

/** Nothing the scenario sent is outside the function's row; DeleteItem only on the retry list's partition. */
function expectWithinTheGrant(id: FunctionId, r: Recording): void {
  const access = FUNCTION_TABLE.find((s) => s.id === id)?.table;
  const granted = [...(access?.actions ?? []), ...(access?.deletesPendingMarkers ? ['DeleteItem'] : [])];
  expect(r.actions.size).toBeGreaterThan(0);
  expect([...r.actions].filter((action) => !granted.includes(action))).toEqual([]);
  expect(new Set(r.deletedPartitions)).toEqual(new Set(r.actions.has('DeleteItem') ? [PENDING_PK] : []));
}

const signedTwilio = (path: string, form: Record<string, string>) =>
  formEvent(path, form, { 'x-twilio-signature': signForm(`${BASE}${path}`, form) });

async function openStreamedCall(
  stores: CallTableStores,
  sid: string,
  at: number,
  endReason = 'caller-hung-up',
): Promise<void> {
  await stores.sessions.open({
    callSid: sid,
    direction: 'inbound',
    from: '+15551230001',
    to: '+15550001111',
    provider: 'elevenlabs',
    streamTokenHash: 'a'.repeat(64),
    createdAt: at,
  });
  await stores.sessions.claimStream(sid, 'a'.repeat(64), 'MZ1', at + 1000);
  await stores.sessions.recordEngine(sid, { servedBy: 'elevenlabs', conversationId: `conv-${sid}` });
  await stores.sessions.appendTurn(sid, {
    seq: 1,
    role: 'caller',
    text: 'Do you fix boilers?',
    at: at + 2000,
  });
  await stores.sessions.markEnded(sid, endReason, at + 60_000);
}

/** Twilio's DialResult for a streamed call that ended as `endReason`, through a recording table. */
async function dialResultOnStreamedCall(dialCallStatus: string, endReason?: string) {
  const r = await recording();
  const sid = callSid(++sids);
  await openStreamedCall(r.plain, sid, Date.now(), endReason);
  const handler = createDialResultHandler({ config, sessions: r.stores.sessions });
  const form = { AccountSid: TEST_ACCOUNT_SID, CallSid: sid, DialCallStatus: dialCallStatus };
  return { r, answer: await handler(signedTwilio('/twilio/dial-result', form)) };
}

function afterCall(
  r: Recording,
  crm: Crm = new FlakyCrm({ timezone: 'UTC' }, ['saveCall']),
  mailer = new TestMailer(),
) {
  return afterCallDepsFor(config, { crm, mailer }, r.stores);
}

describe('each function’s DynamoDB grant covers what its code sends', () => {
  test('InboundCall: a new call, and Twilio retrying the webhook', async () => {
    const r = await recording();
    const handler = createInboundCallHandler({
      config,
      sessions: r.stores.sessions,
      providerFlag: { current: async () => 'elevenlabs' },
    });
    const form = inboundForm(callSid(++sids));
    expect((await handler(signedTwilio('/twilio/inbound', form))).statusCode).toBe(200);
    expect((await handler(signedTwilio('/twilio/inbound', form))).statusCode).toBe(200);
    expectWithinTheGrant('InboundCall', r);
  });

  test('CallStatus: a final status, a failing CRM left pending, and the callback again', async () => {
    const r = await recording();
    const sid = callSid(++sids);
    await openStreamedCall(r.plain, sid, Date.now() - 120_000);
    const crm = new FlakyCrm({ timezone: 'UTC' }, ['saveCall']);
    const handler = createCallStatusHandler({ config, finalise: afterCall(r, crm) });
    const form = {
      AccountSid: TEST_ACCOUNT_SID,
      CallSid: sid,
      CallStatus: 'completed',
      CallDuration: '60',
      From: '+15551230001',
      To: '+15550001111',
    };
    crm.down = true;
    expect((await handler(signedTwilio('/twilio/status', form))).statusCode).toBe(200);
    crm.down = false;
    const other = { ...form, CallSid: callSid(++sids) };
    await openStreamedCall(r.plain, other.CallSid, Date.now() - 120_000);
    expect((await handler(signedTwilio('/twilio/status', other))).statusCode).toBe(200);
    expect((await handler(signedTwilio('/twilio/status', other))).statusCode).toBe(200);
    expect(await r.plain.finalisations.get(other.CallSid)).toMatchObject({ step: 'done' });
    expectWithinTheGrant('CallStatus', r);
  });

  test('DialResult: an unanswered transfer', async () => {
    const { r, answer } = await dialResultOnStreamedCall('no-answer');
    expect(answer.statusCode).toBe(200);
    expectWithinTheGrant('DialResult', r);
  });

  test('DialResult: a transfer nobody took sends the caller back to the agent', async () => {
    const { r, answer } = await dialResultOnStreamedCall('busy', TRANSFERRED);
    expect(answer.body).toContain('<Connect><Stream');
    expectWithinTheGrant('DialResult', r);
  });

  test('Whisper: what the owner hears, and their key', async () => {
    const r = await recording();
    const sid = callSid(++sids);
    await openStreamedCall(r.plain, sid, Date.now(), TRANSFERRED);
    const handler = createWhisperHandler({ config, sessions: r.stores.sessions });
    const form = { AccountSid: TEST_ACCOUNT_SID, CallSid: callSid(++sids) };
    const event = { ...signedTwilio(`/twilio/whisper?call=${sid}`, form), rawQueryString: `call=${sid}` };
    expect((await handler({ ...event, rawPath: '/twilio/whisper' })).body).toContain('<Gather');
    expectWithinTheGrant('Whisper', r);
  });

  test('PostCall: an analysis before and after the call was finalised', async () => {
    const r = await recording();
    const handler = createPostCallHandler({ config, postCall: afterCall(r) });
    const deliver = async (sid: string) => {
      const body = JSON.stringify({
        type: 'post_call_transcription',
        event_timestamp: Math.floor(Date.now() / 1000),
        data: {
          agent_id: 'agent_1',
          conversation_id: `conv-${sid}`,
          status: 'done',
          transcript: [],
          metadata: { start_time_unix_secs: Math.floor(Date.now() / 1000) - 100, call_duration_secs: 60 },
          analysis: { transcript_summary: 'Asked about boilers.', data_collection_results: {} },
          conversation_initiation_client_data: { dynamic_variables: { call_sid: sid } },
        },
      });
      const event = {
        ...formEvent(
          '/elevenlabs/post-call',
          {},
          {
            'elevenlabs-signature': signElevenLabsWebhook('wsec', body, Math.floor(Date.now() / 1000)),
          },
        ),
        isBase64Encoded: false,
        body,
      };
      const result = await handler(event);
      expect(JSON.parse(result.body ?? '{}')).toMatchObject({ status: 'stored' });
    };
    const before = callSid(++sids);
    await openStreamedCall(r.plain, before, Date.now() - 120_000);
    await deliver(before);
    const after = callSid(++sids);
    await openStreamedCall(r.plain, after, Date.now() - 120_000);
    await sweepOrFinalise(r, after);
    await deliver(after);
    expectWithinTheGrant('PostCall', r);
  });

  test('OutboundTwiml: answered by a person, and by a machine', async () => {
    const r = await recording();
    const h = outboundHarness();
    const placed = await placeCall(
      { ...h.deps, sessions: r.plain.sessions, requests: r.plain.outboundRequests },
      { to: '+12125550123', idempotencyKey: 'grant-k1' },
    );
    if (placed.kind !== 'placed') throw new Error(`not placed: ${placed.kind}`);
    const handler = createOutboundTwimlHandler({
      config,
      sessions: r.stores.sessions,
      requests: r.stores.outboundRequests,
    });
    for (const [sid, answeredBy] of [
      [placed.callSid, 'human'],
      [callSid(++sids), 'machine_end_beep'],
    ] as const) {
      const form = { AccountSid: TEST_ACCOUNT_SID, CallSid: sid, AnsweredBy: answeredBy };
      const url = `${BASE}/twilio/outbound?requestId=grant-k1`;
      const event = {
        ...formEvent('/twilio/outbound', form, { 'x-twilio-signature': signForm(url, form) }),
        rawQueryString: 'requestId=grant-k1',
        queryStringParameters: { requestId: 'grant-k1' },
      };
      expect((await handler(event)).statusCode).toBe(200);
    }
    expectWithinTheGrant('OutboundTwiml', r);
  });

  test('PlaceCall: now, scheduled, repeated, and a stale lease taken over', async () => {
    const r = await recording();
    const h = outboundHarness();
    const deps = { ...h.deps, sessions: r.stores.sessions, requests: r.stores.outboundRequests };
    await placeCall(deps, { to: '+12125550123', idempotencyKey: 'grant-now' });
    await placeCall(deps, { to: '+12125550123', idempotencyKey: 'grant-now' });
    await placeCall(deps, {
      to: '+12125550123',
      idempotencyKey: 'grant-later',
      at: new Date(h.clock.now + 86_400_000).toISOString(),
    });
    // A request left `placing` by a crash: the next one, after the lease, takes it over.
    await r.plain.outboundRequests.create({
      idempotencyKey: 'grant-stale',
      to: '+12125550123',
      from: '+12125550100',
      provider: 'elevenlabs',
      createdAt: h.clock.now - 120_000,
    });
    await placeCall(deps, { to: '+12125550123', idempotencyKey: 'grant-stale' });
    expectWithinTheGrant('PlaceCall', r);
  });

  test('FinalisationSweep: a missing callback, a pending retry, late turns, a call never recorded', async () => {
    const r = await recording();
    const missing = callSid(++sids);
    await openStreamedCall(r.plain, missing, Date.now() - 600_000);
    const pending = callSid(++sids);
    await openStreamedCall(r.plain, pending, Date.now() - 600_000);
    await r.plain.finalisations.begin(
      { callSid: pending, status: 'completed', durationSeconds: 60, at: Date.now() - 500_000 },
      Date.now() - 500_000,
    );
    await r.plain.finalisations.recordAttempt(pending, Date.now() - 500_000, 'CRM down');
    const twilioCalls = new Map(
      [missing, pending, callSid(++sids)].map((sid) => [
        sid,
        {
          callSid: sid,
          status: 'completed',
          from: '+15551230001',
          to: '+15550001111',
          direction: 'inbound' as const,
          durationSeconds: 60,
          endedAt: Date.now() - 400_000,
        },
      ]),
    );
    const sweep = () =>
      sweepUnfinalisedCalls({
        finalise: afterCall(r),
        index: r.stores.sessions,
        sessions: r.stores.sessions,
        twilio: {
          getCall: async (sid) => twilioCalls.get(sid),
          callsTo: async () => [...twilioCalls.values()],
        },
        businessNumber: '+15550001111',
        graceMs: 120_000,
        now: Date.now,
      });
    const first = await sweep();
    expect(first.finalised.length).toBe(3);
    await r.plain.sessions.appendTurn(missing, { seq: 2, role: 'caller', text: 'Thanks', at: Date.now() });
    await sweep();
    expectWithinTheGrant('FinalisationSweep', r);
  });

  test('DailyDigest: the day’s digest, with the retry list tidied', async () => {
    const r = await recording();
    const done = callSid(++sids);
    await openStreamedCall(r.plain, done, Date.now() - 600_000);
    await sweepOrFinalise(r, done);
    // A retry-list entry left behind by a finished call (its delete failed): the digest's count removes it.
    await dynamo.doc.send(
      new PutCommand({
        TableName: r.table,
        Item: { ...pendingMarkerKey(done), callSid: done, since: Date.now() - 600_000 },
      }),
    );
    const handler = createDailyDigestHandler(afterCall(r));
    const outcome = await handler({});
    expect(['sent', 'already-sent']).toContain(outcome.kind);
    expect(await handler({})).toMatchObject({ kind: expect.any(String) });
    expect(r.deletedPartitions).toEqual([PENDING_PK]);
    expectWithinTheGrant('DailyDigest', r);
  });
});

/** Finalises a call through the plain stores (the scene before the function under test runs). */
async function sweepOrFinalise(r: Recording, sid: string): Promise<void> {
  const { finaliseCall } = await import('../../services/core/after-call/finalise-call.js');
  const outcome = await finaliseCall(
    afterCallDepsFor(
      config,
      { crm: new FlakyCrm({ timezone: 'UTC' }, ['saveCall']), mailer: new TestMailer() },
      r.plain,
    ),
    { callSid: sid, status: 'completed', durationSeconds: 60, at: Date.now() - 60_000 },
  );
  expect(outcome.kind).toBe('finalised');
}
