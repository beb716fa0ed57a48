import { Duration, Validations } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  GraphWidgetView,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { FargateService } from 'aws-cdk-lib/aws-ecs';
import {
  type ApplicationLoadBalancer,
  type ApplicationTargetGroup,
  HttpCodeElb,
  HttpCodeTarget,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { FilterPattern, type IFilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENGINE_NAMES } from '../services/core/shared/engines.js';
import {
  BRIDGE_METRICS,
  COUNTED_LOG_MESSAGES,
  FUNCTION_METRICS,
  LOG_METRICS,
  METRIC_DIMENSIONS,
  METRICS_NAMESPACE,
  REFUSAL_LOG_MESSAGES,
} from '../services/core/shared/metric-names.js';
import type { HouseFunction } from './house-function.js';

export interface MonitoringProps {
  readonly stage: string;
  readonly alarmEmail: string;
  readonly functions: ReadonlyArray<HouseFunction>;
  /** The functions behind routes whose caller signs (their refusals are counted from their logs). */
  readonly signedWebhookFunctions: ReadonlyArray<HouseFunction>;
  /** POWERTOOLS_SERVICE_NAME of the Lambdas (the `service` dimension of their metrics). */
  readonly functionsServiceName: string;
  readonly api: HttpApi;
  /** The webhook API's access log (JSON, `status` per request): its 429s are counted from it. */
  readonly apiAccessLogs: ILogGroup;
  /** The number's fallback URL: each line it logs is a caller who got the apology, not the agent. */
  readonly fallbackFunction: HouseFunction;
  readonly bridge: {
    readonly serviceName: string;
    readonly service: FargateService;
    readonly logGroup: ILogGroup;
    readonly loadBalancer: ApplicationLoadBalancer;
    readonly targetGroup: ApplicationTargetGroup;
    readonly activeCallsMetric: Metric;
    readonly targetCallsPerTask: number;
  };
  /** Dead-letter queue and on-failure destination of every scheduled invocation. */
  readonly scheduleDeadLetterQueue: IQueue;
}

/** Thresholds, in one place so the runbook can quote them. */
export const ALARM_THRESHOLDS = {
  lambdaErrorsPer5Min: 1,
  /** A small business has few calls: one failed webhook is one caller who heard an error. */
  api5xxPer5Min: 1,
  alb5xxPer5Min: 1,
  callsWithoutEnginePer5Min: 1,
  signatureRefusalsPer5Min: 1,
  /** One call whose stream never reached the bridge: every call is failing the same way. */
  streamsNeverConnectedPer5Min: 1,
  /** Any 429: the throttle refused Twilio (or a flood is eating its share). */
  apiThrottledPer5Min: 1,
  taskProtectionFailuresPer5Min: 1,
  fallbackAnswersPer5Min: 1,
  sessionWritesSetAsidePer5Min: 1,
  bridgeUnhandledRejectionsPer5Min: 1,
  /**
   * The sweeper publishes the age on every run (every 5 min); a 15-minute window with no value at
   * all means three runs in a row did not finish, which the alarm treats as breaching.
   */
  oldestUnfinalisedCallPeriodMinutes: 15,
  /**
   * The sweeper runs every 5 min and finalises calls 2 min after they end; a call still unfinalised
   * after 30 min means finalisation is stuck (CRM, email or the sweeper itself).
   */
  oldestUnfinalisedCallSeconds: 1800,
  /** The seed's target: answers in under a second (p90 of a 15-minute window, per engine). */
  turnLatencyP90Ms: 1000,
  failoverPercentPer15Min: 20,
  bridgeCpuPercent: 80,
  bridgeMemoryPercent: 80,
  /** Active calls per task above the scaling target by this factor for 5 min: scaling cannot keep up. */
  activeCallsOverTargetFactor: 1.5,
} as const;

/**
 * One dashboard (calls, failovers, engine share, turn latency, errors, bridge CPU/memory/active
 * calls) and the alarms, all sent to one SNS topic with an email subscription.
 */
export class Monitoring extends Construct {
  public readonly topic: Topic;
  public readonly dashboard: Dashboard;
  public readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: `Bolt Voice ${props.stage} alarms`,
      enforceSSL: true,
    });
    this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry only alarm names and states; CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key, and a customer-managed key is not worth its cost for this.',
    });
    const action = new SnsAction(this.topic);
    const alarm = (id: string, props: ConstructorParameters<typeof Alarm>[2]): Alarm => {
      const a = new Alarm(this, id, { treatMissingData: TreatMissingData.NOT_BREACHING, ...props });
      a.addAlarmAction(action);
      a.addOkAction(action);
      this.alarms.push(a);
      return a;
    };
    /** Fires on the first occurrence in a period: each of these is a caller or a call affected. */
    const onFirst = (id: string, alarmDescription: string, metric: IMetric, threshold: number): Alarm =>
      alarm(id, {
        alarmDescription,
        metric,
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
      });
    /** Counts matching log lines (one metric filter per log group) and alarms on the first; returns the count. */
    const onLogLines = (
      id: string,
      logGroups: ReadonlyArray<ILogGroup>,
      metricName: string,
      pattern: IFilterPattern,
      threshold: number,
      alarmDescription: string,
    ): Metric => {
      const count = this.countLogLines(`${id}Filter`, logGroups, metricName, pattern);
      onFirst(id, alarmDescription, count, threshold);
      return count;
    };
    /** Each counted log line under its `LOG_METRICS` name, alarmed on at its own per-5-minute threshold. */
    const countLogLinesOf = (
      lines: Record<CountedLogMetric, [ReadonlyArray<ILogGroup>, IFilterPattern]>,
    ): Record<CountedLogMetric, Metric> => {
      const counts = Object.entries(lines).map(([metric, [logGroups, pattern]]) => {
        const name = metric as CountedLogMetric;
        const count = onLogLines(
          LOG_METRICS[name],
          logGroups,
          LOG_METRICS[name],
          pattern,
          ALARM_THRESHOLDS[`${name}Per5Min`],
          COUNTED_LOG_LINE_ALARMS[name],
        );
        return [name, count] as const;
      });
      return Object.fromEntries(counts) as Record<CountedLogMetric, Metric>;
    };
    const bridgeMetric = (metricName: string, statistic: string, dimensions: Record<string, string> = {}) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: props.bridge.serviceName, ...dimensions },
        statistic,
        period: Duration.minutes(5),
      });
    const turnLatency = (engine: string, statistic: string, period = Duration.minutes(5)) =>
      bridgeMetric(BRIDGE_METRICS.turnLatency, statistic, { [METRIC_DIMENSIONS.engine]: engine }).with({
        period,
        label: `${engine} ${statistic}`,
      });

    // Lambda errors: any error on the call path matters to a caller.
    for (const fn of props.functions) {
      alarm(`${fn.node.id}Errors`, {
        alarmDescription: `${fn.node.id} Lambda reported errors`,
        metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: ALARM_THRESHOLDS.lambdaErrorsPer5Min,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
      });
    }

    alarm('Api5xx', {
      alarmDescription: 'Webhook API answered 5xx (Twilio retries, then plays an error to the caller)',
      metric: props.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: ALARM_THRESHOLDS.api5xxPer5Min,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });

    const calls = bridgeMetric(BRIDGE_METRICS.callsStarted, 'Sum');
    const failovers = bridgeMetric(BRIDGE_METRICS.engineFailovers, 'Sum');
    alarm('FailoverRate', {
      alarmDescription: 'Share of calls whose chosen engine failed and the other engine took over',
      metric: new MathExpression({
        expression: 'IF(calls > 0, 100 * failovers / calls, 0)',
        usingMetrics: { calls, failovers },
        period: Duration.minutes(15),
        label: 'Failover %',
      }),
      threshold: ALARM_THRESHOLDS.failoverPercentPer15Min,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });

    const cpu = props.bridge.service.metricCpuUtilization({ period: Duration.minutes(1) });
    const memory = props.bridge.service.metricMemoryUtilization({ period: Duration.minutes(1) });
    alarm('BridgeCpu', {
      alarmDescription: 'Bridge CPU saturated (audio relay latency rises)',
      metric: cpu,
      threshold: ALARM_THRESHOLDS.bridgeCpuPercent,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
    });
    alarm('BridgeMemory', {
      alarmDescription: 'Bridge memory saturated',
      metric: memory,
      threshold: ALARM_THRESHOLDS.bridgeMemoryPercent,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
    });
    alarm('BridgeActiveCalls', {
      alarmDescription: 'Active calls per task stay well above the scaling target (at max tasks?)',
      metric: props.bridge.activeCallsMetric,
      threshold: props.bridge.targetCallsPerTask * ALARM_THRESHOLDS.activeCallsOverTargetFactor,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 5,
    });
    alarm('BridgeUnhealthyTargets', {
      alarmDescription: 'A bridge task fails its /health check',
      metric: props.bridge.targetGroup.metrics.unhealthyHostCount({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
    });

    alarm('BridgeNoHealthyTargets', {
      alarmDescription:
        'No bridge task passes GET /health: every call fails to connect (crash loop, missing secret key, bad image). Missing data counts as no healthy task.',
      metric: props.bridge.targetGroup.metrics.healthyHostCount({
        period: Duration.minutes(1),
        statistic: 'Minimum',
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: TreatMissingData.BREACHING,
    });

    const elb5xx = props.bridge.loadBalancer.metrics.httpCodeElb(HttpCodeElb.ELB_5XX_COUNT, {
      period: Duration.minutes(5),
      statistic: 'Sum',
    });
    const target5xx = props.bridge.targetGroup.metrics.httpCodeTarget(HttpCodeTarget.TARGET_5XX_COUNT, {
      period: Duration.minutes(5),
      statistic: 'Sum',
    });
    alarm('BridgeAlb5xx', {
      alarmDescription:
        'The bridge load balancer answered 5xx (no task to forward to, a task that reset the connection) or a task did',
      metric: new MathExpression({
        expression: 'FILL(elb, 0) + FILL(target, 0)',
        usingMetrics: { elb: elb5xx, target: target5xx },
        period: Duration.minutes(5),
        label: 'ALB + target 5xx',
      }),
      threshold: ALARM_THRESHOLDS.alb5xxPer5Min,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });

    alarm('CallsWithoutEngine', {
      alarmDescription:
        'Neither voice engine could take a call: the caller heard the apology (both vendors down, or both keys wrong)',
      metric: bridgeMetric(BRIDGE_METRICS.callsWithoutEngine, 'Sum'),
      threshold: ALARM_THRESHOLDS.callsWithoutEnginePer5Min,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });

    // Signature refusals, counted from the refusal log lines (the code logs these same messages).
    const webhookRefusals = onLogLines(
      'WebhookSignatureRefusals',
      props.signedWebhookFunctions.map((fn) => fn.logGroup),
      LOG_METRICS.webhookSignatureRefusals,
      messageIs(REFUSAL_LOG_MESSAGES.twilioWebhookSignature, REFUSAL_LOG_MESSAGES.postCallWebhookSignature),
      ALARM_THRESHOLDS.signatureRefusalsPer5Min,
      "A Twilio or ElevenLabs webhook was refused for its signature: PUBLIC_URL differs from the URL the caller signed (check the number's webhook URLs), the Twilio auth token or ELEVENLABS_WEBHOOK_SECRET is wrong, or someone probed the API",
    );
    const streamRefusals = onLogLines(
      'StreamSignatureRefusals',
      [props.bridge.logGroup],
      LOG_METRICS.streamSignatureRefusals,
      messageIs(REFUSAL_LOG_MESSAGES.streamSignature),
      ALARM_THRESHOLDS.signatureRefusalsPer5Min,
      'A media stream was refused for its X-Twilio-Signature: STREAM_URL (bridgeDomainName) differs from the URL in the TwiML, or the Twilio auth token is wrong',
    );

    const functionMetric = (metricName: string, statistic: string, period = Duration.minutes(5)) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { [METRIC_DIMENSIONS.service]: props.functionsServiceName },
        statistic,
        period,
      });
    alarm('OldestUnfinalisedCall', {
      alarmDescription:
        'A finished call has waited too long for finalisation (CRM row + owner email): Supabase or Resend failing; or no value for 15 min: the sweeper is not running',
      metric: functionMetric(
        FUNCTION_METRICS.oldestUnfinalisedCallAge,
        'Maximum',
        Duration.minutes(ALARM_THRESHOLDS.oldestUnfinalisedCallPeriodMinutes),
      ),
      threshold: ALARM_THRESHOLDS.oldestUnfinalisedCallSeconds,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // The sweeper publishes on every run, 0 included: silence is the sweeper itself failing.
      treatMissingData: TreatMissingData.BREACHING,
    });

    const streamsNeverConnected = functionMetric(FUNCTION_METRICS.streamsNeverConnected, 'Sum');
    onFirst(
      'StreamsNeverConnected',
      "A call Twilio answered with our stream TwiML never reached the bridge: the caller heard the apology. Twilio cannot reach wss://<bridgeDomainName>: the DNS record, the certificate (name, expiry) or the load balancer's security group",
      streamsNeverConnected,
      ALARM_THRESHOLDS.streamsNeverConnectedPer5Min,
    );

    const bridgeLogs = [props.bridge.logGroup];
    const counted = countLogLinesOf({
      apiThrottled: [[props.apiAccessLogs], FilterPattern.stringValue('$.status', '=', '429')],
      taskProtectionFailures: [bridgeLogs, messageIs(COUNTED_LOG_MESSAGES.taskProtectionNotSet)],
      fallbackAnswers: [[props.fallbackFunction.logGroup], messageIs(COUNTED_LOG_MESSAGES.fallbackAnswered)],
      sessionWritesSetAside: [bridgeLogs, messageIs(COUNTED_LOG_MESSAGES.sessionWriteSetAside)],
      bridgeUnhandledRejections: [bridgeLogs, messageIs(COUNTED_LOG_MESSAGES.unhandledRejection)],
    });

    for (const engine of ENGINE_NAMES) {
      alarm(`TurnLatencyP90${engine === 'elevenlabs' ? 'ElevenLabs' : 'OpenAi'}`, {
        alarmDescription: `Callers wait more than a second for ${engine}'s answers (p90 of turn latency over 15 min)`,
        metric: turnLatency(engine, 'p90', Duration.minutes(15)),
        threshold: ALARM_THRESHOLDS.turnLatencyP90Ms,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      });
      alarm(`TurnsSwallowed${engine === 'elevenlabs' ? 'ElevenLabs' : 'OpenAi'}`, {
        alarmDescription: `A caller's words on ${engine} were never answered (the turn-taking must answer every turn)`,
        metric: bridgeMetric(BRIDGE_METRICS.turnsSwallowed, 'Sum', { [METRIC_DIMENSIONS.engine]: engine }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
      });
    }

    alarm('ScheduleDeadLetters', {
      alarmDescription:
        'A scheduled invocation failed: the Scheduler could not deliver it, or the function (digest, callback, sweeper) failed through its retries. The queue message says which',
      metric: props.scheduleDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(24),
    });
    const wide = { width: 12, height: 6 } as const;
    const engineCalls: IMetric[] = ENGINE_NAMES.map((engine) =>
      bridgeMetric(BRIDGE_METRICS.engineCalls, 'Sum', { engine }).with({ label: engine }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Calls and failovers',
        left: [calls.with({ label: 'calls' }), failovers.with({ label: 'failovers' })],
        ...wide,
      }),
      new GraphWidget({
        title: 'Engine share (calls served, whole time range)',
        left: engineCalls,
        view: GraphWidgetView.PIE,
        // One slice per engine over the dashboard's whole range, not the last period only.
        setPeriodToTimeRange: true,
        ...wide,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Turn latency per engine (ms)',
        left: ENGINE_NAMES.flatMap((engine) => ['p50', 'p90'].map((p) => turnLatency(engine, p))),
        leftAnnotations: [{ value: ALARM_THRESHOLDS.turnLatencyP90Ms, label: 'p90 target' }],
        ...wide,
      }),
      new GraphWidget({
        title: 'Turn-taking per engine (barge-ins, false interruptions, swallowed turns, stalls)',
        left: ENGINE_NAMES.flatMap((engine) =>
          (['bargeIns', 'falseInterruptions', 'turnsSwallowed', 'engineStalls'] as const).map((name) =>
            bridgeMetric(BRIDGE_METRICS[name], 'Sum', { [METRIC_DIMENSIONS.engine]: engine }).with({
              label: `${engine} ${BRIDGE_METRICS[name]}`,
            }),
          ),
        ),
        ...wide,
      }),
      new GraphWidget({
        title: 'Errors',
        left: props.functions.map((fn) =>
          fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum', label: fn.node.id }),
        ),
        right: [
          props.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum', label: 'API 5xx' }),
          elb5xx.with({ label: 'ALB 5xx' }),
          target5xx.with({ label: 'bridge 5xx' }),
          webhookRefusals.with({ label: 'webhook signature refusals' }),
          streamRefusals.with({ label: 'stream signature refusals' }),
          streamsNeverConnected.with({ label: 'streams never connected' }),
          counted.apiThrottled.with({ label: 'API 429' }),
          counted.fallbackAnswers.with({ label: 'fallback answers' }),
          counted.taskProtectionFailures.with({ label: 'task protection failures' }),
          counted.sessionWritesSetAside.with({ label: 'session writes set aside' }),
          counted.bridgeUnhandledRejections.with({ label: 'bridge unhandled rejections' }),
        ],
        ...wide,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Bridge CPU and memory (%)',
        left: [cpu.with({ label: 'CPU' }), memory.with({ label: 'memory' })],
        leftYAxis: { min: 0, max: 100 },
        ...wide,
      }),
      new GraphWidget({
        title: 'Bridge active calls',
        left: [
          props.bridge.activeCallsMetric.with({ label: 'per task (average)' }),
          props.bridge.activeCallsMetric.with({ statistic: 'Maximum', label: 'busiest task' }),
        ],
        right: [
          props.bridge.targetGroup.metrics.healthyHostCount({
            period: Duration.minutes(1),
            label: 'healthy tasks',
          }),
        ],
        ...wide,
      }),
    );
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }));
  }

  /** One metric filter per log group, all counting into the same metric; returns its Sum per 5 min. */
  private countLogLines(
    id: string,
    logGroups: ReadonlyArray<ILogGroup>,
    metricName: string,
    pattern: IFilterPattern,
  ) {
    logGroups.forEach((logGroup, i) => {
      new MetricFilter(this, `${id}${i}`, {
        logGroup,
        filterPattern: pattern,
        metricNamespace: METRICS_NAMESPACE,
        metricName,
        metricValue: '1',
        defaultValue: 0,
      });
    });
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      statistic: 'Sum',
      period: Duration.minutes(5),
    });
  }
}

