/**
 * The Twilio fallback's Lambda: only the environment with the app secret under it (no DynamoDB, no
 * adapters), so the page of last resort starts fast and depends on as little as possible.
 */
import type { Env } from '../adapters/secrets-manager/secret-environment.js';
import { cachedSecretFor, environmentWithSecret } from './parts/secret.js';

const containerSecret = cachedSecretFor(process.env);

/** `process.env` over the secret's keys, re-read every 5 minutes (a rotated auth token is picked up). */
export async function fallbackSecretEnvironment(): Promise<Env> {
  const secret = containerSecret;
  return secret
    ? environmentWithSecret(process.env, async () => (await secret.current()).environment)
    : process.env;
}
