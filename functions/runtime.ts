/**
 * What a Lambda container builds once and keeps between invocations: the configuration (with the
 * app secret merged in) and the adapters. Handlers export `handler = …` built on `lambdaRuntime()`.
 */
import { createDynamoClients } from '../services/adapters/dynamodb/clients.js';
import { type CallTableStores, callTableStores } from '../services/adapters/dynamodb/stores.js';
import { providerFlagFor } from '../services/adapters/provider-flag-from-config.js';
import {
  type CachedSecretEnvironment,
  type Env,
  mergeUnder,
  readSecretEnvironment,
  type SecretsManagerClient,
  secretsManagerClient,
} from '../services/adapters/secrets-manager/secret-environment.js';
import type { CallSessionStore } from '../services/core/ports/call-store.js';
import type { ProviderFlag } from '../services/core/ports/flags.js';
import { type Config, loadConfig } from '../services/core/shared/config.js';
import { cachedSecretFor } from './commons/secret.js';

export { cachedSecretFor, type Env, mergeUnder, providerFlagFor };

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
  /** The container's cached secret (lambdaRuntime); without it the secret is read once, now. */
  secret?: CachedSecretEnvironment;
}

/**
 * Builds the runtime from an environment. With `SECRETS_ARN` set, that secret's keys fill in the
 * environment first; a value set in the environment itself wins, so one variable can be overridden
 * on a function without touching the shared secret.
 */
export async function buildRuntime(env: Env, deps: RuntimeDeps = {}): Promise<LambdaRuntime> {
  let merged = env;
  const secretId = env.SECRETS_ARN?.trim();
  if (secretId) {
    const secret = deps.secret
      ? (await deps.secret.current()).environment
      : await readSecretEnvironment(deps.secretsManager ?? secretsManagerClient(), secretId);
    merged = mergeUnder(env, secret);
  }
  const config = loadConfig(merged);
  const { doc } = createDynamoClients({ endpoint: config.dynamodbEndpoint });
  const stores = callTableStores(doc, config.callTableName);
  return { config, sessions: stores.sessions, stores, providerFlag: providerFlagFor(config) };
}

/** This container's secret. */
const containerSecret = cachedSecretFor(process.env);

/**
 * Runs `build` once and shares its promise, until the secret changes: every layer built this way
 * (runtime, adapters, handlers) is rebuilt on the first invocation after a re-read found new keys.
 * A failure is not cached, so the next invocation of a warm container tries again (a secret fixed
 * in the meantime is then picked up).
 */
export function lazily<T>(
  build: () => Promise<T>,
  secret: CachedSecretEnvironment | undefined = containerSecret,
): () => Promise<T> {
  let pending: Promise<T> | undefined;
  let builtFor = 0;
  return async () => {
    const version = secret ? (await secret.current()).version : 0;
    if (!pending || builtFor !== version) {
      builtFor = version;
      pending = build().catch((error: unknown) => {
        pending = undefined;
        throw error;
      });
    }
    return pending;
  };
}

/** The runtime of this container, from `process.env`. */
export const lambdaRuntime = lazily(() => buildRuntime(process.env, { secret: containerSecret }));
