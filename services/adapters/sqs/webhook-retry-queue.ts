import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';

/** SQS delays a message at most this long; a later retry is asked for again when the message comes. */
export const MAX_DELAY_SECONDS = 900;

/** The retry queue's message: which call's delivery to try. */
export const retryMessageSchema = z.object({ callSid: z.string().regex(/^CA[0-9a-fA-F]{32}$/) });

/**
 * The integration webhook's retries in AWS: one message per retry, delayed until it is due (up to
 * 15 minutes at a time), consumed by the WebhookRetry function. The call table stays the record of
 * truth: a lost message only leaves the retry to the finalisation sweeper.
 */
export function sqsRetryScheduler(
  queueUrl: string,
  now: () => number,
  client: SQSClient = new SQSClient({}),
): (callSid: string, dueAt: number) => Promise<void> {
  return async (callSid, dueAt) => {
    const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil((dueAt - now()) / 1000)));
    await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify({ callSid }),
        DelaySeconds: delaySeconds,
      }),
    );
  };
}
