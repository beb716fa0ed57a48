/**
 * What a Lambda container builds once and keeps between invocations: the configuration (with the
 * app secret merged in) and the adapters. Handlers export `handler = …` built on `lambdaRuntime()`.
 */
import { createDynamoClients } from '../services/adapters/dynamodb/clients.js';
import { type CallTableStores, callTableStores } from '../services/adapters/dynamodb/stores.js';
import { providerFlagFor } from '../services/adapters/provider-flag-from-config.js';
import {
  readSecretEnvironment,
  type SecretsManagerClient,
  secretsManagerClient,
} from '../services/adapters/secrets-manager/secret-environment.js';
import type { CallSessionStore } from '../services/core/call-session.js';
import { type Config, loadConfig } from '../services/core/config.js';
import type { ProviderFlag } from '../services/core/ports.js';

export { providerFlagFor };

export type Env = Record<string, string | undefined>;

export interface LambdaRuntime {
  config: Config;
  sessions: CallSessionStore;
  /** Every store of the call table (sessions included), over the same client. */
  stores: CallTableStores;
  providerFlag: ProviderFlag;
}

export interface RuntimeDeps {
  /** Injected by tests; otherwise one client for the region of the environment. */
  secretsManager?: SecretsManagerClient;
}

/**
 * Builds the runtime from an environment. With `SECRETS_ARN` set, that secret's keys fill in the
 * environment first; a value set in the environment itself wins, so one variable can be overridden
 * on a function without touching the shared secret.
 */
export async function buildRuntime(env: Env, deps: RuntimeDeps = {}): Promise<LambdaRuntime> {
  let merged = env;
  const secretArn = env.SECRETS_ARN?.trim();
  if (secretArn) {
    const secret = await readSecretEnvironment(deps.secretsManager ?? secretsManagerClient(), secretArn);
    merged = mergeUnder(env, secret);
  }
  const config = loadConfig(merged);
  const { doc } = createDynamoClients({ endpoint: config.dynamodbEndpoint });
  const stores = callTableStores(doc, config.callTableName);
  return { config, sessions: stores.sessions, stores, providerFlag: providerFlagFor(config) };
}

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
 * Runs `build` once and shares its promise; a failure is not cached, so the next invocation of a
 * warm container tries again (a secret fixed in the meantime is then picked up).
 */
export function lazily<T>(build: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= build().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

/** The runtime of this container, from `process.env`. */
export const lambdaRuntime = lazily(() => buildRuntime(process.env));
