import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { DateTime } from 'luxon';
import { TimerCallbackScheduler } from '../../services/adapters/memory/timer-scheduler.js';
import { EventBridgeCallbackScheduler } from '../../services/adapters/scheduler/callback-scheduler.js';
import type { OneTimeSchedule } from '../../services/core/ports/scheduler.js';
import { describeCallbackSchedulerContract, SCHEDULER_NOW } from './callback-scheduler.contract.js';

const timers: TimerCallbackScheduler[] = [];
afterEach(() => {
  for (const timer of timers.splice(0)) timer.close();
});

describeCallbackSchedulerContract('TimerCallbackScheduler (local stack)', async () => {
  // Nothing runs: the schedules are a day ahead of the clock and closed after each test.
  const scheduler = new TimerCallbackScheduler({ now: () => SCHEDULER_NOW, run: async () => {} });
  timers.push(scheduler);
  return { scheduler, scheduled: async () => [...scheduler.schedules.values()] };
});

// EventBridge Scheduler stood in by aws-sdk-client-mock, with its documented behaviour: a name that
// exists in the group is a ConflictException. What it will fire is read back from the commands.
const schedulerMock = mockClient(SchedulerClient);
afterEach(() => schedulerMock.reset());

describeCallbackSchedulerContract(
  'EventBridgeCallbackScheduler (EventBridge Scheduler stood in by aws-sdk-client-mock)',
  async () => {
    const created = new Map<string, CreateScheduleCommandInput>();
    schedulerMock.on(CreateScheduleCommand).callsFake((input: CreateScheduleCommandInput) => {
      const name = input.Name ?? '';
      if (created.has(name)) {
        const message = `Schedule ${name} already exists.`;
        throw new ConflictException({ Message: message, message, $metadata: {} });
      }
      created.set(name, input);
      return { ScheduleArn: `arn:aws:scheduler:us-east-1:111122223333:schedule/callbacks/${name}` };
    });
    const scheduler = new EventBridgeCallbackScheduler(new SchedulerClient({ region: 'us-east-1' }), {
      targetArn: 'arn:aws:lambda:us-east-1:111122223333:function:bolt-voice-outbound-call',
      roleArn: 'arn:aws:iam::111122223333:role/bolt-voice-callback-schedule',
      groupName: 'callbacks',
    });
    return { scheduler, scheduled: async () => [...created.values()].map(asSchedule) };
  },
);

/** What a created schedule will fire: its `at(…)` read in its zone, its target's input. */
function asSchedule(input: CreateScheduleCommandInput): OneTimeSchedule {
  const local = /^at\((.+)\)$/.exec(input.ScheduleExpression ?? '')?.[1] ?? '';
  const timezone = input.ScheduleExpressionTimezone ?? 'UTC';
  return {
    name: input.Name ?? '',
    at: DateTime.fromISO(local, { zone: timezone }).toMillis(),
    timezone,
    payload: JSON.parse(input.Target?.Input ?? '{}') as Record<string, unknown>,
  };
}
