import type { Logger } from '@aws-lambda-powertools/logger';

/** One entry a spied logger method received: a call's log sends `{ message, callSid }`, the root a string. */
export interface LogEntry {
  message: string;
  callSid?: string;
  /** The second argument: the entry's details. */
  details: unknown;
}

/** The entries a `jest.spyOn(Logger.prototype, 'warn' | 'error' | …)` saw, whichever logger sent them. */
export function logEntries(spy: jest.SpiedFunction<Logger['error']>): LogEntry[] {
  return spy.mock.calls.map(([input, details]) => {
    if (typeof input === 'string') return { message: input, details };
    const { message, callSid } = input as { message?: unknown; callSid?: unknown };
    return {
      message: String(message),
      callSid: typeof callSid === 'string' ? callSid : undefined,
      details,
    };
  });
}
