import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoWebhookDeliveries } from '../../services/adapters/dynamodb/webhook-deliveries.js';
import { fetchWebhookPost } from '../../services/adapters/http/webhook-post.js';
import {
  attemptDelivery,
  type CallCompletedEvent,
  callCompletedEvent,
  deliverDue,
  enqueueCallCompleted,
  type IntegrationWebhookDeps,
  SIGNATURE_HEADER,
  signatureHeader,
  verifySignature,
} from '../../services/core/after-call/integration-webhook.js';
import type { CallRow } from '../../services/core/ports/crm.js';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.js';

const SECRET = 'whsec_test_0123456789abcdef';
const CALL = 'CA0123456789abcdef0123456789abcdef';
const T0 = Date.UTC(2026, 11, 6, 15, 0, 0);

const row: CallRow = {
  callSid: CALL,
  direction: 'inbound',
  from: '+12125550123',
  to: '+15550001111',
  servedBy: 'elevenlabs',
  failedOver: false,
  startedAt: T0 - 125_000,
  endedAt: T0,
  durationSeconds: 125,
  outcome: 'completed',
  summary: 'Asked for a cleaning; booked.',
  turns: [{ seq: 1, role: 'caller', text: 'Hi, a cleaning please.', at: T0 - 120_000 }],
  cost: { currency: 'USD', total: 0.2755, twilio: { minutes: 3, amount: 0.0255 }, engines: [] },
  recording: { status: 'recorded', url: 'https://recordings.example/r.wav?sig=1' },
};
const links = {
  lead: {
    id: 'lead-1',
    customerId: 'cust-1',
    callSid: CALL,
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    phone: '+12125550123',
    interest: 'Whitening',
    createdAt: T0,
  },
  appointment: {
    id: 'appt-1',
    customerId: 'cust-1',
    callSid: CALL,
    start: T0 + 86_400_000,
    end: T0 + 86_400_000 + 1_800_000,
    calendarEventId: 'ev1',
    name: 'Ada Lovelace',
    phone: '+12125550123',
    purpose: 'Cleaning',
    createdAt: T0,
  },
};

