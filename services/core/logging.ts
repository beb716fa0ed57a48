import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured JSON logger for the Lambdas, the bridge and the local stack. Every log line about
 * a call carries `callSid` (use `forCall`). Phone numbers go through `maskPhone` before they are
 * logged; secrets are never logged.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'bolt-voice' });

export function forCall(callSid: string): Logger {
  return logger.createChild({ persistentKeys: { callSid } });
}

export type { Logger };
