import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured JSON logger for the Lambdas, the bridge and the local stack. Every log line about
 * a call carries `callSid` (use `forCall`). Phone numbers go through `maskPhone` before they are
 * logged; secrets are never logged.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'bolt-voice' });

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
