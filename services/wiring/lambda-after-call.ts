/**
 * The after-call Lambdas (status callback, post-call webhook, inbound SMS, digest, webhook retry):
 * the CRM, the mailer and the deps of finalisation, the post-call merge and the digest, built once
 * per container. Only these: the functions' bundles stay free of the Twilio REST client and the
 * Google calendar.
 */
import type { DigestDeps } from '../core/after-call/daily-digest.js';
import type { FinaliseDeps } from '../core/after-call/finalise-call.js';
import type { PostCallDeps } from '../core/after-call/post-call.js';
import { type LambdaRuntime, lambdaRuntime, lazily } from './lambda-container.js';
import { afterCallDepsFor, type CrmAndMail, crmAndMailFor } from './parts/after-call.js';

export interface LambdaAfterCall {
  runtime: LambdaRuntime;
  adapters: CrmAndMail;
}

/** In AWS the CRM and mail must be configured: a missing setting fails the build with its name. */
export const lambdaAfterCall = lazily(async (): Promise<LambdaAfterCall> => {
  const runtime = await lambdaRuntime();
  return { runtime, adapters: crmAndMailFor(runtime.config, 'aws') };
});

/**
 * Finalisation, the post-call merge and the digest over the call table and these adapters. Marked
 * pure so that a function that never asks for them (the inbound SMS) does not bundle them.
 */
export const afterCallDeps = /* @__PURE__ */ lazily(
  async (): Promise<LambdaAfterCall & { deps: DigestDeps & PostCallDeps & FinaliseDeps }> => {
    const { runtime, adapters } = await lambdaAfterCall();
    return { runtime, adapters, deps: afterCallDepsFor(runtime.config, adapters, runtime.stores) };
  },
);
