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
import type { ApplicationTargetGroup } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { HouseFunction } from './house-function.js';
import { BRIDGE_METRICS, ENGINES, METRICS_NAMESPACE } from './metrics.js';

export interface MonitoringProps {
  readonly stage: string;
  readonly alarmEmail: string;
  readonly functions: ReadonlyArray<HouseFunction>;
  readonly api: HttpApi;
  readonly bridge: {
    readonly serviceName: string;
    readonly service: FargateService;
    readonly targetGroup: ApplicationTargetGroup;
    readonly activeCallsMetric: Metric;
    readonly targetCallsPerTask: number;
  };
  /** Dead-letter queue of the digest and callback schedules. */
  readonly scheduleDeadLetterQueue: IQueue;
}

/** Thresholds, in one place so the runbook can quote them. */
export const ALARM_THRESHOLDS = {
  lambdaErrorsPer5Min: 1,
  api5xxPer5Min: 5,
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
    const bridgeMetric = (metricName: string, statistic: string, dimensions: Record<string, string> = {}) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: props.bridge.serviceName, ...dimensions },
        statistic,
        period: Duration.minutes(5),
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

    alarm('ScheduleDeadLetters', {
      alarmDescription:
        'A daily digest or a scheduled callback failed after its retries (see the dead-letter queue)',
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
    const engineCalls: IMetric[] = ENGINES.map((engine) =>
      bridgeMetric(BRIDGE_METRICS.engineCalls, 'Sum', { engine }).with({ label: engine }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Calls and failovers',
        left: [calls.with({ label: 'calls' }), failovers.with({ label: 'failovers' })],
        ...wide,
      }),
      new GraphWidget({
        title: 'Engine share (calls served)',
        left: engineCalls,
        view: GraphWidgetView.PIE,
        ...wide,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Turn latency (ms)',
        // TurnLatency carries the engine dimension: one line per engine and percentile.
        left: ENGINES.flatMap((engine) =>
          ['p50', 'p90'].map((p) =>
            bridgeMetric(BRIDGE_METRICS.turnLatency, p, { engine }).with({ label: `${engine} ${p}` }),
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
}
