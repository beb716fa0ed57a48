import { ConflictException, CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { EventBridgeCallbackScheduler } from '../../../services/adapters/scheduler/callback-scheduler.js';

const schedulerMock = mockClient(SchedulerClient);
const OPTIONS = {
  targetArn: 'arn:aws:lambda:us-east-1:111122223333:function:bolt-voice-outbound-call',
  roleArn: 'arn:aws:iam::111122223333:role/bolt-voice-callback-schedule',
  groupName: 'bolt-voice-callbacks',
  deadLetterArn: 'arn:aws:sqs:us-east-1:111122223333:bolt-voice-schedules-dlq',
};
const SCHEDULE = {
  name: 'callback-req-001',
  // 10:30 on Thu 26 Nov 2026 in New York.
  at: Date.UTC(2026, 10, 26, 15, 30, 0),
  timezone: 'America/New_York',
  payload: { to: '+12125550123', idempotencyKey: 'req-001', at: '2026-11-26T10:30:00-05:00' },
};

beforeEach(() => {
  schedulerMock.reset();
});

describe('EventBridgeCallbackScheduler', () => {
  test('creates a one-time at() schedule in local time with its zone, deleted after it runs', async () => {
    // Prepare
    schedulerMock.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:::schedule/x' });
    const scheduler = new EventBridgeCallbackScheduler(new SchedulerClient({ region: 'us-east-1' }), OPTIONS);

    // Act
    const result = await scheduler.scheduleOnce(SCHEDULE);

    // Assess
    expect(result).toEqual({ created: true });
    expect(schedulerMock).toHaveReceivedCommandTimes(CreateScheduleCommand, 1);
    expect(schedulerMock).toHaveReceivedCommandWith(CreateScheduleCommand, {
      Name: 'callback-req-001',
      GroupName: 'bolt-voice-callbacks',
      ScheduleExpression: 'at(2026-11-26T10:30:00)',
      ScheduleExpressionTimezone: 'America/New_York',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: OPTIONS.targetArn,
        RoleArn: OPTIONS.roleArn,
        Input: JSON.stringify(SCHEDULE.payload),
        RetryPolicy: { MaximumEventAgeInSeconds: 900, MaximumRetryAttempts: 5 },
        DeadLetterConfig: { Arn: OPTIONS.deadLetterArn },
      },
    });
  });

  test('a schedule that already exists (same idempotency key) is created: false', async () => {
    schedulerMock
      .on(CreateScheduleCommand)
      .rejects(new ConflictException({ Message: 'exists', message: 'exists', $metadata: {} }));
    const scheduler = new EventBridgeCallbackScheduler(new SchedulerClient({ region: 'us-east-1' }), OPTIONS);
    expect(await scheduler.scheduleOnce(SCHEDULE)).toEqual({ created: false });
  });

  test('other errors propagate', async () => {
    schedulerMock.on(CreateScheduleCommand).rejects(new Error('AccessDenied'));
    const scheduler = new EventBridgeCallbackScheduler(new SchedulerClient({ region: 'us-east-1' }), OPTIONS);
    await expect(scheduler.scheduleOnce(SCHEDULE)).rejects.toThrow('AccessDenied');
  });
});
