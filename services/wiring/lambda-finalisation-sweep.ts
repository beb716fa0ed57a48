/**
 * The finalisation sweeper's Lambda: the after-call deps, the call table's sessions as the index of
 * unfinalised calls, and Twilio's REST API to look calls up (with the status callback, the only
 * after-call functions to load the Twilio client: both finalise, and finalising may text).
 */
import type { FinalisationSweepHandlerDeps } from '../../functions/finalisation-sweep.js';
import { TwilioCallControl } from '../adapters/twilio/call-control.js';
import { lazily } from './lambda-container.js';
import { finalisingDeps } from './lambda-finalising.js';

export type FinalisationSweepWiring = Omit<FinalisationSweepHandlerDeps, 'publishAge'>;

export const finalisationSweepDeps = lazily(async (): Promise<FinalisationSweepWiring> => {
  const { runtime, deps } = await finalisingDeps();
  const { config, stores } = runtime;
  return {
    config,
    finalise: deps,
    sessions: stores.sessions,
    watermark: stores.sweepWatermark,
    twilio: new TwilioCallControl({
      accountSid: config.twilio.accountSid,
      authToken: config.twilio.authToken,
      apiUrl: config.twilio.apiUrl,
    }),
  };
});
