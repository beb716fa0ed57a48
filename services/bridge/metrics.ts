import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { EngineName } from '../core/shared/engines.js';
import { BRIDGE_METRICS, METRICS_NAMESPACE } from '../core/shared/metric-names.js';
import type { TurnCount } from './live-call.js';

const TURN_COUNT_METRICS: Record<TurnCount, string> = {
  bargeIn: BRIDGE_METRICS.bargeIns,
  falseInterruption: BRIDGE_METRICS.falseInterruptions,
  turnSwallowed: BRIDGE_METRICS.turnsSwallowed,
};

/**
 * The bridge's CloudWatch metrics, written as embedded-metric-format log lines (Powertools), which
 * CloudWatch turns into metrics with no API call on the call path. Names and dimensions are the
 * contract in services/core/shared/metric-names.ts: auto-scaling reads `ActiveCalls`, alarms and the dashboard the rest.
 * The default `service` dimension is POWERTOOLS_SERVICE_NAME, set by the stack.
 */
export class BridgeMetrics {
  private readonly metrics: Metrics;

  constructor(
    namespace = process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
    serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'bolt-voice-bridge',
  ) {
    this.metrics = new Metrics({ namespace, serviceName });
  }

  /** Published periodically and on every change, so the per-task average is always fresh. */
  activeCalls(count: number): void {
    this.metrics.addMetric(BRIDGE_METRICS.activeCalls, MetricUnit.Count, count);
    this.metrics.publishStoredMetrics();
  }

  engineChosen(event: { chosen: EngineName; servedBy?: EngineName; midCall?: boolean }): void {
    if (event.midCall) {
      // The call was already counted when it started; a mid-call switch is one more failover.
      this.metrics.singleMetric().addMetric(BRIDGE_METRICS.engineFailovers, MetricUnit.Count, 1);
      return;
    }
    if (!event.servedBy) {
      this.metrics.singleMetric().addMetric(BRIDGE_METRICS.callsWithoutEngine, MetricUnit.Count, 1);
      return;
    }
    this.metrics.singleMetric().addMetric(BRIDGE_METRICS.callsStarted, MetricUnit.Count, 1);
    const engine = this.metrics.singleMetric();
    engine.addDimension('engine', event.servedBy);
    engine.addMetric(BRIDGE_METRICS.engineCalls, MetricUnit.Count, 1);
    if (event.servedBy !== event.chosen) {
      this.metrics.singleMetric().addMetric(BRIDGE_METRICS.engineFailovers, MetricUnit.Count, 1);
    }
  }

  /** Caller stops speaking → first agent audio sent to Twilio, per engine (alarms read the p90). */
  turnLatency(ms: number, engine: EngineName): void {
    const metric = this.metrics.singleMetric();
    metric.addDimension('engine', engine);
    metric.addMetric(BRIDGE_METRICS.turnLatency, MetricUnit.Milliseconds, ms);
  }

  /** Barge-ins, false interruptions and swallowed turns, per engine (the dashboard; swallowed is alarmed). */
  turnCount(count: TurnCount, engine: EngineName): void {
    this.countFor(TURN_COUNT_METRICS[count], engine);
  }

  /** An engine froze mid-call and was failed over (its own reason said `stalled`). */
  engineStall(engine: EngineName): void {
    this.countFor(BRIDGE_METRICS.engineStalls, engine);
  }

  private countFor(name: string, engine: EngineName): void {
    const metric = this.metrics.singleMetric();
    metric.addDimension('engine', engine);
    metric.addMetric(name, MetricUnit.Count, 1);
  }
}
