/**
 * The integration webhook's retries in AWS: each message of the retry queue (delayed by SQS until
 * the retry is due) names one call; its delivery is attempted if due, or asked for again when it is
 * due later than SQS could delay it. Messages that fail are returned as batch item failures, so SQS
 * redelivers only those (then the dead-letter queue); the finalisation sweeper also finds any due
 * retry a message missed.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { retryMessageSchema } from '../services/adapters/sqs/webhook-retry-queue.js';
import {
  type IntegrationWebhookDeps,
  retryDelivery,
} from '../services/core/after-call/integration-webhook.js';
import { logger, withMaskedErrors } from '../services/core/shared/logging.js';
import { afterCallDeps } from '../services/wiring/lambda-after-call.js';
import { lazily } from '../services/wiring/lambda-container.js';

export type WebhookRetryHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

export function createWebhookRetryHandler(
  integration: IntegrationWebhookDeps | undefined,
): WebhookRetryHandler {
  return async (event) => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      let callSid: string;
      try {
        callSid = retryMessageSchema.parse(JSON.parse(record.body)).callSid;
      } catch {
        // Not ours to retry: dropped (redelivering it could never succeed).
        logger.warn('Webhook retry message not understood: dropped', { messageId: record.messageId });
        continue;
      }
      if (!integration) {
        logger.warn('INTEGRATION_WEBHOOK_URL is not set: a queued retry is dropped');
        continue;
      }
      try {
        await retryDelivery(integration, callSid);
      } catch {
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  };
}

const webhookRetryHandler = lazily(async () =>
  createWebhookRetryHandler((await afterCallDeps()).deps.integration),
);

/** The Lambda entry point. */
export const handler = withMaskedErrors(
  async (event: SQSEvent): Promise<SQSBatchResponse> => (await webhookRetryHandler())(event),
);
