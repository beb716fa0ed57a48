/**
 * Random and malformed bodies (fast-check, seeded) at every webhook and at
 * `POST /calls`, through the handlers the Lambdas and the local stack run. Signed ones get past the
 * signature on purpose, so the body parsing itself is what is fuzzed. Each answer is a clear 4xx (or
 * a 2xx for what is valid) and never a 5xx; a refused body changes nothing. Most bodies start from a
 * valid one with fuzzed fields laid over it, so a good share is valid and must reach its side effect
 * (a session, a finalised row and email, a stored analysis, a placed or scheduled call) exactly
 * once: each property counts those bodies, asserts there were some, and the report says how many.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { createCallStatusHandler } from '../../functions/call-status';
import { createInboundCallHandler } from '../../functions/inbound-call';
import { createPlaceCallHandler } from '../../functions/place-call';
import { createPostCallHandler } from '../../functions/post-call';
import { DynamoCallSessionStore } from '../../services/adapters/dynamodb/call-session-store';
import { parseServerEvent as parseElevenLabs } from '../../services/adapters/elevenlabs/codec';
import { signElevenLabsWebhook } from '../../services/adapters/elevenlabs/webhook-signature';
import { parseServerEvent as parseOpenAi } from '../../services/adapters/openai-realtime/codec';
import { parseTwilioMessage } from '../../services/bridge/twilio-media-codec';
import { ownerCallEmailKey } from '../../services/core/email/owner-email';
import { isFinalCallStatus } from '../../services/core/ports/call-store';
import { loadConfig } from '../../services/core/shared/config';
import { bookedCall, CALL_SID, harness } from '../support/after-call-scenario';
import { startTestDynamo, type TestDynamo } from '../support/dynamo';
import { outboundHarness } from '../support/outbound-harness';
import { formEvent, inboundForm, signForm, TEST_ACCOUNT_SID, testEnv } from '../support/twilio';
import { BODIES, report, SEED } from './profile';

/** The full profile runs thousands of bodies through dynalite on a shared 2-core machine. */
const FUZZ_TIMEOUT_MS = 600_000;

const config = loadConfig(testEnv({ ELEVENLABS_WEBHOOK_SECRET: 'whsec_fuzz' }));
const run = <T>(arbitrary: fc.Arbitrary<T>, check: (value: T) => Promise<void>, numRuns = BODIES) =>
  fc.assert(fc.asyncProperty(arbitrary, check), { numRuns, seed: SEED });

/** Form values as Twilio would never send them, mixed with ones it would. */
const formValue = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.constantFrom(
    '',
    'anonymous',
    '+15551230001',
    'client:alice',
    'TN-Validation-Passed-A',
    'completed',
    'x'.repeat(5000),
  ),
);
const formFields = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      'CallSid',
      'AccountSid',
      'From',
      'To',
      'StirVerstat',
      'CallStatus',
      'Direction',
      'CallDuration',
      'Timestamp',
    ),
    fc.string({ maxLength: 20 }),
  ),
  formValue,
  { maxKeys: 8 },
);

const figures: Record<string, Record<string, number>> = {};
function count(route: string, status: number | undefined) {
  const key = String(status);
  figures[route] ??= {};
  (figures[route] as Record<string, number>)[key] =
    ((figures[route] as Record<string, number>)[key] ?? 0) + 1;
}
/** Per route: bodies that reached the route's side effect. */
const reached: Record<string, number> = {};
function sideEffect(route: string) {
  reached[route] = (reached[route] ?? 0) + 1;
}
afterAll(() => {
  report('webhookBodies', { perRoute: figures, sideEffects: reached, bodiesPerProperty: BODIES });
  console.log(`Webhook fuzz: bodies that reached a side effect, per route: ${JSON.stringify(reached)}`);
});

/**
 * A route's fuzz test: `fuzz` feeds it bodies, counting each answer and each body that reached the
 * route's side effect; at least one must have (a fuzz that only ever hits refusals proves little).
 */
function fuzzRoute(
  route: string,
  promise: string,
  fuzz: (tally: { answered(status: number | undefined): void; reachedSideEffect(): void }) => Promise<void>,
): void {
  it(
    promise,
    async () => {
      await fuzz({ answered: (status) => count(route, status), reachedSideEffect: () => sideEffect(route) });
      expect(reached[route]).toBeGreaterThan(0);
    },
    FUZZ_TIMEOUT_MS,
  );
}

