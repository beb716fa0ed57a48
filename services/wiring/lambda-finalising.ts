/**
 * The after-call deps of the functions that finalise calls (the status callback, the sweeper): with
 * the missed-call text-back, and so the Twilio REST client, which the other after-call functions
 * (post-call, digest, webhook retry) never use and do not bundle.
 */
import type { FinaliseDeps } from '../core/after-call/finalise-call.js';
import { afterCallDeps, type LambdaAfterCall } from './lambda-after-call.js';
import { lazily } from './lambda-container.js';
import { missedCallTextsFor } from './parts/missed-call-texts.js';

export const finalisingDeps = lazily(async (): Promise<LambdaAfterCall & { deps: FinaliseDeps }> => {
  const { runtime, adapters, deps } = await afterCallDeps();
  return {
    runtime,
    adapters,
    deps: { ...deps, missedCallTexts: missedCallTextsFor(runtime.config, runtime.stores, Date.now) },
  };
});
