/**
 * The bridge's dependencies from the configuration, written once for the container (Fargate) and
 * the local stack: the Twilio account, the engines, the call table's sessions, the agent's tools,
 * the recordings store and the business profile. The container adds its metrics and task
 * protection hooks (services/bridge/main.ts); the local stack its own stand-ins.
 */
import { createDynamoClients } from '../adapters/dynamodb/clients.js';
import { callTableStores } from '../adapters/dynamodb/stores.js';
import { eventBridgeSchedulerFor } from '../adapters/scheduler/callback-scheduler.js';
import {
  type Env,
  readSecretEnvironment,
  secretsManagerClient,
} from '../adapters/secrets-manager/secret-environment.js';
import { buildEngines } from '../bridge/engines.js';
import type { BridgeDeps } from '../bridge/server.js';
import type { CallSessionStore } from '../core/ports/call-store.js';
import type { VoiceEngine } from '../core/ports/engine.js';
import type { BusinessProfileSource } from '../core/ports/flags.js';
import type { RecordingDestination } from '../core/ports/recordings.js';
import type { CallControl } from '../core/ports/telephony.js';
import type { ToolRunner } from '../core/ports/tool-calls.js';
import { type Config, loadConfig } from '../core/shared/config.js';
import type { EngineName } from '../core/shared/engines.js';
import { logger } from '../core/shared/logging.js';
import { businessAdapters, toolRunnerFor } from './parts/business-adapters.js';
import { businessProfileFor } from './parts/business-profile.js';
import { providerFlagFor } from './parts/provider-flag.js';
import { environmentWithSecret } from './parts/secret.js';

/** What the bridge is given besides the configuration. */
export interface BridgeParts {
  sessions: CallSessionStore;
  engines: Partial<Record<EngineName, VoiceEngine>>;
  tools: ToolRunner;
  callControl?: CallControl;
  /** Where recordings are written; used only with RECORD_CALLS=on. */
  recordings?: RecordingDestination;
  businessProfile?: BusinessProfileSource;
}

/** The bridge's deps, without the hooks that only the container has (metrics, task protection). */
export function bridgeDepsFor(config: Config, parts: BridgeParts): BridgeDeps {
  return {
    accountSid: config.twilio.accountSid,
    authToken: config.twilio.authToken,
    streamUrl: config.streamUrl,
    business: { name: config.business.name, timezone: config.business.timezone },
    engineConnectTimeoutMs: config.engineConnectTimeoutMs,
    bargeInMinMs: config.bargeInMinMs,
    maxCallSeconds: config.maxCallSeconds,
    sessions: parts.sessions,
    engines: parts.engines,
    tools: parts.tools,
    callControl: parts.callControl,
    recordings: config.recording.enabled ? parts.recordings : undefined,
    businessProfile: parts.businessProfile,
    now: Date.now,
  };
}

/** The container's environment: its own, with the secret's keys under it (read once, at start). */
export function bridgeEnvironment(env: Env): Promise<Env> {
  return environmentWithSecret(env, (secretId) => readSecretEnvironment(secretsManagerClient(), secretId));
}

/** The container's configuration and deps (every outside system real; ConfigError names what is missing). */
export function awsBridgeDeps(env: Env): { config: Config; deps: BridgeDeps } {
  const config = loadConfig(env, { defaultPort: 8080, requireEngine: true });
  const adapters = businessAdapters(config, 'aws');
  const { doc } = createDynamoClients({ endpoint: config.dynamodbEndpoint });
  const stores = callTableStores(doc, config.callTableName);
  // `schedule_callback` creates EventBridge schedules when the CALLBACK_* settings reach the task;
  // without them the tool tells the caller it cannot and offers to take a message.
  const scheduler = eventBridgeSchedulerFor(config.callbacks);
  if (!scheduler) logger.warn('CALLBACK_TARGET_ARN is not set: schedule_callback will decline');
  const businessProfile = businessProfileFor(config, 'aws');
  if (!businessProfile)
    logger.warn('BUSINESS_PROFILE_PARAMETER is not set: the agent knows only the business name and hours');
  const tools = toolRunnerFor(config, adapters, {
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
  });
  return {
    config,
    deps: bridgeDepsFor(config, {
      sessions: stores.sessions,
      engines: buildEngines(config),
      tools,
      callControl: adapters.callControl,
      recordings: adapters.recordings,
      businessProfile,
    }),
  };
}
