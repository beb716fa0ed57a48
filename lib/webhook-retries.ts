import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterQueue } from './dead-letter-queue.js';
import type { HouseFunction } from './house-function.js';

export interface WebhookRetriesProps {
  /** Consumes the queue: one attempt per message (functions/webhook-retry.ts). */
  readonly consumer: HouseFunction;
  /** Send the first retry after a failed first attempt (the functions that finalise calls). */
  readonly producers: readonly HouseFunction[];
}

/**
 * The integration webhook's retries in AWS: a message per retry, delayed by SQS until it is due
 * (at most 15 min at a time; the consumer asks again for a later one), so the first retry comes
 * after 10 s rather than at the next sweep. The call table stays the record of truth: a message
 * that fails three times goes to the dead-letter queue, and the finalisation sweeper still finds
 * the retry it was for.
 */
export class WebhookRetries extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: WebhookRetriesProps) {
    super(scope, id);
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue', 'the webhook retry queue');
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the consumer's timeout, as Lambda's SQS integration asks.
      visibilityTimeout: Duration.seconds(6 * (props.consumer.timeout?.toSeconds() ?? 90)),
      retentionPeriod: Duration.days(2),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 3 },
    });
    props.consumer.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true }),
    );
    for (const fn of [...props.producers, props.consumer] as IFunction[]) {
      this.queue.grantSendMessages(fn);
    }
    for (const fn of [...props.producers, props.consumer]) {
      fn.addEnvironment('WEBHOOK_RETRY_QUEUE_URL', this.queue.queueUrl);
    }
  }
}
