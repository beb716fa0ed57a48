/**
 * The missed-call text-back finalisation sends, over the call table's counters and text log. Apart
 * from after-call.ts because it loads the Twilio REST client, which only the functions that
 * finalise calls (the status callback, the sweeper) and the local stack need.
 */
import { TwilioTexts } from '../../adapters/twilio/sms.js';
import type { TextLog } from '../../core/ports/call-store.js';
import type { Config } from '../../core/shared/config.js';
import type { MissedCallTextDeps } from '../../core/texts/missed-call-text.js';
import type { AfterCallStores } from './after-call.js';

function isTextLog(store: object): store is TextLog {
  return typeof (store as Partial<TextLog>).appendText === 'function';
}

/** The missed-call text-back over the call table's counters and log; absent when texts are off. */
export function missedCallTextsFor(
  config: Config,
  stores: AfterCallStores,
  now: () => number,
): MissedCallTextDeps | undefined {
  if (!config.sms.enabled || !stores.usage) return undefined;
  const { sessions } = stores;
  return {
    businessName: config.business.name,
    businessNumber: config.twilio.phoneNumber,
    texts: {
      sender: new TwilioTexts({
        accountSid: config.twilio.accountSid,
        authToken: config.twilio.authToken,
        apiUrl: config.twilio.apiUrl,
        from: config.sms.from,
        messagingServiceSid: config.sms.messagingServiceSid,
      }),
      enabled: true,
      allowedCountries: config.outboundAllowedCountries,
      usage: stores.usage,
      timezone: config.business.timezone,
      now,
      log: isTextLog(sessions) ? sessions : undefined,
    },
  };
}
