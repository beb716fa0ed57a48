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

// A plus (or its URL encoding, `%2B`) and 7 to 15 digits, separators allowed: +1 (202) 555-0143.
const INTERNATIONAL = /(?:\+|%2[Bb])\s?\(?\d(?:[\s().-]{0,2}\d){6,14}/g;
// North American forms without the plus: (202) 555-0143, 202.555.0143, 1-202-555-0143.
const NATIONAL = /(?<![\w.+%-])(?:1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?![\w-])/g;
// Any other bare run of 10 to 15 digits (a number abroad, `00` prefixed, or E.164 without its plus).
const DIGIT_RUN = /(?<![\w.+%-])\d{10,15}(?![\w-])/g;
const EMAIL_ANYWHERE = /[A-Za-z0-9._%+-]+(?:@|%40)([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})/g;
/** Nothing to redact without one of these: most log strings skip the replacements. */
const MAYBE_PERSONAL = /[+@%]|\d{7}|\d[\s().-]\d/;

/**
 * Masks phone numbers (`+1202•••••43`) and email addresses (`•••@example.com`) in free text: in
 * E.164, formatted, without the plus, or URL-encoded (as SDK errors quote what they were sent).
 * Errs towards masking: a ten-digit epoch in a message is masked like a number.
 */
export function redactPersonalData(text: string): string {
  if (!MAYBE_PERSONAL.test(text)) return text;
  return text
    .replace(EMAIL_ANYWHERE, '•••@$1')
    .replace(INTERNATIONAL, (number) => maskPhone(number.replace(/%2b/i, '+')))
    .replace(NATIONAL, (number) => maskPhone(number))
    .replace(DIGIT_RUN, (number) => maskPhone(number));
}

/**
 * `fn` with whatever it throws redacted (message and stack): for Lambda entry points, whose thrown
 * errors the runtime logs itself, without our replacer (Twilio's "not authorized to call +1…").
 */
export function withMaskedErrors<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (error) {
      throw maskedError(error);
    }
  };
}

function maskedError(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(redactPersonalData(String(error)));
  const masked = new Error(redactPersonalData(error.message));
  masked.name = error.name;
  masked.stack = error.stack === undefined ? undefined : redactPersonalData(error.stack);
  return masked;
}

/** What the code that logs needs of a logger: the root `logger` and a call's `forCall` both fit. */
export type Log = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
type LogInput = Parameters<Logger['info']>[0];
type LogExtra = Parameters<Logger['info']> extends [unknown, ...infer Rest] ? Rest : never;

/**
 * A call's log: the process's one logger, each entry given the call's `callSid`. A Powertools child
 * logger would cost about 8 KiB of heap and a `Console` per call; this costs a few fields. Every
 * entry still goes through the root logger's replacer, so numbers stay masked.
 */
class CallLog implements Log {
  constructor(readonly callSid: string) {}

  debug(input: LogInput, ...extra: LogExtra): void {
    logger.debug(this.entry(input), ...extra);
  }

  info(input: LogInput, ...extra: LogExtra): void {
    logger.info(this.entry(input), ...extra);
  }

  warn(input: LogInput, ...extra: LogExtra): void {
    logger.warn(this.entry(input), ...extra);
  }

  error(input: LogInput, ...extra: LogExtra): void {
    logger.error(this.entry(input), ...extra);
  }

  /** The keys every entry carries, as Powertools' `getPersistentLogAttributes` names them. */
  getPersistentLogAttributes(): { callSid: string } {
    return { callSid: this.callSid };
  }

  private entry(input: LogInput): Exclude<LogInput, string> {
    return typeof input === 'string'
      ? { message: input, callSid: this.callSid }
      : { ...input, callSid: this.callSid };
  }
}

/**
 * The parts of a live call that log (the call, its session writer, its engine) share one `CallLog`,
 * held weakly so it goes when the call's last part does.
 */
const callLogs = new Map<string, WeakRef<CallLog>>();
const released = new FinalizationRegistry<string>((callSid) => {
  if (callLogs.get(callSid)?.deref() === undefined) callLogs.delete(callSid);
});

export function forCall(callSid: string): CallLog {
  const shared = callLogs.get(callSid)?.deref();
  if (shared) return shared;
  const log = new CallLog(callSid);
  callLogs.set(callSid, new WeakRef(log));
  released.register(log, callSid);
  return log;
}

export type { Logger };