type CountedLogMetric =
  | 'apiThrottled'
  | 'taskProtectionFailures'
  | 'fallbackAnswers'
  | 'sessionWritesSetAside'
  | 'bridgeUnhandledRejections';

/** What each counted log line means when its alarm fires: the cause, and where to look. */
const COUNTED_LOG_LINE_ALARMS: Record<CountedLogMetric, string> = {
  apiThrottled:
    'The webhook API answered 429 (its throttle): a Twilio webhook refused this way is a caller who heard an error. A flood, or apiThrottle too low for the traffic',
  taskProtectionFailures:
    'A bridge task holding calls could not switch on its scale-in protection: a scale-in may stop it mid-call (cut after the drain). The ECS agent endpoint or the task role (ecs:UpdateTaskProtection)',
  fallbackAnswers:
    "Twilio used the number's fallback URL: the inbound webhook failed or timed out, and a caller got the apology instead of the agent (InboundCallErrors, Api5xx, the InboundCall log group)",
  sessionWritesSetAside:
    'The bridge set aside a call-session write DynamoDB refused for good (an item too large or malformed): that turn or record is missing from the call; the bridge log names the call',
  bridgeUnhandledRejections:
    'A promise rejection nobody handled in the bridge: logged and survived, but a bug; the bridge log has the stack',
};

/** JSON log lines whose `message` is one of these (the code logs the same constants). */
function messageIs(...messages: string[]): IFilterPattern {
  return FilterPattern.any(...messages.map((m) => FilterPattern.stringValue('$.message', '=', m)));
}
