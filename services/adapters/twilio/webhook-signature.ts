import { validateRequest } from 'twilio/lib/webhooks/webhooks';

/**
 * X-Twilio-Signature checks (twilio's own implementation; deep import keeps Lambda bundles small).
 * Webhooks are signed over the public URL and the form parameters; the media-stream WebSocket
 * upgrade over the `wss://` stream URL with no parameters.
 */
export function isValidWebhookSignature(
  authToken: string,
  signature: string,
  url: string,
  params: Record<string, string>,
): boolean {
  return validateRequest(authToken, signature, url, params);
}

export function isValidStreamSignature(authToken: string, signature: string, streamUrl: string): boolean {
  return validateRequest(authToken, signature, streamUrl, {});
}
