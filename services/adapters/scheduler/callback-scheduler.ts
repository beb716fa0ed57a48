import { ConflictException, CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { DateTime } from 'luxon';
import { AT_PAST_TOLERANCE_MS } from '../../core/outbound/place-call.js';
import type { CallbackScheduler, OneTimeSchedule } from '../../core/ports/scheduler.js';

export interface EventBridgeCallbackSchedulerOptions {
  /** `CALLBACK_TARGET_ARN`: the outbound-call function the schedule invokes. */
  targetArn: string;
  /** `CALLBACK_SCHEDULE_ROLE_ARN`: the role EventBridge Scheduler assumes to invoke it. */
  roleArn: string;
  /** `CALLBACK_SCHEDULE_GROUP`; the account's `default` group when unset. */
  groupName?: string;
  /** `CALLBACK_DEAD_LETTER_ARN`: an SQS queue for firings that could not be delivered. */
  deadLetterArn?: string;
}

/**
 * How late a firing may still be delivered. Matches the core's tolerance for an `at` in the past
 * (`AT_PAST_TOLERANCE_MS`): a later delivery would be refused anyway rather than ring someone late.
 */
export const MAX_EVENT_AGE_SECONDS = AT_PAST_TOLERANCE_MS / 1000;
const MAX_RETRY_ATTEMPTS = 5;

/**
 * One-time callbacks as EventBridge Scheduler schedules: `at(...)` in local time with its zone,
 * deleted after they run. The name comes from the request's idempotency key, so a second create is
 * a `ConflictException`, reported as `{ created: false }`.
 */
export class EventBridgeCallbackScheduler implements CallbackScheduler {
  constructor(
    private readonly client: SchedulerClient,
    private readonly options: EventBridgeCallbackSchedulerOptions,
  ) {}

  async scheduleOnce(schedule: OneTimeSchedule): Promise<{ created: boolean }> {
    const local = DateTime.fromMillis(schedule.at, { zone: schedule.timezone });
    if (!local.isValid) throw new Error(`Invalid schedule time zone: ${schedule.timezone}`);
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: schedule.name,
          GroupName: this.options.groupName,
          ScheduleExpression: `at(${local.toFormat("yyyy-MM-dd'T'HH:mm:ss")})`,
          ScheduleExpressionTimezone: schedule.timezone,
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: this.options.targetArn,
            RoleArn: this.options.roleArn,
            Input: JSON.stringify(schedule.payload),
            RetryPolicy: {
              MaximumEventAgeInSeconds: MAX_EVENT_AGE_SECONDS,
              MaximumRetryAttempts: MAX_RETRY_ATTEMPTS,
            },
            ...(this.options.deadLetterArn ? { DeadLetterConfig: { Arn: this.options.deadLetterArn } } : {}),
          },
        }),
      );
      return { created: true };
    } catch (error) {
      if (error instanceof ConflictException) return { created: false };
      throw error;
    }
  }
}

/**
 * The scheduler of a configuration that names a target (`CALLBACK_*`, set by the stack), else
 * undefined: the local stack then uses its timer, and a Lambda or the bridge refuses future calls.
 */
export function eventBridgeSchedulerFor(
  callbacks: EventBridgeCallbackSchedulerOptions | undefined,
  client?: SchedulerClient,
): EventBridgeCallbackScheduler | undefined {
  return callbacks
    ? new EventBridgeCallbackScheduler(client ?? new SchedulerClient({}), callbacks)
    : undefined;
}
