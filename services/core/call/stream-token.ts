import { createHash, randomBytes } from 'node:crypto';

/**
 * The one-time stream token put in the TwiML `<Parameter name="token">`: 32 random bytes, base64url.
 * Only its hash is stored, so a leaked table never lets anyone open a stream.
 */
export function newStreamToken(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 (hex) of a stream token, the form the call session keeps and the bridge compares. */
export function hashStreamToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * A token is accepted only this long after the webhook that issued it. Twilio opens the stream
 * within a second or two of our TwiML; a token that waited longer was leaked or replayed.
 */
export const STREAM_TOKEN_TTL_MS = 5 * 60 * 1000;
