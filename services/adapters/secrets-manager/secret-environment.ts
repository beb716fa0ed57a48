import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CachedValue } from '../../core/shared/cached-value.js';

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

export type Env = Record<string, string | undefined>;

/** `base` over `under`; an empty value in `base` counts as unset (loadConfig treats it so too). */
export function mergeUnder(base: Env, under: Record<string, string>): Env {
  const merged: Env = { ...under };
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined && value.trim() !== '') merged[name] = value;
    else if (!(name in merged)) merged[name] = value;
  }
  return merged;
}

/**
 * How long a warm container trusts the secret it read: a rotated key reaches every Lambda within
 * this time (docs/runbook.md), at the cost of one GetSecretValue per container per period.
 */
export const SECRET_TTL_MS = 5 * 60 * 1000;

export interface SecretSnapshot {
  readonly environment: Record<string, string>;
  /** Goes up each time a re-read finds different content; what was built from an older one is stale. */
  readonly version: number;
}

/**
 * The secret's keys, re-read once they are older than the TTL. A re-read that fails keeps the keys
 * already held (a Secrets Manager hiccup must not fail a call) and is tried again after the next TTL;
 * only the very first read's failure is thrown.
 */
export class CachedSecretEnvironment {
  private readonly secret: CachedValue<SecretSnapshot>;
  private latest?: SecretSnapshot;

  constructor(
    private readonly read: () => Promise<Record<string, string>>,
    ttlMs = SECRET_TTL_MS,
    now: () => number = Date.now,
    onStaleKept: (error: Error) => void = () => {},
  ) {
    this.secret = new CachedValue({
      read: () => this.snapshot(),
      maxAgeMs: ttlMs,
      now,
      onReadFailed: (error) => onStaleKept(error),
    });
  }

  current(): Promise<SecretSnapshot> {
    return this.secret.get();
  }

  /** The keys just read, as a new version only when they differ from the ones held. */
  private async snapshot(): Promise<SecretSnapshot> {
    const environment = await this.read();
    const previous = this.latest;
    if (!previous || !sameEntries(previous.environment, environment)) {
      this.latest = { environment, version: (previous?.version ?? 0) + 1 };
    }
    return this.latest as SecretSnapshot;
  }
}

function sameEntries(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