/** A real receiver on 127.0.0.1: answers each request with the next status (the last repeats). */
async function receiver(statuses: number[]) {
  const received: Array<{ body: string; signature: string; id: string }> = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({
        body,
        signature: String(req.headers[SIGNATURE_HEADER.toLowerCase()] ?? ''),
        id: (JSON.parse(body) as CallCompletedEvent).id,
      });
      res.statusCode = statuses[Math.min(received.length - 1, statuses.length - 1)] ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/bolt`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await startTestDynamo();
});
afterAll(async () => {
  await dynamo.close();
});

async function deps(url: string, clock: { now: number }): Promise<IntegrationWebhookDeps> {
  const table = await dynamo.newTable();
  return {
    url,
    secret: SECRET,
    deliveries: new DynamoWebhookDeliveries(dynamo.doc, { tableName: table }),
    post: fetchWebhookPost,
    now: () => clock.now,
  };
}

describe('the call.completed event', () => {
  it("holds what the owner's email holds (no phone number, no transcript), with the recording link", () => {
    const event = callCompletedEvent({ row, links }, T0, 'evt_fixed');
    expect(event).toEqual({
      id: 'evt_fixed',
      type: 'call.completed',
      created: T0 / 1000,
      data: {
        callSid: CALL,
        direction: 'inbound',
        startedAt: '2026-12-06T14:57:55.000Z',
        durationSeconds: 125,
        outcome: 'completed',
        engine: 'elevenlabs',
        summary: 'Asked for a cleaning; booked.',
        lead: { name: 'Ada Lovelace', email: 'ada@example.com', business: null, interest: 'Whitening' },
        appointment: {
          startsAt: '2026-12-07T15:00:00.000Z',
          endsAt: '2026-12-07T15:30:00.000Z',
          purpose: 'Cleaning',
        },
        callbackDue: false,
        estimatedCost: { amount: 0.2755, currency: 'USD' },
        recordingUrl: 'https://recordings.example/r.wav?sig=1',
      },
    });
    expect(JSON.stringify(event)).not.toContain('+1212');
    expect(
      JSON.stringify(callCompletedEvent({ row: { ...row, recording: undefined }, links: {} }, T0)),
    ).not.toContain('recordingUrl');
  });

  it('is signed as Stripe signs: t=<seconds>,v1=<hex HMAC-SHA256 of "t.body">, and Stripe\'s check accepts it', () => {
    const body = '{"id":"evt_1"}';
    const header = signatureHeader(SECRET, body, 1_700_000_000);
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature(SECRET, body, header, 1_700_000_010)).toBe(true);
    expect(verifySignature(SECRET, `${body} `, header, 1_700_000_010)).toBe(false);
    expect(verifySignature('another-secret-000000', body, header, 1_700_000_010)).toBe(false);
    // An old request replayed later is refused (5 min tolerance).
    expect(verifySignature(SECRET, body, header, 1_700_000_000 + 301)).toBe(false);
  });
});

describe('delivery', () => {
  it('a receiver that answers 500 then 200 gets the same event id and body twice, each freshly signed', async () => {
    const hook = await receiver([500, 200]);
    const clock = { now: T0 };
    const d = await deps(hook.url, clock);
    try {
      const delivery = await enqueueCallCompleted(d, { row, links });
      expect(await attemptDelivery(d, CALL)).toBe('pending');
      expect(await d.deliveries.get(CALL)).toMatchObject({
        attempts: 1,
        lastResult: 'HTTP 500',
        nextAttemptAt: T0 + 10_000,
      });
      // Not due yet: nothing is sent.
      clock.now = T0 + 9_000;
      expect(await deliverDue(d)).toBe(0);
      clock.now = T0 + 10_000;
      expect(await deliverDue(d)).toBe(1);
      expect(hook.received.map((r) => r.id)).toEqual([delivery.eventId, delivery.eventId]);
      expect(hook.received[0]?.body).toBe(hook.received[1]?.body);
      for (const [i, r] of hook.received.entries()) {
        expect(
          verifySignature(SECRET, r.body, r.signature, Math.floor((i === 0 ? T0 : T0 + 10_000) / 1000)),
        ).toBe(true);
      }
      expect(await d.deliveries.get(CALL)).toMatchObject({
        status: 'delivered',
        attempts: 2,
        lastResult: 'HTTP 200',
      });
      expect(await d.deliveries.due(clock.now + 365 * 86_400_000, 10)).toEqual([]);
      // A second finalisation run keeps the first event.
      expect((await enqueueCallCompleted(d, { row, links })).eventId).toBe(delivery.eventId);
    } finally {
      await hook.close();
    }
  });

  it('retries with growing waits for 24 h, then keeps the event as failed for the digest', async () => {
    const hook = await receiver([503]);
    const clock = { now: T0 };
    const d = await deps(hook.url, clock);
    try {
      await enqueueCallCompleted(d, { row, links });
      const attemptsAt: number[] = [];
      for (let i = 0; i < 40; i++) {
        const delivery = await d.deliveries.get(CALL);
        if (delivery?.status !== 'pending') break;
        clock.now = delivery.nextAttemptAt ?? clock.now;
        attemptsAt.push((clock.now - T0) / 1000);
        await deliverDue(d);
      }
      expect(attemptsAt).toEqual([
        0, 10, 70, 370, 1270, 3070, 6670, 13_870, 28_270, 42_670, 57_070, 71_470, 85_870,
      ]);
      expect(await d.deliveries.get(CALL)).toMatchObject({
        status: 'failed',
        attempts: 13,
        lastResult: 'HTTP 503',
      });
      expect(hook.received).toHaveLength(13);
      expect(new Set(hook.received.map((r) => r.id)).size).toBe(1);
      expect(await d.deliveries.failedBetween(T0, T0 + 2 * 86_400_000)).toEqual([
        { callSid: CALL, eventId: hook.received[0]?.id, failedAt: T0 + 85_870_000 },
      ]);
    } finally {
      await hook.close();
    }
  });

  it('a receiver that never answers times out (5 s) and is retried; a refused connection is retried too', async () => {
    const clock = { now: T0 };
    const d = await deps('http://127.0.0.1:9/unreachable', clock);
    await enqueueCallCompleted(d, { row, links });
    expect(await attemptDelivery(d, CALL)).toBe('pending');
    expect(await d.deliveries.get(CALL)).toMatchObject({
      lastResult: 'network error',
      nextAttemptAt: T0 + 10_000,
    });
    const slow = {
      ...d,
      post: async () => {
        const error = new Error('The operation was aborted due to timeout');
        error.name = 'TimeoutError';
        throw error;
      },
    };
    clock.now = T0 + 10_000;
    expect(await attemptDelivery(slow, CALL)).toBe('pending');
    expect(await d.deliveries.get(CALL)).toMatchObject({ attempts: 2, lastResult: 'timeout' });
  });

  it('two runners at once send one attempt (the claim is a conditional write)', async () => {
    const hook = await receiver([200]);
    const d = await deps(hook.url, { now: T0 });
    try {
      await enqueueCallCompleted(d, { row, links });
      await Promise.all([attemptDelivery(d, CALL), attemptDelivery(d, CALL), deliverDue(d)]);
      expect(hook.received).toHaveLength(1);
    } finally {
      await hook.close();
    }
  });
});
