/**
 * The sweeper's Lambda handler publishes `OldestUnfinalisedCallAge` as a CloudWatch embedded
 * metric; the local stack runs the same handler on a timer.
 */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  cloudWatchAgeSink,
  createFinalisationSweepHandler,
  sweepBudgetMs,
} from '../../functions/finalisation-sweep.js';
import { callTableStores } from '../../services/adapters/dynamodb/stores.js';
import { fetchWebhookPost } from '../../services/adapters/http/webhook-post.js';
import { harnessForSuite } from '../e2e/harness.js';
import { harness } from '../support/after-call-scenario.js';
import { startTestDynamo } from '../support/dynamo.js';
import { eventually } from '../support/wait-until';

describe('the sweep budget', () => {
  test('is 80 % of the interval, and ends 30 s before the invocation does', () => {
    expect(sweepBudgetMs(300)).toBe(240_000);
    // The stack's Lambda has 240 s: the run stops starting work with 30 s left.
    expect(sweepBudgetMs(300, 240_000)).toBe(210_000);
    expect(sweepBudgetMs(86_400, 240_000)).toBe(210_000);
    expect(sweepBudgetMs(300, 20_000)).toBe(0);
    expect(sweepBudgetMs(1)).toBe(10_000);
  });
});

describe('OldestUnfinalisedCallAge', () => {
  test('is one embedded-metric line: namespace BoltVoice, unit Seconds, no extra dimension', () => {
    const lines: string[] = [];
    // Tests run with POWERTOOLS_DEV (metrics off, printed through the global console): turn them on.
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    const spy = jest.spyOn(console, 'log').mockImplementation((line: unknown) => {
      lines.push(String(line));
    });
    try {
      cloudWatchAgeSink(new Metrics({ namespace: 'BoltVoice', serviceName: 'bolt-voice-test' }))(317);
    } finally {
      spy.mockRestore();
      delete process.env.POWERTOOLS_METRICS_DISABLED;
    }
    const emf = JSON.parse(lines.find((l) => l.includes('OldestUnfinalisedCallAge')) ?? '{}');
    expect(emf.OldestUnfinalisedCallAge).toBe(317);
    expect(emf._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'BoltVoice',
        Dimensions: [['service']],
        Metrics: [{ Name: 'OldestUnfinalisedCallAge', Unit: 'Seconds' }],
      },
    ]);
  });
});

describe('the local stack runs the sweeper on its timer', () => {
  const harness = harnessForSuite({
    env: { FINALISATION_SWEEP_SECONDS: '1', FINALISATION_GRACE_SECONDS: '0' },
  });

  test('a call with no status callback reaches the CRM without anyone calling the sweeper', async () => {
    const { callSid, stream } = await harness.call({ from: '+15551230042' });
    await stream.hangUp();
    harness.twilioRest.setCall({
      sid: callSid,
      status: 'completed',
      from: '+15551230042',
      to: '+15550001111',
      direction: 'inbound',
      duration: 7,
    });
    const rows = await eventually(
      () => harness.app.adapters.crm.callsBetween(0, Date.now() + 60_000),
      (r) => r.some((c) => c.callSid === callSid),
      8000,
    );
    expect(rows.find((c) => c.callSid === callSid)).toMatchObject({
      outcome: 'completed',
      durationSeconds: 7,
    });
  });
});

describe("the sweeper's run drives the integration webhook's retries (AWS)", () => {
  test('a delivery due by the run is attempted by it, once, with the frozen event', async () => {
    const dynamo = await startTestDynamo();
    const received: string[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push(Buffer.concat(chunks).toString('utf8'));
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const stores = callTableStores(dynamo.doc, await dynamo.newTable());
      const now = Date.UTC(2026, 11, 6, 2, 0, 0);
      const h = harness();
      const handler = createFinalisationSweepHandler({
        config: {
          finalisation: { sweepSeconds: 300, graceSeconds: 120 },
          twilio: { accountSid: `AC${'0'.repeat(32)}`, authToken: 't', phoneNumber: '+15550001111' },
        },
        finalise: {
          ...h.deps,
          integration: {
            url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
            secret: 'whsec_sweeper_test_0123456789',
            deliveries: stores.webhookDeliveries,
            post: fetchWebhookPost,
            now: () => now,
          },
        },
        sessions: stores.sessions,
        twilio: { getCall: async () => undefined, callsTo: async () => [] },
        publishAge: () => {},
        now: () => now,
      });
      const CALL = 'CA0123456789abcdef0123456789abcdef';
      await stores.webhookDeliveries.create({
        callSid: CALL,
        eventId: 'evt_sweep',
        body: '{"id":"evt_sweep"}',
        createdAt: now,
      });

      await handler();
      await handler();

      expect(received).toEqual(['{"id":"evt_sweep"}']);
      expect(await stores.webhookDeliveries.get(CALL)).toMatchObject({ status: 'delivered', attempts: 1 });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dynamo.close();
    }
  });
});
