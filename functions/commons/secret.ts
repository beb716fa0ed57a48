/**
 * The app secret as a Lambda container keeps it: read once, re-read after SECRET_TTL_MS so that a
 * rotated key reaches a warm container within 5 minutes. Apart from runtime.ts so that a function
 * that needs only the secret (the Twilio fallback) loads no DynamoDB client.
 */
import {
  CachedSecretEnvironment,
  type Env,
  readSecretEnvironment,
  SECRET_TTL_MS,
  type SecretsManagerClient,
  secretsManagerClient,
} from '../../services/adapters/secrets-manager/secret-environment.js';
import { logger } from '../../services/core/shared/logging.js';

/** The secret named by SECRETS_ARN (an ARN or a name); undefined without SECRETS_ARN (tests, local stack). */
export function cachedSecretFor(
  env: Env,
  client: () => SecretsManagerClient = secretsManagerClient,
  now: () => number = Date.now,
): CachedSecretEnvironment | undefined {
  const secretId = env.SECRETS_ARN?.trim();
  if (!secretId) return undefined;
  let shared: SecretsManagerClient | undefined;
  return new CachedSecretEnvironment(
    () => {
      shared ??= client();
      return readSecretEnvironment(shared, secretId);
    },
    SECRET_TTL_MS,
    now,
    (error) => logger.warn('Could not re-read the secret; keeping the keys already read', { error }),
  );
}
