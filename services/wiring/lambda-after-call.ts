/**
 * The CRM and the mailer of the after-call Lambdas (status callback, post-call webhook, digest),
 * built once per container. Only these two: the functions' bundles stay free of the Twilio REST
 * client and the Google calendar.
 */

import { type LambdaRuntime, lambdaRuntime, lazily } from './lambda-container.js';
import { type CrmAndMail, crmAndMailFor } from './parts/after-call.js';

export interface LambdaAfterCall {
  runtime: LambdaRuntime;
  adapters: CrmAndMail;
}

/** In AWS the CRM and mail must be configured: a missing setting fails the build with its name. */
export const lambdaAfterCall = lazily(async (): Promise<LambdaAfterCall> => {
  const runtime = await lambdaRuntime();
  return { runtime, adapters: crmAndMailFor(runtime.config, 'aws') };
});
