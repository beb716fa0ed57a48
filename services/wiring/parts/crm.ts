/**
 * The CRM chosen from the configuration. Apart from after-call.ts so that the inbound-call Lambda,
 * which only looks up returning callers, bundles neither the mailer nor the Twilio REST client.
 */
import { MemoryCrm } from '../../adapters/memory/crm.js';
import { SupabaseCrm } from '../../adapters/supabase/crm.js';
import type { Crm, TextReplies } from '../../core/ports/crm.js';
import type { Config } from '../../core/shared/config.js';
import type { AdapterChoices } from './adapter-choices.js';

export function crmFor(config: Config, choices: AdapterChoices): Crm & TextReplies {
  const timezone = config.business.timezone;
  if (config.supabase) return new SupabaseCrm({ ...config.supabase, timezone });
  choices.missing.push('SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY');
  choices.embedded.push('crm');
  return new MemoryCrm({ timezone });
}
