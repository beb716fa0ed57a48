/**
 * What a Lambda container builds once and keeps between invocations: the configuration (with the
 * app secret merged in), the call table's stores and the provider flag; the `lambda-<function>.ts`
 * modules build each function's adapters on top of it.
 */
import { createDynamoClients } from '../adapters/dynamodb/clients.js';
import { type CallTableStores, callTableStores } from '../adapters/dynamodb/stores.js';
import {
  type CachedSecretEnvironment,
  type Env,
  readSecretEnvironment,
  type SecretsManagerClient,
  secretsManagerClient,
} from '../adapters/secrets-manager/secret-environment.js';
import type { CallSessionStore } from '../core/ports/call-store.js';
import type { ProviderFlag } from '../core/ports/flags.js';
import { type Config, loadConfig } from '../core/shared/config.js';
import { providerFlagFor } from './parts/provider-flag.js';
import { cachedSecretFor, environmentWithSecret } from './parts/secret.js';

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
  const merged = await environmentWithSecret(env, async (secretId) =>
    deps.secret
      ? (await deps.secret.current()).environment
      : readSecretEnvironment(deps.secretsManager ?? secretsManagerClient(), secretId),
  );
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
