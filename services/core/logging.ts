import { Logger } from '@aws-lambda-powertools/logger';
import { maskPhone } from './phone.js';

/**
 * One structured JSON logger for the Lambdas, the bridge and the local stack. Every log line about
 * a call carries `callSid` (use `forCall`). Phone numbers go through `maskPhone` before they are
 * logged; secrets, email addresses and what callers said are never logged.
 *
 * The call sites are the first line of defence; `redactPersonalData` is the second: every string
 * in every log line (messages, fields, error messages and stacks from SDKs that quote what they
 * were given) has E.164 numbers masked and email addresses reduced to their domain.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'bolt-voice',
  jsonReplacerFn: (_key: string, value: unknown) =>
    typeof value === 'string' ? redactPersonalData(value) : value,
});

const E164_ANYWHERE = /\+[1-9]\d{6,14}/g;
const EMAIL_ANYWHERE = /[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})/g;

/** Masks phone numbers (`+1202•••••43`) and email addresses (`•••@example.com`) in free text. */
export function redactPersonalData(text: string): string {
  if (!text.includes('+') && !text.includes('@')) return text; // the common case, cheaply
  return text.replace(E164_ANYWHERE, (number) => maskPhone(number)).replace(EMAIL_ANYWHERE, '•••@$1');
}

/**
 * A Powertools child logger costs about 8 KiB of heap (it builds its own `Console`), and a live call
 * has several parts that log (the call, its session writer, its engine): they share one child, held
 * weakly so it goes when the call's last part does.
 */
const callLoggers = new Map<string, WeakRef<Logger>>();
const released = new FinalizationRegistry<string>((callSid) => {
  if (callLoggers.get(callSid)?.deref() === undefined) callLoggers.delete(callSid);
});

export function forCall(callSid: string): Logger {
  const shared = callLoggers.get(callSid)?.deref();
  if (shared) return shared;
  const child = logger.createChild({ persistentKeys: { callSid } });
  callLoggers.set(callSid, new WeakRef(child));
  released.register(child, callSid);
  return child;
}

export type { Logger };
