/**
 * The app secret as a Lambda container keeps it: read once, re-read after SECRET_TTL_MS so that a
 * rotated key reaches a warm container within 5 minutes. Apart from lambda-container.ts so that a function
 * that needs only the secret (the Twilio fallback) loads no DynamoDB client.
 */
import {
  CachedSecretEnvironment,
  type Env,
  mergeUnder,
  readSecretEnvironment,
  SECRET_TTL_MS,
  type SecretsManagerClient,
  secretsManagerClient,
} from '../../adapters/secrets-manager/secret-environment.js';
import { logger } from '../../core/shared/logging.js';

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

/**
 * `env` with the keys of the secret named by SECRETS_ARN under it: a value set in the environment
 * itself wins, so one variable can be overridden on a function or the task without touching the
 * shared secret. Without SECRETS_ARN (tests, the local stack), `env` as it is.
 */
export async function environmentWithSecret(
  env: Env,
  read: (secretId: string) => Promise<Record<string, string>>,
): Promise<Env> {
  const secretId = env.SECRETS_ARN?.trim();
  if (!secretId) return env;
  return mergeUnder(env, await read(secretId));
}
