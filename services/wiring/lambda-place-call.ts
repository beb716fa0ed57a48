/**
 * The business adapters of a Lambda (CRM, calendar, mail, Twilio REST), built once per container
 * from the runtime's configuration. Apart from runtime.ts so that the inbound webhook, which needs
 * none of them, does not load their SDKs on a cold start (the after-call functions use
 * `./after-call.ts`, CRM and mail only).
 */

import { type LambdaRuntime, lambdaRuntime, lazily } from './lambda-container.js';
import { type BusinessAdapters, businessAdapters } from './parts/business-adapters.js';

export interface LambdaBusiness {
  runtime: LambdaRuntime;
  adapters: BusinessAdapters;
}

/** Every business adapter; in AWS every outside system must be configured (a missing one is named). */
export const lambdaBusiness = lazily(async (): Promise<LambdaBusiness> => {
  const runtime = await lambdaRuntime();
  return { runtime, adapters: businessAdapters(runtime.config, 'aws') };
});
