/**
 * The Lambdas' own metrics (CloudWatch embedded metrics through Powertools): namespace from
 * POWERTOOLS_METRICS_NAMESPACE, the `service` dimension from POWERTOOLS_SERVICE_NAME, as the
 * stack's alarms read them (services/core/shared/metric-names.ts).
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { FUNCTION_METRICS, METRICS_NAMESPACE } from '../../services/core/shared/metric-names.js';

export function functionMetrics(): Metrics {
  return new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE });
}

/** `StreamsNeverConnected` += 1, published at once (finalisation calls it at most once per call). */
export function streamNeverConnectedCounter(metrics: Metrics = functionMetrics()): (callSid: string) => void {
  return () => {
    metrics.addMetric(FUNCTION_METRICS.streamsNeverConnected, MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
  };
}