/** Fuzzed fields laid over a valid form: none (the valid form itself), or some. */
const overlay = fc.oneof({ arbitrary: fc.constant({}), weight: 2 }, { arbitrary: formFields, weight: 3 });

describe('POST /twilio/inbound with fuzzed forms', () => {
  let dynamo: TestDynamo;
  let sessions: DynamoCallSessionStore;
  beforeAll(async () => {
    dynamo = await startTestDynamo();
    sessions = new DynamoCallSessionStore(dynamo.doc, { tableName: await dynamo.newTable() });
  });
  afterAll(() => dynamo.close());

  fuzzRoute(
    'POST /twilio/inbound',
    'answers 200, 400 or 403 and writes a session only for a valid signed call',
    async (tally) => {
      let opens = 0;
      const counting = {
        open: async (session: Parameters<typeof sessions.open>[0]) => {
          opens++;
          return sessions.open(session);
        },
      };
      const handler = createInboundCallHandler({
        config,
        sessions: counting as unknown as DynamoCallSessionStore,
        providerFlag: { current: async () => 'elevenlabs' },
      });
      await run(fc.tuple(overlay, fc.boolean(), fc.nat(2 ** 31)), async ([fields, signed, n]) => {
        const form = { ...inboundForm(`CA${n.toString(16).padStart(32, '0')}`), ...fields };
        const headers: Record<string, string> = signed
          ? { 'x-twilio-signature': signForm('https://voice.example.com/twilio/inbound', form) }
          : {};
        const before = opens;
        const result = await handler(formEvent('/twilio/inbound', form, headers));
        tally.answered(result.statusCode);
        expect([200, 400, 403]).toContain(result.statusCode);
        if (result.statusCode !== 200) expect(opens).toBe(before);
        if (!signed) expect(result.statusCode).toBe(403);
        if (result.statusCode === 200 && opens > before) tally.reachedSideEffect();
      });
    },
  );
});

describe('POST /twilio/status with fuzzed forms', () => {
  fuzzRoute(
    'POST /twilio/status',
    'never answers 5xx; a refused form finalises nothing; a valid final status finalises its call once',
    async (tally) => {
      const h = harness();
      bookedCall(h);
      const handler = createCallStatusHandler({ config, finalise: h.deps });
      const valid = fc.record({
        CallSid: fc.nat(2 ** 31).map((n) => `CA${n.toString(16).padStart(32, 'f')}`),
        CallStatus: fc.constantFrom(
          'completed',
          'busy',
          'no-answer',
          'failed',
          'canceled',
          'ringing',
          'in-progress',
        ),
        CallDuration: fc.nat(3600).map(String),
        From: fc.constantFrom('+15551230001', 'anonymous'),
        To: fc.constant('+15550001111'),
        Direction: fc.constantFrom('inbound', 'outbound-api'),
      });
      await run(fc.tuple(valid, overlay, fc.boolean()), async ([base, fields, signed]) => {
        const form: Record<string, string> = { AccountSid: TEST_ACCOUNT_SID, ...base, ...fields };
        const headers: Record<string, string> = signed
          ? { 'x-twilio-signature': signForm('https://voice.example.com/twilio/status', form) }
          : {};
        const rowsBefore = h.crm.calls.size;
        const mailBefore = h.mailer.sendCalls;
        const result = await handler(formEvent('/twilio/status', form, headers));
        tally.answered(result.statusCode);
        expect(result.statusCode).toBeLessThan(500);
        if ((result.statusCode ?? 0) >= 400) {
          expect(h.crm.calls.size).toBe(rowsBefore);
          expect(h.mailer.sendCalls).toBe(mailBefore);
          return;
        }
        const callSid = form.CallSid ?? '';
        if (isFinalCallStatus(form.CallStatus ?? '') && h.crm.calls.size > rowsBefore) {
          // Finalised: its row and its owner email, once.
          expect(h.crm.calls.has(callSid)).toBe(true);
          expect(h.mailer.sent.filter((m) => m.idempotencyKey === ownerCallEmailKey(callSid))).toHaveLength(
            1,
          );
          tally.reachedSideEffect();
        } else {
          // Not final, or this call was finalised before: nothing new.
          expect(h.crm.calls.size).toBe(rowsBefore);
        }
      });
    },
  );
});

