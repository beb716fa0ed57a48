/**
 * The integration webhook through the local stack: a finalised call sends one signed `call.completed`
 * event to a real receiver, which verifies it with the documented recipe; a receiver that answers
 * 500 then 200 gets the same event id twice (the local timer drives the retry); the calls page shows
 * the delivery.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CallCompletedEvent, verifySignature } from '../../services/core/after-call/integration-webhook';
import { eventually } from '../support/wait-until';
import { callThatSaidHello } from './engine-driver';
import { type Harness, startHarness, statusCallback, turnsStored } from './harness';

const SECRET = 'whsec_local_test_secret_0123456789';
const CALLER = '+15551239999';

interface Received {
  id: string;
  body: string;
  signature: string;
  verified: boolean;
}

/** A receiver as an owner's tool would run it: verify the raw body, then answer the next status. */
async function startReceiver(statuses: number[]) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const signature = String(req.headers['bolt-signature'] ?? '');
      received.push({
        id: (JSON.parse(body) as CallCompletedEvent).id,
        body,
        signature,
        verified: verifySignature(SECRET, body, signature, Math.floor(Date.now() / 1000)),
      });
      res.statusCode = statuses[Math.min(received.length - 1, statuses.length - 1)] ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/bolt`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('integration webhook through the local stack', () => {
  let harness: Harness;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let recordings: string;
  /** The after-call clock: moved forward to make the first retry due without waiting 10 s. */
  let offsetMs = 0;

  beforeAll(async () => {
    receiver = await startReceiver([500, 200]);
    recordings = await mkdtemp(join(tmpdir(), 'bolt-webhook-rec-'));
    harness = await startHarness({
      env: {
        INTEGRATION_WEBHOOK_URL: receiver.url,
        INTEGRATION_WEBHOOK_SECRET: SECRET,
        RECORD_CALLS: 'on',
        LOCAL_RECORDINGS_DIR: recordings,
      },
      now: () => Date.now() + offsetMs,
    });
  });
  afterAll(async () => {
    await harness?.close();
    await receiver?.close();
    await rm(recordings, { recursive: true, force: true });
  });

  it('sends a signed call.completed event; after a 500 the same event id comes again and is delivered', async () => {
    const { callSid, stream, driver } = await callThatSaidHello(harness, 'elevenlabs', CALLER);
    driver.transcripts('I would like a quote.', 'Of course. Can I take your name?');
    await turnsStored(harness, callSid, 2, 8000);
    await stream.hangUp();
    expect((await statusCallback(harness, { callSid, from: CALLER, callStatus: 'completed' })).status).toBe(
      200,
    );

    // The first attempt is made by finalisation itself, and the receiver answers 500.
    await eventually(
      async () => receiver.received.length,
      (n) => n >= 1,
      8000,
    );
    expect(await harness.stack.stores.webhookDeliveries.get(callSid)).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastResult: 'HTTP 500',
    });
    // Ten seconds later by the after-call clock, the local timer (every second) retries it.
    offsetMs = 11_000;
    await eventually(
      () => harness.stack.stores.webhookDeliveries.get(callSid),
      (d) => d?.status === 'delivered',
      8000,
    );

    expect(receiver.received).toHaveLength(2);
    const [first, second] = receiver.received as [Received, Received];
    expect(first.verified && second.verified).toBe(true);
    expect(second.id).toBe(first.id);
    expect(second.body).toBe(first.body);
    expect(first.id).toMatch(/^evt_[0-9a-f]{24}$/);
    const event = JSON.parse(first.body) as CallCompletedEvent;
    expect(event).toMatchObject({
      type: 'call.completed',
      data: {
        callSid,
        direction: 'inbound',
        outcome: 'completed',
        engine: 'elevenlabs',
        callbackDue: false,
        recordingUrl: `${harness.stack.config.publicUrl}/calls/${callSid}/recording.wav`,
      },
    });
    expect(first.body).not.toContain(CALLER);
    expect(first.signature).toMatch(/^t=\d{10},v1=[0-9a-f]{64}$/);
    expect(await harness.stack.stores.webhookDeliveries.get(callSid)).toMatchObject({
      status: 'delivered',
      attempts: 2,
      lastResult: 'HTTP 200',
    });

    // The calls page shows the delivery.
    const opened = await fetch(harness.app.pageLink('/calls'), { redirect: 'manual' });
    const cookie = (opened.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const list = await (await fetch(`${harness.stack.url}/calls`, { headers: { cookie } })).text();
    expect(list).toContain('delivered (2 attempts)');
    const page = await (await fetch(`${harness.stack.url}/calls/${callSid}`, { headers: { cookie } })).text();
    expect(page).toContain(first.id);
    expect(page).toMatch(/<dt>Attempts<\/dt><dd>2<\/dd>/);
  });
});
