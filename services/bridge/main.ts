/**
 * The bridge container (Fargate): Twilio media streams ⇄ the voice engines, on PORT (default 8080).
 * Configuration comes from the environment, with the keys of the secret named by SECRETS_ARN merged
 * under it at start (as the Lambdas do). On SIGTERM it stops taking new streams, wraps up and ends
 * the live calls, flushes their writes and exits well inside the task's stopTimeout (`shutdown.ts`).
 */

import { businessProfileFor } from '../adapters/business-profile-from-config.js';
import { createDynamoClients } from '../adapters/dynamodb/clients.js';
import { callTableStores } from '../adapters/dynamodb/stores.js';
import { TaskProtection } from '../adapters/ecs/task-protection.js';
import { businessAdapters, toolRunnerFor } from '../adapters/from-config.js';
import { providerFlagFor } from '../adapters/provider-flag-from-config.js';
import { eventBridgeSchedulerFor } from '../adapters/scheduler/callback-scheduler.js';
import {
  type Env,
  mergeUnder,
  readSecretEnvironment,
  secretsManagerClient,
} from '../adapters/secrets-manager/secret-environment.js';
import { ConfigError, loadConfig } from '../core/shared/config.js';
import { logger } from '../core/shared/logging.js';
import { buildEngines } from './engines.js';
import { createBridgeHttpServer } from './http-server.js';
import { BridgeMetrics } from './metrics.js';
import { createBridge } from './server.js';
import { installProcessHandlers } from './shutdown.js';

/** How often ActiveCalls is published even when it does not change (keeps the scaling metric fresh). */
const METRICS_INTERVAL_MS = 60_000;

/** The environment with the secret's keys under it; a secret that cannot be read stops the start. */
async function environment(env: Env): Promise<Env> {
  const secretId = env.SECRETS_ARN?.trim();
  if (!secretId) return env;
  try {
    return mergeUnder(env, await readSecretEnvironment(secretsManagerClient(), secretId));
  } catch (error) {
    process.stderr.write(`Could not read the secret ${secretId}: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

async function start(): Promise<void> {
  const env = await environment(process.env);
  let config: ReturnType<typeof loadConfig>;
  let adapters: ReturnType<typeof businessAdapters>;
  try {
    config = loadConfig(env, { defaultPort: 8080, requireEngine: true });
    adapters = businessAdapters(config, 'aws');
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const { doc } = createDynamoClients({ endpoint: config.dynamodbEndpoint });
  const stores = callTableStores(doc, config.callTableName);
  // `schedule_callback` creates EventBridge schedules when the CALLBACK_* settings reach the task;
  // without them the tool tells the caller it cannot and offers to take a message.
  const scheduler = eventBridgeSchedulerFor(config.callbacks);
  if (!scheduler) logger.warn('CALLBACK_TARGET_ARN is not set: schedule_callback will decline');
  const engines = buildEngines(config);
  const businessProfile = businessProfileFor(config, 'aws');
  if (!businessProfile)
    logger.warn('BUSINESS_PROFILE_PARAMETER is not set: the agent knows only the business name and hours');
  const metrics = new BridgeMetrics();
  const protection = new TaskProtection();
  const bridge = createBridge({
    accountSid: config.twilio.accountSid,
    authToken: config.twilio.authToken,
    streamUrl: config.streamUrl,
    business: { name: config.business.name, timezone: config.business.timezone },
    engineConnectTimeoutMs: config.engineConnectTimeoutMs,
    bargeInMinMs: config.bargeInMinMs,
    maxCallSeconds: config.maxCallSeconds,
    sessions: stores.sessions,
    engines,
    tools: toolRunnerFor(config, adapters, {
      outbound: scheduler
        ? {
            sessions: stores.sessions,
            requests: stores.outboundRequests,
            scheduler,
            providerFlag: providerFlagFor(config),
          }
        : undefined,
      usage: stores.usage,
      callers: stores.sessions,
      businessProfile,
      textLog: stores.sessions,
    }),
    callControl: adapters.callControl,
    recordings: config.recording.enabled ? adapters.recordings : undefined,
    businessProfile,
    now: Date.now,
    onEngineChosen: (event) => metrics.engineChosen(event),
    onTurnLatency: (ms, engine) => metrics.turnLatency(ms, engine),
    onTurnCount: (count, engine) => metrics.turnCount(count, engine),
    onEngineStall: (engine) => metrics.engineStall(engine),
    onActiveCallsChanged: (activeCalls) => {
      metrics.activeCalls(activeCalls);
      void protection.update(activeCalls);
    },
  });
  const server = createBridgeHttpServer(bridge);
  const publisher = setInterval(() => metrics.activeCalls(bridge.activeCalls()), METRICS_INTERVAL_MS);
  publisher.unref();
  server.listen(config.port, () => {
    logger.info('Bridge listening', {
      port: config.port,
      streamUrl: config.streamUrl,
      engines: Object.keys(engines),
    });
  });

  installProcessHandlers(process, {
    bridge,
    stopServing: async () => {
      clearInterval(publisher);
      protection.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    exit: (code) => process.exit(code),
  });
  process.on('SIGINT', () => {
    void bridge.close().then(() => server.close(() => process.exit(0)));
  });
}

void start();