describe('POST /elevenlabs/post-call with fuzzed JSON', () => {
  fuzzRoute(
    'POST /elevenlabs/post-call',
    'answers 200 (acknowledged) or a 4xx, never 5xx, and stores an analysis only for the conversation the call started',
    async (tally) => {
      const h = harness();
      bookedCall(h);
      let saves = 0;
      const analyses = {
        ...h.deps.analyses,
        getAnalysis: (callSid: string) => h.store.getAnalysis(callSid),
        saveAnalysis: async (analysis: Parameters<typeof h.store.saveAnalysis>[0]) => {
          saves++;
          return h.store.saveAnalysis(analysis);
        },
      };
      const handler = createPostCallHandler({ config, postCall: { ...h.deps, analyses } });
      const envelope = fc.record(
        {
          type: fc.oneof(fc.constant('post_call_transcription'), fc.string({ maxLength: 30 })),
          event_timestamp: fc.oneof(fc.nat(), fc.string({ maxLength: 12 }), fc.constant(null)),
          data: fc.oneof(
            fc.anything({ maxDepth: 3 }),
            fc.record(
              {
                conversation_id: fc.oneof(fc.constant('conv_123'), fc.string({ maxLength: 20 }), fc.nat()),
                analysis: fc.anything({ maxDepth: 2 }),
                conversation_initiation_client_data: fc.record({
                  dynamic_variables: fc.dictionary(
                    fc.constantFrom('call_sid', 'x'),
                    fc.oneof(
                      fc.constant(CALL_SID),
                      fc.constant('CA0000000000000000000000000000000a'),
                      fc.string({ maxLength: 40 }),
                    ),
                  ),
                }),
              },
              { requiredKeys: [] },
            ),
          ),
        },
        { requiredKeys: [] },
      );
      /** ElevenLabs' own shape for the call: valid, with fuzz only in the analysis. */
      const genuine = fc.record({
        type: fc.constant('post_call_transcription'),
        event_timestamp: fc.nat(),
        data: fc.record({
          conversation_id: fc.constant('conv_123'),
          analysis: fc.record(
            {
              transcript_summary: fc.oneof(fc.string({ maxLength: 200 }), fc.constant(null)),
              call_successful: fc.constantFrom('success', 'failure', 'unknown'),
            },
            { requiredKeys: [] },
          ),
          conversation_initiation_client_data: fc.constant({ dynamic_variables: { call_sid: CALL_SID } }),
        }),
      });
      const body = fc.oneof(
        genuine.map((e) => JSON.stringify(e)),
        envelope.map((e) => JSON.stringify(e)),
        fc.json({ maxDepth: 4 }),
        fc.string({ maxLength: 300 }),
      );
      await run(body, async (raw) => {
        const now = Math.floor(Date.now() / 1000);
        const event = {
          ...formEvent('/elevenlabs/post-call', {}, { 'content-type': 'application/json' }),
          isBase64Encoded: false,
          body: raw,
        } as APIGatewayProxyEventV2;
        event.headers = {
          ...event.headers,
          'elevenlabs-signature': signElevenLabsWebhook('whsec_fuzz', raw, now),
        };
        const savesBefore = saves;
        const result = await handler(event);
        tally.answered(result.statusCode);
        expect(result.statusCode).toBeLessThan(500);
        // Only the conversation the bridge recorded for the call is ever stored.
        expect([...h.store.analyses.keys()].filter((sid) => sid !== CALL_SID)).toEqual([]);
        expect(h.store.analyses.get(CALL_SID)?.conversationId ?? 'conv_123').toBe('conv_123');
        if (saves > savesBefore) {
          expect(result.statusCode).toBe(200);
          const sent = JSON.parse(raw) as { data: { conversation_id: unknown } };
          expect(sent.data.conversation_id).toBe('conv_123');
          tally.reachedSideEffect();
        }
      });
      expect(h.store.analyses.get(CALL_SID)).toMatchObject({ callSid: CALL_SID, conversationId: 'conv_123' });
    },
  );
});

