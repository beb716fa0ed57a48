import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export type { SecretsManagerClient };

/** A client for the function's own region (from the Lambda environment). */
export function secretsManagerClient(): SecretsManagerClient {
  return new SecretsManagerClient({});
}

/**
 * Reads the app's one Secrets Manager secret: a JSON object whose keys are environment-variable
 * names (`TWILIO_AUTH_TOKEN`, `ELEVENLABS_API_KEY`, …). Values that are not strings are turned into
 * strings (a nested object, such as a Google service-account key, into its JSON). Errors name the
 * secret, never its content.
 */
export async function readSecretEnvironment(
  client: SecretsManagerClient,
  secretId: string,
): Promise<Record<string, string>> {
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (SecretString === undefined) throw new Error(`Secret ${secretId} has no string value`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(SecretString);
  } catch {
    throw new Error(`Secret ${secretId} is not JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`Secret ${secretId} is not a JSON object of environment names to values`);
  }
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (value === null || value === undefined) continue;
    environment[name] = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return environment;
}
