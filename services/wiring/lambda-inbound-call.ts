/**
 * The inbound-call webhook's Lambda: the call table and the provider flag, and the CRM (Supabase)
 * when it is configured, for looking up returning callers; without it every caller is new.
 */
import type { InboundCallDeps } from '../../functions/inbound-call.js';
import { lambdaRuntime, lazily } from './lambda-container.js';
import { crmFor } from './parts/crm.js';

export const inboundCallDeps = lazily(async (): Promise<InboundCallDeps> => {
  const runtime = await lambdaRuntime();
  const crm = runtime.config.supabase ? crmFor(runtime.config, { embedded: [], missing: [] }) : undefined;
  return { ...runtime, crm };
});
