import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { EngineName } from '../core/voice-engine.js';

export const METRICS_NAMESPACE = 'BoltVoice';
const SERVICE = 'bridge';

/**
 * The bridge's CloudWatch metrics, written as embedded-metric-format log lines (Powertools), which
 * CloudWatch turns into metrics with no API call on the call path. `ActiveCalls` drives the
 * service's auto-scaling; the engine metrics feed the dashboard and the failover alarm.
 */
export class BridgeMetrics {
  private readonly metrics: Metrics;

  constructor(namespace = process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE) {
    this.metrics = new Metrics({ namespace, serviceName: SERVICE });
  }

  /** Published periodically (and on change) so the per-task average is always fresh. */
  activeCalls(count: number): void {
    this.metrics.addMetric('ActiveCalls', MetricUnit.Count, count);
    this.metrics.publishStoredMetrics();
  }

  engineChosen(event: { chosen: EngineName; servedBy?: EngineName; failoverMs?: number }): void {
    const single = this.metrics.singleMetric();
    single.addDimension('Engine', event.servedBy ?? 'none');
    single.addMetric('CallsServed', MetricUnit.Count, 1);
    if (event.servedBy !== event.chosen) {
      const failover = this.metrics.singleMetric();
      failover.addDimension('FromEngine', event.chosen);
      failover.addMetric(event.servedBy ? 'Failovers' : 'CallsWithoutEngine', MetricUnit.Count, 1);
      if (event.failoverMs !== undefined)
        failover.addMetric('FailoverMs', MetricUnit.Milliseconds, event.failoverMs);
    }
  }
}
