/**
 * The verify step shared by the Twilio-facing handlers: the signature over the public URL (never a
 * request header) and the form, then the account. Anything wrong is a bare 403 and the handler stops.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { isValidTwilioWebhook } from '../../services/adapters/twilio/webhook-signature.js';
import type { Config } from '../../services/core/config.js';
import { forCall, type Logger, logger } from '../../services/core/logging.js';
import { REFUSAL_LOG_MESSAGES } from '../../services/core/metric-names.js';
import { header, parseForm, rawBody } from './http.js';

export type TwilioForm = Record<string, string | string[]>;

export interface TwilioVerifyOptions {
  config: Pick<Config, 'publicUrl' | 'twilio'>;
  path: string;
  /** Include the request's query string in the signed URL (Twilio signs the URL exactly as given to it). */
  withQuery?: boolean;
}

/** The form when the request is Twilio's (signed for our URL, from our account), else undefined. */
export function verifiedTwilioForm(
  event: APIGatewayProxyEventV2,
  options: TwilioVerifyOptions,
): TwilioForm | undefined {
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
export function logFor(callSid: string | string[] | undefined): Logger {
  const sid = single(callSid)?.slice(0, 64);
  return sid ? forCall(sid) : logger;
}
