import { Match } from 'aws-cdk-lib/assertions';
import { FUNCTION_TABLE } from '../../lib/lambda-functions.js';
import { logicalId, resourcesOfType, template } from './fixture.js';

describe('daily digest schedule', () => {
  it('runs at the configured local time in the business time zone, with retries and a dead-letter queue', () => {
    template().hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 18 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/London',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: { 'Fn::GetAtt': [logicalId('AWS::Lambda::Function', 'FunctionsDailyDigest'), 'Arn'] },
        RoleArn: { 'Fn::GetAtt': [logicalId('AWS::IAM::Role', 'SchedulesDigestRole'), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: {
          Arn: { 'Fn::GetAtt': [logicalId('AWS::SQS::Queue', 'SchedulesDeadLetterQueue'), 'Arn'] },
        },
      },
    });
  });

  it('keeps failed invocations 14 days in an encrypted queue reachable only over TLS', () => {
    template().hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
    });
    template().hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('has a group for the one-time callback schedules', () => {
    template().resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
  });
});

describe('finalisation sweep schedule', () => {
  it('runs the sweep function every 5 minutes (FINALISATION_SWEEP_SECONDS), failures to the dead-letter queue', () => {
    const sweepFn = logicalId('AWS::Lambda::Function', 'FunctionsFinalisationSweep');
    template().hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::GetAtt': [sweepFn, 'Arn'] },
        RoleArn: { 'Fn::GetAtt': [logicalId('AWS::IAM::Role', 'SchedulesFinalisationSweepRole'), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300 },
        DeadLetterConfig: {
          Arn: { 'Fn::GetAtt': [logicalId('AWS::SQS::Queue', 'SchedulesDeadLetterQueue'), 'Arn'] },
        },
      },
    });
    // The scheduler's role may invoke the sweep function, and nothing else.
    template().hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId('AWS::IAM::Role', 'SchedulesFinalisationSweepRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'lambda:InvokeFunction',
            Resource: Match.arrayWith([{ 'Fn::GetAtt': [sweepFn, 'Arn'] }]),
          }),
        ]),
      },
    });
    const [, fn] = resourcesOfType('AWS::Lambda::Function').find(([id]) => id === sweepFn) ?? [];
    expect(JSON.stringify(fn)).toContain('FINALISATION_SWEEP_SECONDS');
  });

  it('the call table has the sparse unfinalised index the sweeper queries', () => {
    template().hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      GlobalSecondaryIndexes: [
        {
          IndexName: 'unfinalised',
          KeySchema: [
            { AttributeName: 'sweepPk', KeyType: 'HASH' },
            { AttributeName: 'sweepSince', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['callSid', 'status'] },
        },
      ],
    });
  });
});

describe('alarms', () => {
  const alarms = () => resourcesOfType('AWS::CloudWatch::Alarm');
  const topic = () => ({ Ref: logicalId('AWS::SNS::Topic', 'MonitoringAlarmTopic') });
  const alarm = (prefix: string) =>
    alarms().find(([id]) => id.startsWith(`Monitoring${prefix}`))?.[1] as Record<string, unknown>;

  it('all notify the SNS topic, which emails the configured address over TLS only', () => {
    expect(alarms().length).toBeGreaterThan(0);
    for (const [, a] of alarms()) {
      expect(a.AlarmActions).toEqual([topic()]);
      expect(a.OKActions).toEqual([topic()]);
      expect(a.TreatMissingData).toBe('notBreaching');
    }
    template().hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'alerts@bolt-plumbing.example',
      TopicArn: topic(),
    });
    template().hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('watch every Lambda for errors', () => {
    for (const spec of FUNCTION_TABLE) {
      expect(alarm(`${spec.id}Errors`)).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Dimensions: [
          { Name: 'FunctionName', Value: { Ref: logicalId('AWS::Lambda::Function', `Functions${spec.id}`) } },
        ],
      });
    }
  });

  it('watch API 5xx, the failover rate, bridge saturation and failed schedules', () => {
    expect(alarm('Api5xx')).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: '5xx', Threshold: 5 });
    const failover = alarm('FailoverRate');
    expect(failover.Threshold).toBe(20);
    const metrics = failover.Metrics as Array<Record<string, unknown>>;
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('IF(calls > 0, 100 * failovers / calls, 0)');
    const names = metrics
      .filter((m) => m.MetricStat)
      .map((m) => (m.MetricStat as { Metric: { MetricName: string; Namespace: string } }).Metric);
    expect(names).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Namespace: 'BoltVoice', MetricName: 'CallsStarted' }),
        expect.objectContaining({ Namespace: 'BoltVoice', MetricName: 'EngineFailovers' }),
      ]),
    );
    expect(alarm('BridgeCpu')).toMatchObject({
      Namespace: 'AWS/ECS',
      MetricName: 'CPUUtilization',
      Threshold: 80,
    });
    expect(alarm('BridgeMemory')).toMatchObject({ Namespace: 'AWS/ECS', MetricName: 'MemoryUtilization' });
    expect(alarm('BridgeActiveCalls')).toMatchObject({
      Namespace: 'BoltVoice',
      MetricName: 'ActiveCalls',
      Threshold: 37.5,
      EvaluationPeriods: 5,
    });
    expect(alarm('BridgeUnhealthyTargets')).toMatchObject({ MetricName: 'UnHealthyHostCount' });
    expect(alarm('ScheduleDeadLetters')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalId('AWS::SQS::Queue', 'SchedulesDeadLetterQueue'), 'QueueName'] },
        },
      ],
    });
  });
});

describe('dashboard', () => {
  it('shows calls, failovers, engine share, turn latency, errors and the bridge', () => {
    const [[, dashboard]] = resourcesOfType('AWS::CloudWatch::Dashboard') as [
      [string, Record<string, unknown>],
    ];
    const body = JSON.stringify(dashboard.DashboardBody);
    for (const needle of [
      'CallsStarted',
      'EngineFailovers',
      'EngineCalls',
      'elevenlabs',
      'openai',
      'TurnLatency',
      'p90',
      'Errors',
      '5xx',
      'CPUUtilization',
      'MemoryUtilization',
      'ActiveCalls',
      'bolt-voice-test-bridge',
    ]) {
      expect(body).toContain(needle);
    }
  });
});
