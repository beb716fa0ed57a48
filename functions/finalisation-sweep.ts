/**
 * The finalisation sweeper, invoked every `FINALISATION_SWEEP_SECONDS` by its EventBridge Scheduler
 * rate schedule (no route). Finalises calls whose status callback never came, from Twilio's REST
 * API, retries pending finalisations with backoff, and publishes `OldestUnfinalisedCallAge`
 * (Seconds) for the stack's alarm.
 */
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import {
  type SweepDeps,
  type SweepReport,
  sweepUnfinalisedCalls,
} from '../services/core/after-call/finalisation-sweep.js';
import type { FinaliseDeps } from '../services/core/after-call/finalise-call.js';
import { deliverDue } from '../services/core/after-call/integration-webhook.js';
import type { SweepWatermark, UnfinalisedCallIndex } from '../services/core/ports/call-store.js';
import type { CallLookup } from '../services/core/ports/telephony.js';
import type { Config } from '../services/core/shared/config.js';
import { withMaskedErrors } from '../services/core/shared/logging.js';
import { FUNCTION_METRICS } from '../services/core/shared/metric-names.js';
import { lazily } from '../services/wiring/lambda-container.js';
import { finalisationSweepDeps } from '../services/wiring/lambda-finalisation-sweep.js';
import { functionMetrics, streamNeverConnectedCounter } from './commons/metrics.js';

/** `remainingMs`: what the invocation has left (Lambda's context); absent, the interval alone bounds it. */
export type FinalisationSweepHandler = (limits?: { remainingMs?: number }) => Promise<SweepReport>;

/** Time left at the end of a run for the call in progress and the metric (it must not be cut off). */
const SWEEP_END_MARGIN_MS = 30_000;

/**
 * How long a run may start new work: 80 % of the interval (a run ends before the next starts), and
 * never past the invocation's own end less a margin (the Lambda's timeout is under the interval).
 */
export function sweepBudgetMs(sweepSeconds: number, remainingMs?: number): number {
  const byInterval = Math.max(10_000, Math.floor(sweepSeconds * 1000 * 0.8));
  return remainingMs === undefined
    ? byInterval
    : Math.max(0, Math.min(byInterval, remainingMs - SWEEP_END_MARGIN_MS));
}

/** Where the age of the oldest unfinalised call goes (CloudWatch embedded metrics in AWS). */
export type AgeSink = (ageSeconds: number) => void;

export interface FinalisationSweepHandlerDeps {
  config: Pick<Config, 'finalisation' | 'twilio'>;
  finalise: FinaliseDeps;
  /** The call sessions, and the index of those not finalised yet (the call table's, in AWS). */
  sessions: SweepDeps['sessions'] & UnfinalisedCallIndex;
  twilio: Pick<CallLookup, 'getCall' | 'callsTo'>;
  /** Where the look at Twilio's call list starts (persisted across runs). */
  watermark?: SweepWatermark;
  publishAge: AgeSink;
  now?: () => number;
}

export function createFinalisationSweepHandler(deps: FinalisationSweepHandlerDeps): FinalisationSweepHandler {
  const { sweepSeconds, graceSeconds } = deps.config.finalisation;
  const sweep: SweepDeps = {
    finalise: deps.finalise,
    index: deps.sessions,
    sessions: deps.sessions,
    twilio: deps.twilio,
    watermark: deps.watermark,
    businessNumber: deps.config.twilio.phoneNumber,
    graceMs: graceSeconds * 1000,
    now: deps.now ?? Date.now,
  };
  return async (limits) => {
    const report = await sweepUnfinalisedCalls({
      ...sweep,
      budgetMs: sweepBudgetMs(sweepSeconds, limits?.remainingMs),
    });
    deps.publishAge(report.oldestUnfinalisedAgeSeconds);
    // Integration webhook retries due by now (in AWS the sweeper drives them; locally a timer too).
    if (deps.finalise.integration) await deliverDue(deps.finalise.integration);
    return report;
  };
}

/** `OldestUnfinalisedCallAge` in namespace `BoltVoice`, no dimension besides the service. */
export function cloudWatchAgeSink(metrics: Metrics = functionMetrics()): AgeSink {
  return (ageSeconds) => {
    metrics.addMetric(FUNCTION_METRICS.oldestUnfinalisedCallAge, MetricUnit.Seconds, ageSeconds);
    metrics.publishStoredMetrics();
  };
}

const finalisationSweepHandler = lazily(async () => {
  const deps = await finalisationSweepDeps();
  return createFinalisationSweepHandler({
    ...deps,
    finalise: { ...deps.finalise, onStreamNeverConnected: streamNeverConnectedCounter() },
    publishAge: cloudWatchAgeSink(),
  });
});

/** The Lambda entry point. */
export const handler = withMaskedErrors(
  async (_event: unknown, context?: Context): Promise<SweepReport> =>
    (await finalisationSweepHandler())({ remainingMs: context?.getRemainingTimeInMillis() }),
);
