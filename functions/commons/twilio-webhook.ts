/**
 * The verify step shared by the Twilio-facing handlers: the signature over the public URL (never a
 * request header) and the form, then the account, then the form's own schema. Not Twilio's: a bare
 * 403; Twilio's but malformed: 400, with the problems logged. Either way the handler stops.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod';
import { isValidTwilioWebhook } from '../../services/adapters/twilio/webhook-signature.js';
import type { Config } from '../../services/core/shared/config.js';
import { forCall, type Log, logger } from '../../services/core/shared/logging.js';
import { REFUSAL_LOG_MESSAGES } from '../../services/core/shared/metric-names.js';
import { zodProblems } from '../../services/core/shared/validation.js';
import {
  forbidden,
  type HttpHandler,
  type HttpResult,
  header,
  parseForm,
  rawBody,
  textResponse,
} from './http.js';

export type TwilioForm = Record<string, string | string[]>;

/** Twilio's call identifier: `CA` and 32 hex digits. */
export const callSidSchema = z.string().regex(/^CA[0-9a-fA-F]{32}$/);

export interface TwilioVerifyOptions {
  config: Pick<Config, 'publicUrl'> & { twilio: Pick<Config['twilio'], 'accountSid' | 'authToken'> };
  path: string;
  /** Include the request's query string in the signed URL (Twilio signs the URL exactly as given to it). */
  withQuery?: boolean;
}

/**
 * The form parsed by `schema` when the request is Twilio's (signed for our URL, from our account),
 * else the answer to give. `refusing` names the request in the log line, e.g. `a status callback`.
 */
export function verifiedTwilioForm<T>(
  event: APIGatewayProxyEventV2,
  options: TwilioVerifyOptions & { schema: z.ZodType<T>; refusing: string },
): { form: T } | { answer: HttpResult } {
  const params = signedForm(event, options);
  if (!params) return { answer: forbidden() };
  const parsed = options.schema.safeParse(params);
  if (!parsed.success) {
    logFor(params.CallSid).warn(`Refused ${options.refusing}: malformed form`, {
      problems: zodProblems(parsed.error, '(form)'),
    });
    return { answer: textResponse(400, 'Bad Request') };
  }
  return { form: parsed.data };
}

/** The raw form when the request is Twilio's (signed for our URL, from our account), else undefined. */
function signedForm(event: APIGatewayProxyEventV2, options: TwilioVerifyOptions): TwilioForm | undefined {
  const params = parseForm(rawBody(event));
  const query = options.withQuery && event.rawQueryString ? `?${event.rawQueryString}` : '';
  const signature = header(event, 'x-twilio-signature');
  const signed = isValidTwilioWebhook({
    authToken: options.config.twilio.authToken,
    signature,
    url: `${options.config.publicUrl}${options.path}${query}`,
    params,
  });
  if (!signed) {
    logFor(params.CallSid).warn(REFUSAL_LOG_MESSAGES.twilioWebhookSignature, {
      path: options.path,
      hadSignature: signature !== undefined,
    });
    return undefined;
  }
  if (single(params.AccountSid) !== options.config.twilio.accountSid) {
    logFor(params.CallSid).warn('Refused a Twilio webhook for another account', { path: options.path });
    return undefined;
  }
  return params;
}

export function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A logger for a webhook's CallSid; unverified input is bounded so it cannot flood the log line. */
export function logFor(callSid: string | string[] | undefined): Log {
  const sid = single(callSid)?.slice(0, 64);
  return sid ? forCall(sid) : logger;
}

/** A handler that answers only Twilio's well-formed requests: `handle` gets the parsed form. */
export function twilioFormHandler<T>(
  options: TwilioVerifyOptions & { schema: z.ZodType<T>; refusing: string },
  handle: (form: T, event: APIGatewayProxyEventV2) => Promise<HttpResult>,
): HttpHandler {
  return async (event) => {
    const verified = verifiedTwilioForm(event, options);
    if ('answer' in verified) return verified.answer;
    return handle(verified.form, event);
  };
}
