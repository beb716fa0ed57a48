/**
 * What every new call does first, inbound (`answerInboundCall`) or outbound (`placeCall`): read the
 * provider flag once, and look the other party up in the CRM within a short bound.
 */

import type { Crm, KnownCustomer } from '../ports/crm.js';
import type { ProviderFlag } from '../ports/flags.js';
import type { EngineName } from '../shared/engines.js';
import type { Log } from '../shared/logging.js';
import { isE164 } from '../shared/phone.js';
import { TimeoutError, withTimeout } from '../shared/timeout.js';

/** Twilio waits 15 s for TwiML, but the caller hears ringing meanwhile: the CRM gets a short leash. */
export const CRM_LOOKUP_TIMEOUT_MS = 700;

/** Read once per call; an unreadable flag must not cost the caller the call. */
export async function chooseProvider(
  flag: ProviderFlag,
  defaultProvider: EngineName,
  log: Log,
): Promise<EngineName> {
  try {
    return await flag.current();
  } catch (error) {
    log.error('Provider flag unreadable: using the configured default', {
      error: error as Error,
      provider: defaultProvider,
    });
    return defaultProvider;
  }
}

/** The CRM only helps the agent: on a slow or failing lookup the call goes on as with a stranger. */
export async function lookUpCustomer(
  crm: Pick<Crm, 'findCustomerByPhone'> | undefined,
  phone: string,
  now: number,
  log: Log,
  timeoutMs = CRM_LOOKUP_TIMEOUT_MS,
): Promise<KnownCustomer | undefined> {
  if (!crm || !isE164(phone)) return undefined;
  try {
    return await withTimeout(crm.findCustomerByPhone(phone, now), timeoutMs);
  } catch (error) {
    if (error instanceof TimeoutError) {
      log.warn('CRM lookup timed out: treating the other party as unknown', { timeoutMs });
    } else {
      log.error('CRM lookup failed: treating the other party as unknown', { error: error as Error });
    }
    return undefined;
  }
}
