/**
 * The finalisation sweeper's Lambda: the after-call deps, the call table's sessions as the index of
 * unfinalised calls, and Twilio's REST API to look calls up (this function alone of the after-call
 * group loads the Twilio client).
 */
import type { FinalisationSweepHandlerDeps } from '../../functions/finalisation-sweep.js';
import { TwilioCallControl } from '../adapters/twilio/call-control.js';
import { afterCallDeps } from './lambda-after-call.js';
import { lazily } from './lambda-container.js';

export type FinalisationSweepWiring = Omit<FinalisationSweepHandlerDeps, 'publishAge'>;

export const finalisationSweepDeps = lazily(async (): Promise<FinalisationSweepWiring> => {
  const { runtime, deps } = await afterCallDeps();
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
