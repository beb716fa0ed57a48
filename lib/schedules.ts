import { Duration, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import { type IRole, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Schedule, ScheduleExpression, ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterQueue } from './dead-letter-queue.js';
import type { HouseFunction } from './house-function.js';
import { acknowledgeWildcardResource } from './nag.js';

export interface SchedulesProps {
  readonly digestFunction: HouseFunction;
  /** Creates one-time callback schedules that invoke itself (POST /calls with a future `at`). */
  readonly callbackFunction: HouseFunction;
  readonly timeZone: string;
  /** Local HH:mm in timeZone. */
  readonly digestTime: string;
  /** Finalises calls whose status callback never came; runs every `sweepSeconds`. */
  readonly finalisationSweepFunction: HouseFunction;
  /** FINALISATION_SWEEP_SECONDS (default 300); EventBridge Scheduler's rate is in whole minutes. */
  readonly sweepSeconds?: number;
}

export const DEFAULT_SWEEP_SECONDS = 300;

/** Retries and event age of the daily digest's schedule: a digest hours late is useless. */
export const SCHEDULE_RETRY = { retryAttempts: 3, maxEventAgeSeconds: 3600 } as const;
/** Lambda's own retries of a scheduled function that failed (its asynchronous-invoke maximum). */
export const ASYNC_RETRY_ATTEMPTS = 2;
// One-time callback schedules are created at run time by the place-call function
// (services/adapters/scheduler/callback-scheduler.ts), with the core's 15-minute lateness rule
// (AT_PAST_TOLERANCE_MS) as their event age: a later firing would be refused anyway.

/**
 * EventBridge Scheduler: the daily digest at a local time in the business's time zone, the
 * finalisation sweeper's rate schedule, and the
 * group, role and dead-letter queue for the one-time callback schedules the outbound function creates.
 */
export class Schedules extends Construct {
  public readonly digestSchedule: Schedule;
  public readonly finalisationSweepSchedule: Schedule;
  public readonly deadLetterQueue: Queue;
  public readonly callbackGroup: ScheduleGroup;
  public readonly callbackRole: Role;
  /** The place-call function that callback schedules invoke. */
  public readonly callbackTargetArn: string;

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);
    const [hour = '8', minute = '0'] = props.digestTime.split(':');

    // Failed invocations of every schedule land here, and an alarm watches it: the Scheduler's
    // dead letters (the invocation could not be delivered) and Lambda's on-failure records (the
    // function ran and failed through its asynchronous retries: the Scheduler invokes Lambda
    // asynchronously, so its own retry policy never sees a function error).
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue', 'the EventBridge Scheduler targets');
    const onFailure = new SqsDestination(this.deadLetterQueue);
    // A digest retried is still sent once (its day's marker); a callback retried is placed once
    // (its idempotency key), and a due callback whose request is still leased throws on purpose so a
    // retry resolves it. The sweeper is not retried: the next run, minutes later, does the same work.
    props.digestFunction.configureAsyncInvoke({
      onFailure,
      retryAttempts: ASYNC_RETRY_ATTEMPTS,
      maxEventAge: Duration.seconds(SCHEDULE_RETRY.maxEventAgeSeconds),
    });
    props.callbackFunction.configureAsyncInvoke({ onFailure, retryAttempts: ASYNC_RETRY_ATTEMPTS });
    props.finalisationSweepFunction.configureAsyncInvoke({ onFailure, retryAttempts: 0 });

    const digestRole = this.schedulerRole('DigestRole', 'run the daily digest');
    this.digestSchedule = new Schedule(this, 'DailyDigest', {
      description: 'Daily digest email to the owner, at a local time in the business time zone',
      schedule: ScheduleExpression.cron({
        minute: String(Number(minute)),
        hour: String(Number(hour)),
        timeZone: TimeZone.of(props.timeZone),
      }),
      target: new LambdaInvoke(props.digestFunction, {
        role: digestRole,
        retryAttempts: SCHEDULE_RETRY.retryAttempts,
        maxEventAge: Duration.seconds(SCHEDULE_RETRY.maxEventAgeSeconds),
        deadLetterQueue: this.deadLetterQueue,
      }),
    });
    acknowledgeWildcardResource(
      digestRole,
      `${props.digestFunction.functionArn}:*`,
      'The scheduler target grants invoke on the digest function and its versions/aliases (ARN:*); it is still only that one function.',
    );

    // The finalisation sweeper: a rate schedule. A missed run is harmless (the next one finds the
    // same calls), so a short event age; failures still reach the dead-letter queue.
    const sweepSeconds = props.sweepSeconds ?? DEFAULT_SWEEP_SECONDS;
    const sweepRole = this.schedulerRole('FinalisationSweepRole', 'run the finalisation sweeper');
    this.finalisationSweepSchedule = new Schedule(this, 'FinalisationSweep', {
      description: 'Finalises calls whose Twilio status callback never came; retries pending finalisations',
      schedule: ScheduleExpression.rate(Duration.minutes(Math.max(1, Math.round(sweepSeconds / 60)))),
      target: new LambdaInvoke(props.finalisationSweepFunction, {
        role: sweepRole,
        retryAttempts: 0,
        maxEventAge: Duration.seconds(Math.max(60, sweepSeconds)),
        deadLetterQueue: this.deadLetterQueue,
      }),
    });
    props.finalisationSweepFunction.addEnvironment('FINALISATION_SWEEP_SECONDS', String(sweepSeconds));
    acknowledgeWildcardResource(
      sweepRole,
      `${props.finalisationSweepFunction.functionArn}:*`,
      'The scheduler target grants invoke on the sweep function and its versions/aliases (ARN:*); it is still only that one function.',
    );

    // One-time callbacks: the function creates schedules in this group that invoke itself with the
    // original POST /calls body, through this role.
    // The group has a fixed name (CDK derives it from the path), so it must not outlive a failed
    // first create: a retry would fail with "already exists". Deleting it deletes pending callbacks
    // with the stack, which is what deleting the stack means.
    this.callbackGroup = new ScheduleGroup(this, 'CallbackGroup', { removalPolicy: RemovalPolicy.DESTROY });
    const { account } = Stack.of(this);
    this.callbackRole = new Role(this, 'CallbackRole', {
      description: 'Assumed by EventBridge Scheduler to run one-time callback schedules',
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          // Confused-deputy guard: only schedules of this group, in this account, may use the role.
          StringEquals: {
            'aws:SourceAccount': account,
            'aws:SourceArn': this.callbackGroup.scheduleGroupArn,
          },
        },
      }),
    });
    // Exactly the function (no `:*` for versions and aliases, which grantInvoke would add).
    this.callbackRole.addToPolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [props.callbackFunction.functionArn],
      }),
    );
    this.deadLetterQueue.grantSendMessages(this.callbackRole);

    this.callbackTargetArn = props.callbackFunction.knownArn();
    const fn = props.callbackFunction;
    if (fn.role) this.allowCreatingCallbacks(fn.role, (name, value) => fn.addEnvironment(name, value));
  }

  /**
   * Lets a principal create one-time callback schedules in this group (POST /calls with a future
   * `at`, and the agent's `schedule_callback` tool on the bridge), with the environment it needs.
   */
  allowCreatingCallbacks(role: IRole, addEnvironment: (name: string, value: string) => void): void {
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['scheduler:CreateSchedule', 'scheduler:GetSchedule', 'scheduler:DeleteSchedule'],
        resources: [`${this.callbackScheduleArnPrefix()}*`],
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.callbackRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    acknowledgeWildcardResource(
      role,
      `${this.callbackScheduleArnPrefix()}*`,
      'Callback schedules are created at run time with names derived from the call; the wildcard is limited to schedules in this one group.',
    );
    addEnvironment('CALLBACK_SCHEDULE_GROUP', this.callbackGroup.scheduleGroupName);
    addEnvironment('CALLBACK_SCHEDULE_ROLE_ARN', this.callbackRole.roleArn);
    addEnvironment('CALLBACK_TARGET_ARN', this.callbackTargetArn);
    addEnvironment('CALLBACK_DEAD_LETTER_ARN', this.deadLetterQueue.queueArn);
  }

  private callbackScheduleArnPrefix(): string {
    const { partition, region, account } = Stack.of(this);
    return `arn:${partition}:scheduler:${region}:${account}:schedule/${this.callbackGroup.scheduleGroupName}/`;
  }

  /** A role EventBridge Scheduler assumes, for schedules of this account only, to `what`. */
  private schedulerRole(id: string, what: string): Role {
    return new Role(this, id, {
      description: `Assumed by EventBridge Scheduler to ${what}`,
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    });
  }
}
