import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createWebhookRetryHandler } from '../../functions/webhook-retry.js';
import { DynamoWebhookDeliveries } from '../../services/adapters/dynamodb/webhook-deliveries.js';
import { MAX_DELAY_SECONDS, sqsRetryScheduler } from '../../services/adapters/sqs/webhook-retry-queue.js';
import type { IntegrationWebhookDeps } from '../../services/core/after-call/integration-webhook.js';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.js';

const CALL = 'CA0123456789abcdef0123456789abcdef';
const T0 = Date.UTC(2026, 11, 6, 2, 0, 0);
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/retries';

const event = (...bodies: string[]): SQSEvent =>
  ({ Records: bodies.map((body, i) => ({ messageId: `m${i}`, body })) }) as unknown as SQSEvent;

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await startTestDynamo();
});
afterAll(async () => {
  await dynamo.close();
});

async function rig(statuses: number[]) {
  const clock = { now: T0 };
  const posted: string[] = [];
  const scheduled: Array<[string, number]> = [];
  const deps: IntegrationWebhookDeps = {
    url: 'https://hooks.example.com/bolt',
    secret: 'whsec_retry_test_0123456789',
    deliveries: new DynamoWebhookDeliveries(dynamo.doc, { tableName: await dynamo.newTable() }),
    post: async (_url, body) => {
      posted.push(body);
      return { status: statuses[Math.min(posted.length - 1, statuses.length - 1)] ?? 200 };
    },
    now: () => clock.now,
    scheduleRetry: async (callSid, dueAt) => {
      scheduled.push([callSid, dueAt]);
    },
  };
  await deps.deliveries.create({ callSid: CALL, eventId: 'evt_q', body: '{"id":"evt_q"}', createdAt: T0 });
  return { deps, clock, posted, scheduled };
}

describe('the webhook retry function (AWS)', () => {
  it('a failed attempt asks for its retry when due; the message, once due, makes the attempt', async () => {
    const { deps, clock, posted, scheduled } = await rig([500, 200]);
    const handler = createWebhookRetryHandler(deps);
    // The first attempt (finalisation's) fails: the retry is asked for 10 s later.
    expect(await handler(event(JSON.stringify({ callSid: CALL })))).toEqual({ batchItemFailures: [] });
    expect(scheduled).toEqual([[CALL, T0 + 10_000]]);
    clock.now = T0 + 10_000;
    await handler(event(JSON.stringify({ callSid: CALL })));
    expect(posted).toEqual(['{"id":"evt_q"}', '{"id":"evt_q"}']);
    expect(await deps.deliveries.get(CALL)).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('a message that comes before its retry is due (SQS delays 15 min at most) is asked for again then', async () => {
    const { deps, clock, posted, scheduled } = await rig([500]);
    const handler = createWebhookRetryHandler(deps);
    for (let i = 0; i < 4; i++) {
      const d = await deps.deliveries.get(CALL);
      clock.now = d?.nextAttemptAt ?? clock.now;
      await handler(event(JSON.stringify({ callSid: CALL })));
    }
    // The fifth retry is due 30 min after the fourth attempt; a message 15 min later finds it early.
    const due = (await deps.deliveries.get(CALL))?.nextAttemptAt ?? 0;
    clock.now = due - 15 * 60_000;
    scheduled.length = 0;
    await handler(event(JSON.stringify({ callSid: CALL })));
    expect(posted).toHaveLength(4);
    expect(scheduled).toEqual([[CALL, due]]);
  });

  it('drops a message that is not a retry; reports a store failure as a batch item failure', async () => {
    const { deps } = await rig([200]);
    const broken: IntegrationWebhookDeps = {
      ...deps,
      deliveries: {
        ...deps.deliveries,
        claim: async () => undefined,
        get: async () => {
          throw new Error('ProvisionedThroughputExceededException');
        },
      } as IntegrationWebhookDeps['deliveries'],
    };
    expect(await createWebhookRetryHandler(deps)(event('not json', '{"callSid":"x"}'))).toEqual({
      batchItemFailures: [],
    });
    expect(await createWebhookRetryHandler(broken)(event(JSON.stringify({ callSid: CALL })))).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm0' }],
    });
  });
});

describe('the SQS retry scheduler', () => {
  it('sends the call with a delay until the retry is due, at most 15 min', async () => {
    // Prepare
    const sqs = new SQSClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const mock = mockClient(sqs);
    mock.on(SendMessageCommand).resolves({});
    const schedule = sqsRetryScheduler(QUEUE, () => T0, sqs);
    // Act
    await schedule(CALL, T0 + 10_000);
    await schedule(CALL, T0 + 4 * 3600_000);
    await schedule(CALL, T0 - 5000);
    // Assess
    expect(mock.commandCalls(SendMessageCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: QUEUE, MessageBody: JSON.stringify({ callSid: CALL }), DelaySeconds: 10 },
      { QueueUrl: QUEUE, MessageBody: JSON.stringify({ callSid: CALL }), DelaySeconds: MAX_DELAY_SECONDS },
      { QueueUrl: QUEUE, MessageBody: JSON.stringify({ callSid: CALL }), DelaySeconds: 0 },
    ]);
  });
});