describe('POST /calls with fuzzed JSON', () => {
  fuzzRoute('POST /calls', 'answers a 4xx for every bad body and places nothing for it', async (tally) => {
    const h = outboundHarness();
    const calls = createPlaceCallHandler({
      placeCall: h.deps,
      authorization: { kind: 'api-key', key: 'k' },
    });
    const nearValid = fc.record(
      {
        to: fc.oneof(
          fc.constantFrom('+12025550143', '+442079460123', '+19005550123', '202-555-0143'),
          fc.string({ maxLength: 20 }),
          fc.nat(),
        ),
        name: fc.oneof(fc.string({ maxLength: 200 }), fc.nat()),
        reason: fc.oneof(fc.string({ maxLength: 600 }), fc.constant(null)),
        at: fc.oneof(
          fc.string({ maxLength: 30 }),
          fc.constantFrom('2026-11-26T10:00', '2020-01-01T00:00Z', '9999-99-99T99:99'),
        ),
        idempotencyKey: fc.oneof(fc.string({ maxLength: 60 }), fc.nat()),
        extra: fc.anything({ maxDepth: 1 }),
      },
      { requiredKeys: [] },
    );
    /** What a client of the API sends: valid, bar a field now and then. */
    let keys = 0;
    const genuine = fc.record(
      {
        to: fc.constantFrom('+12025550143', '+14165550123', '+19005550123', '+442079460123'),
        name: fc.constantFrom('Ada Lovelace', 'Sam'),
        reason: fc.constantFrom('quote follow-up', 'missed call'),
        at: fc.constantFrom('2026-11-26T10:00', '2026-11-25T16:30', '2026-12-01T11:15-05:00'),
        idempotencyKey: fc.constant(null).map(() => `fuzz-${++keys}`),
      },
      { requiredKeys: ['to'] },
    );
    const body = fc.oneof(
      { arbitrary: genuine.map((b) => JSON.stringify(b)), weight: 3 },
      nearValid.map((b) => JSON.stringify(b)),
      fc.json({ maxDepth: 3 }),
      fc.string({ maxLength: 200 }),
    );
    // A header key half the time (one that differs from the body's is a 400).
    await run(fc.tuple(body, fc.option(fc.string({ maxLength: 60 }), { freq: 1 })), async ([raw, key]) => {
      const event = {
        ...formEvent('/calls', {}, { 'content-type': 'application/json', authorization: 'Bearer k' }),
        isBase64Encoded: false,
        body: raw,
      } as APIGatewayProxyEventV2;
      if (key !== null) event.headers = { ...event.headers, 'idempotency-key': key };
      const placedBefore = h.callControl.placed.length;
      const schedulesBefore = h.scheduler.schedules.size;
      const result = await calls.http(event);
      tally.answered(result.statusCode);
      expect([202, 400, 403, 409, 422]).toContain(result.statusCode);
      if (result.statusCode !== 202) {
        expect(h.callControl.placed.length).toBe(placedBefore);
        expect(h.scheduler.schedules.size).toBe(schedulesBefore);
        expect(JSON.parse(result.body ?? '{}')).toMatchObject({ error: expect.any(String) });
        return;
      }
      // Accepted: one call placed or one callback scheduled, unless it replays an earlier key.
      const added =
        h.callControl.placed.length - placedBefore + (h.scheduler.schedules.size - schedulesBefore);
      const replayed = result.headers?.['idempotent-replayed'] === 'true';
      expect(added).toBe(replayed ? 0 : 1);
      if (added === 1) tally.reachedSideEffect();
    });
  });
});

describe('engine and Twilio codecs with fuzzed text', () => {
  it(
    'never throw: anything unreadable is a parse error',
    () => {
      const text = fc.oneof(
        fc.json({ maxDepth: 5 }),
        fc.string({ maxLength: 500 }),
        fc.string({ unit: 'binary', maxLength: 200 }),
      );
      fc.assert(
        fc.property(text, (t) => {
          for (const parse of [parseTwilioMessage, parseElevenLabs, parseOpenAi]) {
            expect(() => parse(t)).not.toThrow();
          }
        }),
        { numRuns: BODIES * 10, seed: SEED },
      );
    },
    FUZZ_TIMEOUT_MS,
  );
});
