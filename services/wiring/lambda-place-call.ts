/**
 * The place-call Lambda (`POST /calls`, due callback schedules and booking reminders): every
 * business adapter (CRM, calendar, mail, Twilio REST) and EventBridge Scheduler, built once per
 * container. Apart from the other Lambdas' wiring so that theirs do not load these SDKs.
 */
import type { PlaceCallHandlerDeps } from '../../functions/place-call.js';
import { eventBridgeSchedulerFor } from '../adapters/scheduler/callback-scheduler.js';
import { ConfigError } from '../core/shared/config.js';
import { lambdaRuntime, lazily } from './lambda-container.js';
import { businessAdapters, placeCallDepsFor, reminderDepsFor } from './parts/business-adapters.js';
import { businessProfileFor } from './parts/business-profile.js';

/** In AWS every outside system must be configured, and the stack's schedule settings present. */
export const placeCallHandlerDeps = lazily(async (): Promise<PlaceCallHandlerDeps> => {
  const runtime = await lambdaRuntime();
  const { config, stores } = runtime;
  const adapters = businessAdapters(config, 'aws');
  const scheduler = eventBridgeSchedulerFor(config.callbacks);
  if (!scheduler) {
    throw new ConfigError([
      'CALLBACK_TARGET_ARN and CALLBACK_SCHEDULE_ROLE_ARN are required in AWS (set by the stack)',
    ]);
  }
  return {
    authorization: { kind: 'iam' },
    owner: { mailer: adapters.mailer, email: config.ownerEmail },
    reminders: reminderDepsFor(config, adapters, {
      usage: stores.usage,
      textLog: stores.sessions,
      businessProfile: businessProfileFor(config, 'aws'),
    }),
    placeCall: placeCallDepsFor(config, adapters, {
      sessions: stores.sessions,
      requests: stores.outboundRequests,
      scheduler,
      providerFlag: runtime.providerFlag,
    }),
  };
});
