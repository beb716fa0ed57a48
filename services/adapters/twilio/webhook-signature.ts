// Deep import: the `twilio` root pulls the whole REST client into every Lambda bundle (3.7 MB
// against 80 KB; docs/toolchain.md §9).
import { getExpectedTwilioSignature, validateRequest } from 'twilio/lib/webhooks/webhooks';

/** Form parameters as Twilio posted them; a name sent twice keeps all its values. */
export type WebhookParams = Record<string, string | string[]>;

export interface WebhookSignatureCheck {
  authToken: string;
  /** The `X-Twilio-Signature` header; absent means forged. */
  signature: string | undefined;
  /** The public URL Twilio was configured with (from configuration, never from request headers). */
  url: string;
  /** The form body's parameters. */
  params: WebhookParams;
}

/**
 * Checks a form-encoded Twilio webhook (HMAC-SHA1 over the URL and the sorted parameters, compared
 * in constant time by the twilio library).
 */
export function isValidTwilioWebhook(check: WebhookSignatureCheck): boolean {
  if (!check.signature) return false;
  return validateRequest(check.authToken, check.signature, check.url, check.params);
}

/** The `X-Twilio-Signature` Twilio would send for this form posted to `url` (operator scripts, simulators). */
export function signTwilioWebhook(authToken: string, url: string, params: WebhookParams): string {
  return getExpectedTwilioSignature(authToken, url, params);
}

export interface StreamSignatureCheck {
  authToken: string;
  signature: string | undefined;
  /** `STREAM_URL`: the `wss://` URL put in the TwiML, without a query string. */
  streamUrl: string;
}

/**
 * Checks the `X-Twilio-Signature` of a Media Streams WebSocket upgrade: Twilio signs the `wss://`
 * stream URL with no parameters (DESIGN §3 "Stream authentication").
 */
export function isValidTwilioStreamUpgrade(check: StreamSignatureCheck): boolean {
  if (!check.signature) return false;
  return validateRequest(check.authToken, check.signature, check.streamUrl, {});
}
