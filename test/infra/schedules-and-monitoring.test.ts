import { Match } from 'aws-cdk-lib/assertions';
import { FUNCTION_TABLE } from '../../lib/lambda-functions.js';
import { COUNTED_LOG_MESSAGES, REFUSAL_LOG_MESSAGES } from '../../services/core/shared/metric-names.js';
import { actionsOf, logicalId, resourcesOfType, statementsOfRole, template } from './fixture.js';

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

describe('function errors of scheduled work', () => {
  // The Scheduler invokes Lambda asynchronously: its retry policy and dead-letter queue cover the
  // delivery only. A function that runs and fails needs Lambda's own on-failure destination.
  it.each([
    ['DailyDigest', 2],
    ['PlaceCall', 2],
    ['FinalisationSweep', 0],
  ])('%s sends a failed invocation to the dead-letter queue after %i retries', (id, retries) => {
    const fn = logicalId('AWS::Lambda::Function', `Functions${id}`);
    const queueArn = { 'Fn::GetAtt': [logicalId('AWS::SQS::Queue', 'SchedulesDeadLetterQueue'), 'Arn'] };
    const configs = resourcesOfType('AWS::Lambda::EventInvokeConfig').filter(
      ([, c]) => JSON.stringify(c.FunctionName) === JSON.stringify({ Ref: fn }),
    );
    expect(configs).toHaveLength(1);
    expect(configs[0]?.[1]).toMatchObject({
      MaximumRetryAttempts: retries,
      DestinationConfig: { OnFailure: { Destination: queueArn } },
    });
    // And the function's role may send there (the destination is delivered with its role).
    const [, props = {}] = resourcesOfType('AWS::Lambda::Function').find(([lid]) => lid === fn) ?? [];
    const role = (props.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const send = statementsOfRole(role).filter((st) => actionsOf(st).includes('sqs:SendMessage'));
    // Besides the dead-letter queue, only the integration webhook's retry queue (test/infra/webhook-retries.test.ts).
    const retryQueue = { 'Fn::GetAtt': [logicalId('AWS::SQS::Queue', 'WebhookRetriesQueue'), 'Arn'] };
    expect(
      send.map((st) => st.Resource).filter((r) => JSON.stringify(r) !== JSON.stringify(retryQueue)),
    ).toEqual([queueArn]);
  });

  it('only those: the webhook functions answer their caller synchronously', () => {
    expect(resourcesOfType('AWS::Lambda::EventInvokeConfig')).toHaveLength(3);
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
    for (const [id, a] of alarms()) {
      expect(a.AlarmActions).toEqual([topic()]);
      expect(a.OKActions).toEqual([topic()]);
      // Silence is trouble only where the metric always reports: no targets report no data, and
      // the sweeper publishes the age (0 included) on every run.
      expect(a.TreatMissingData).toBe(
        ['MonitoringBridgeNoHealthyTargets', 'MonitoringOldestUnfinalisedCall'].some((p) => id.startsWith(p))
          ? 'breaching'
          : 'notBreaching',
      );
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
    expect(alarm('Api5xx')).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: '5xx', Threshold: 1 });
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

describe('alarms an operator needs after a first deploy', () => {
  const alarm = (prefix: string) =>
    resourcesOfType('AWS::CloudWatch::Alarm').find(([id]) => id.startsWith(`Monitoring${prefix}`))?.[1] as
      | Record<string, unknown>
      | undefined;

  const filtersOf = (metricName: string) =>
    resourcesOfType('AWS::Logs::MetricFilter').filter(([, f]) =>
      (f.MetricTransformations as Array<{ MetricName: string }>).some((t) => t.MetricName === metricName),
    );

  it.each([
    {
      when: 'when no bridge task is healthy, including when there is no data at all',
      name: 'BridgeNoHealthyTargets',
      expected: {
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'HealthyHostCount',
        Statistic: 'Minimum',
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      },
    },
    {
      when: 'on the first call no engine could take',
      name: 'CallsWithoutEngine',
      expected: {
        Namespace: 'BoltVoice',
        MetricName: 'CallsWithoutEngine',
        Dimensions: [{ Name: 'service', Value: 'bolt-voice-test-bridge' }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      },
    },
    {
      when: 'when a finished call stays unfinalised for 30 minutes, or the sweeper publishes nothing for 15',
      name: 'OldestUnfinalisedCall',
      expected: {
        Namespace: 'BoltVoice',
        MetricName: 'OldestUnfinalisedCallAge',
        Dimensions: [{ Name: 'service', Value: 'bolt-voice-test' }],
        Statistic: 'Maximum',
        Period: 900,
        EvaluationPeriods: 1,
        Threshold: 1800,
        TreatMissingData: 'breaching',
      },
    },
    {
      when: 'on the first call whose stream never reached the bridge (counted by finalisation)',
      name: 'StreamsNeverConnected',
      expected: {
        Namespace: 'BoltVoice',
        MetricName: 'StreamsNeverConnected',
        Dimensions: [{ Name: 'service', Value: 'bolt-voice-test' }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      },
    },
  ])('fire $when', ({ name, expected }) => {
    expect(alarm(name)).toMatchObject(expected);
  });

  it('fire on any 5xx of the load balancer or the bridge', () => {
    const a = alarm('BridgeAlb5xx') as { Metrics: Array<Record<string, unknown>>; Threshold: number };
    expect(a.Threshold).toBe(1);
    expect(a.Metrics.find((m) => m.Expression)?.Expression).toBe('FILL(elb, 0) + FILL(target, 0)');
    const names = a.Metrics.filter((m) => m.MetricStat).map(
      (m) => (m.MetricStat as { Metric: { MetricName: string } }).Metric.MetricName,
    );
    expect(names.sort()).toEqual(['HTTPCode_ELB_5XX_Count', 'HTTPCode_Target_5XX_Count']);
  });

  it('count signature refusals from the refusal log lines of every signed webhook and of the bridge', () => {
    const webhook = filtersOf('WebhookSignatureRefusals');
    // Every route whose caller signs: the Twilio/ElevenLabs webhooks (not the IAM POST /calls).
    expect(webhook.map(([, f]) => JSON.stringify(f.LogGroupName)).sort()).toEqual(
      [
        'InboundCall',
        'OutboundTwiml',
        'CallStatus',
        'DialResult',
        'Whisper',
        'InboundSms',
        'PostCall',
        'TwilioFallback',
      ]
        .map((id) => JSON.stringify({ Ref: logicalId('AWS::Logs::LogGroup', `Functions${id}Logs`) }))
        .sort(),
    );
    for (const [, f] of webhook) {
      expect(f.FilterPattern).toContain(REFUSAL_LOG_MESSAGES.twilioWebhookSignature);
      expect(f.FilterPattern).toContain(REFUSAL_LOG_MESSAGES.postCallWebhookSignature);
    }
    const [[, stream]] = filtersOf('StreamSignatureRefusals') as [[string, Record<string, unknown>]];
    expect(stream.LogGroupName).toEqual({ Ref: logicalId('AWS::Logs::LogGroup', 'BridgeLogs') });
    expect(stream.FilterPattern).toBe(`{ $.message = "${REFUSAL_LOG_MESSAGES.streamSignature}" }`);
    for (const name of ['WebhookSignatureRefusals', 'StreamSignatureRefusals']) {
      expect(alarm(name)).toMatchObject({ Namespace: 'BoltVoice', MetricName: name, Threshold: 1 });
    }
  });

  it('fire on the first 429 of the webhook API, counted from its access log', () => {
    const [[, filter], ...others] = filtersOf('ApiThrottled') as [[string, Record<string, unknown>]];
    expect(others).toEqual([]);
    expect(filter.LogGroupName).toEqual({ Ref: logicalId('AWS::Logs::LogGroup', 'WebhookApiAccessLogs') });
    expect(filter.FilterPattern).toBe('{ $.status = "429" }');
    // The access log writes the status the filter reads.
    const [[, stage]] = resourcesOfType('AWS::ApiGatewayV2::Stage') as [[string, Record<string, unknown>]];
    const format = JSON.parse((stage.AccessLogSettings as { Format: string }).Format) as Record<
      string,
      string
    >;
    expect(format.status).toBe('$context.status');
    expect(alarm('ApiThrottled')).toMatchObject({
      Namespace: 'BoltVoice',
      MetricName: 'ApiThrottled',
      Threshold: 1,
    });
  });

  it.each([
    ['TaskProtectionFailures', 'BridgeLogs', COUNTED_LOG_MESSAGES.taskProtectionNotSet],
    ['SessionWritesSetAside', 'BridgeLogs', COUNTED_LOG_MESSAGES.sessionWriteSetAside],
    ['BridgeUnhandledRejections', 'BridgeLogs', COUNTED_LOG_MESSAGES.unhandledRejection],
    // Twilio used the fallback URL: the inbound webhook failed.
    ['FallbackAnswers', 'FunctionsTwilioFallbackLogs', COUNTED_LOG_MESSAGES.fallbackAnswered],
  ])('fire on the first log line %s counts (in %s)', (name, logGroup, message) => {
    const [[, filter]] = filtersOf(name) as [[string, Record<string, unknown>]];
    expect(filter.LogGroupName).toEqual({ Ref: logicalId('AWS::Logs::LogGroup', logGroup) });
    expect(filter.FilterPattern).toBe(`{ $.message = "${message}" }`);
    expect(alarm(name)).toMatchObject({ Namespace: 'BoltVoice', MetricName: name, Threshold: 1 });
  });

  it.each([
    ['ElevenLabs', 'elevenlabs'],
    ['OpenAi', 'openai'],
  ])('fire when %s answers slower than 1 s at p90', (suffix, engine) => {
    const a = alarm(`TurnLatencyP90${suffix}`) as Record<string, unknown>;
    expect(a).toMatchObject({ Threshold: 1000, ComparisonOperator: 'GreaterThanThreshold' });
    const [metric] = a.Metrics as Array<{ MetricStat: Record<string, unknown> }>;
    expect(metric?.MetricStat).toEqual({
      Metric: {
        Namespace: 'BoltVoice',
        MetricName: 'TurnLatency',
        Dimensions: [
          { Name: 'engine', Value: engine },
          { Name: 'service', Value: 'bolt-voice-test-bridge' },
        ],
      },
      Period: 900,
      Stat: 'p90',
    });
  });

  it.each([
    ['ElevenLabs', 'elevenlabs'],
    ['OpenAi', 'openai'],
  ])('fire when a caller turn on %s goes unanswered (TurnsSwallowed must stay 0)', (suffix, engine) => {
    expect(alarm(`TurnsSwallowed${suffix}`)).toMatchObject({
      Namespace: 'BoltVoice',
      MetricName: 'TurnsSwallowed',
      Dimensions: expect.arrayContaining([{ Name: 'engine', Value: engine }]),
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
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
      'HTTPCode_ELB_5XX_Count',
      'WebhookSignatureRefusals',
      'BargeIns',
      'FalseInterruptions',
      'TurnsSwallowed',
      'EngineStalls',
    ]) {
      expect(body).toContain(needle);
    }
    // The engine share covers the dashboard's whole time range, not the last period.
    const engineShare = body.slice(body.indexOf('pie'), body.indexOf('Turn latency'));
    expect(engineShare).toContain('Engine share');
    expect(engineShare).toMatch(/setPeriodToTimeRange\\*":true/);
  });
});
