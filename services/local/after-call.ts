/**
 * The local stack's after-call and outbound side: the same dependencies as the Lambdas, over the
 * local adapters (embedded stand-ins where settings are absent) and the stack's call table. Due
 * callback schedules run on a timer through the place-call handler, as EventBridge Scheduler would
 * invoke the Lambda with the payload. The finalisation sweeper runs on a timer every
 * `FINALISATION_SWEEP_SECONDS`, as its rate schedule runs the Lambda in AWS.
 */

import { createDailyDigestHandler, type DailyDigestHandler } from '../../functions/daily-digest.js';
import {
  createFinalisationSweepHandler,
  type FinalisationSweepHandler,
} from '../../functions/finalisation-sweep.js';
import { createPlaceCallHandler, type PlaceCallHandler } from '../../functions/place-call.js';
import { TimerCallbackScheduler } from '../adapters/memory/timer-scheduler.js';
import { deliverDue } from '../core/after-call/integration-webhook.js';
import { logger } from '../core/shared/logging.js';
import { afterCallDepsFor } from '../wiring/parts/after-call.js';
import {
  type BusinessAdapters,
  type OutboundWiring,
  placeCallDepsFor,
  reminderDepsFor,
} from '../wiring/parts/business-adapters.js';
import { businessProfileFor } from '../wiring/parts/business-profile.js';
import { missedCallTextsFor } from '../wiring/parts/missed-call-texts.js';
import { DEMO_BUSINESS_PROFILE } from './demo-business-profile.js';
import type { LocalStackContext } from './stack.js';

/** How often the local stack looks for integration webhook retries that are due. */
const WEBHOOK_RETRY_TICK_MS = 1000;

export interface LocalAfterCall {
  /** What the call-status, post-call and digest handlers and the sweeper finalise calls with. */
  afterCallDeps: ReturnType<typeof afterCallDepsFor>;
  /** What `schedule_callback` places calls with (the same path as `POST /calls`). */
  outbound: OutboundWiring;
  /** Runs due callback schedules in this process. */
  scheduler: TimerCallbackScheduler;
  placeCall: PlaceCallHandler;
  /** The digest Lambda's handler: no route in AWS or here; run it from code (tests, a script). */
  digest: DailyDigestHandler;
  /** One run of the finalisation sweeper (its timer runs it every FINALISATION_SWEEP_SECONDS). */
  sweep: FinalisationSweepHandler;
  /** Stops the schedule timers. */
  close(): void;
}

export function buildLocalAfterCall(
  context: LocalStackContext,
  adapters: BusinessAdapters,
  now: () => number = Date.now,
): LocalAfterCall {
  const { config, stores } = context;
  // The timer fires into the place-call handler, which needs the timer: bound once both exist.
  let placeCallHandler: PlaceCallHandler | undefined;
  const scheduler = new TimerCallbackScheduler({
    now,
    run: async (payload, schedule) => {
      if (!placeCallHandler) throw new Error('place-call handler not wired');
      const outcome = await placeCallHandler.scheduled(payload);
      logger.info('Local callback schedule ran', { schedule: schedule.name, outcome: outcome.kind });
    },
  });
  const outbound: OutboundWiring = {
    sessions: stores.sessions,
    requests: stores.outboundRequests,
    scheduler,
    providerFlag: context.providerFlag,
  };
  placeCallHandler = createPlaceCallHandler({
    authorization: { kind: 'api-key', key: config.callsApiKey },
    owner: { mailer: adapters.mailer, email: config.ownerEmail },
    placeCall: placeCallDepsFor(config, adapters, outbound, now),
    reminders: reminderDepsFor(config, adapters, {
      usage: stores.usage,
      textLog: stores.sessions,
      businessProfile: businessProfileFor(config, 'local', async () => JSON.stringify(DEMO_BUSINESS_PROFILE)),
      now,
    }),
  });
  const afterCallDeps = {
    ...afterCallDepsFor(config, adapters, stores, now),
    missedCallTexts: missedCallTextsFor(config, stores, now),
  };
  const sweep = createFinalisationSweepHandler({
    config,
    finalise: afterCallDeps,
    sessions: stores.sessions,
    watermark: stores.sweepWatermark,
    twilio: adapters.callLookup,
    publishAge: (ageSeconds) => {
      if (ageSeconds > 0) logger.info('Oldest unfinalised call', { OldestUnfinalisedCallAge: ageSeconds });
    },
    now,
  });
  let sweeping = false;
  const sweepTimer = setInterval(() => {
    if (sweeping) return; // a slow run is never doubled up
    sweeping = true;
    sweep()
      .catch((error: unknown) => logger.error('Finalisation sweep failed', { error: error as Error }))
      .finally(() => {
        sweeping = false;
      });
  }, config.finalisation.sweepSeconds * 1000);
  sweepTimer.unref();
  // Integration webhook retries: in AWS the sweeper drives them; here a timer, so the first retry
  // comes within its 10 s like the schedule says rather than at the next sweep.
  const integration = afterCallDeps.integration;
  let delivering = false;
  const deliveryTimer = setInterval(() => {
    if (!integration || delivering) return;
    delivering = true;
    deliverDue(integration)
      .catch((error: unknown) =>
        logger.error('Integration webhook retries failed', { error: error as Error }),
      )
      .finally(() => {
        delivering = false;
      });
  }, WEBHOOK_RETRY_TICK_MS);
  deliveryTimer.unref();

  return {
    afterCallDeps,
    outbound,
    scheduler,
    placeCall: placeCallHandler,
    digest: createDailyDigestHandler(afterCallDeps),
    sweep,
    close: () => {
      clearInterval(sweepTimer);
      clearInterval(deliveryTimer);
      scheduler.close();
    },
  };
}
