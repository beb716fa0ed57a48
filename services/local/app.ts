/**
 * The whole local application, composed as in AWS but in one process: webhook routes, the bridge,
 * and each outside system either real (its setting is present) or an embedded stand-in.
 * `npm start`, `npm run demo` and the end-to-end tests all start it through here.
 */
import type { ConversationScript } from '../../test/sim/script.js';
import { type BusinessAdapters, businessAdapters, toolRunnerFor } from '../adapters/from-config.js';
import type { BridgeDeps } from '../bridge/server.js';
import { loadConfig } from '../core/config.js';
import type { ToolRunner } from '../core/tool-types.js';
import { buildLocalBridge } from './bridge.js';
import { demoScript } from './demo-script.js';
import { type EmbeddedEngines, startEmbeddedEngines } from './embedded-engines.js';
import { type Env, type LocalStack, startLocalStack } from './stack.js';

export interface LocalAppOptions {
  /** The conversation simulated engines play (default: the demo booking call). */
  script?: ConversationScript;
  /** Replaces the agent's tools (tests of the call path alone). */
  tools?: ToolRunner;
  /** Replaces a business adapter (tests that observe one system). */
  adapters?: Partial<BusinessAdapters>;
  onEngineChosen?: BridgeDeps['onEngineChosen'];
  host?: string;
}

export interface LocalApp {
  stack: LocalStack;
  adapters: BusinessAdapters;
  tools: ToolRunner;
  engines: EmbeddedEngines;
  close(): Promise<void>;
}

export async function startLocalApp(env: Env, options: LocalAppOptions = {}): Promise<LocalApp> {
  const preliminary = loadConfig(env);
  const script =
    options.script ?? demoScript(Date.now(), preliminary.business.timezone, preliminary.business.hours);
  const engines = await startEmbeddedEngines(env, script);
  try {
    const config = loadConfig(engines.env);
    const adapters = { ...businessAdapters(config, 'local'), ...options.adapters };
    const tools = options.tools ?? toolRunnerFor(config, adapters);
    const stack = await startLocalStack(engines.env, {
      host: options.host,
      crm: adapters.crm,
      buildBridge: (context) =>
        buildLocalBridge(context, {
          tools,
          callControl: adapters.callControl,
          onEngineChosen: options.onEngineChosen,
        }),
    });
    return {
      stack,
      adapters,
      tools,
      engines,
      async close() {
        await stack.close();
        await engines.close();
      },
    };
  } catch (error) {
    await engines.close();
    throw error;
  }
}
