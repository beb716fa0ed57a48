/**
 * The local stack's composition root: configuration → dependencies, as the Lambdas and the bridge
 * container have theirs in services/wiring/. Each outside system is the real adapter when its
 * setting is present, else an embedded stand-in. It lives here, not in services/wiring/, because it
 * builds local-only parts (stand-ins, the demo profile, the pages) that deployed code must never
 * import. Everything that runs on the call table is built once the stack has opened it.
 */
import type { BridgeDeps } from '../bridge/server.js';
import type { ToolRunner } from '../core/ports/tool-calls.js';
import type { Config } from '../core/shared/config.js';
import { type BusinessAdapters, businessAdapters, toolRunnerFor } from '../wiring/parts/business-adapters.js';
import { businessProfileFor } from '../wiring/parts/business-profile.js';
import { buildLocalAfterCall, type LocalAfterCall } from './after-call.js';
import { buildLocalBridge } from './bridge.js';
import { DEMO_BUSINESS_PROFILE } from './demo-business-profile.js';
import { createLocalPages, type LocalPagesHandle } from './pages/index.js';
import { localWebhookRoutes } from './routes.js';
import type { LocalStackContext, LocalStackOptions } from './stack.js';

export interface LocalCompositionOptions {
  /** Replaces the agent's tools (tests of the call path alone). */
  tools?: ToolRunner;
  /** Replaces a business adapter (tests that observe one system). */
  adapters?: Partial<BusinessAdapters>;
  onEngineChosen?: BridgeDeps['onEngineChosen'];
  /** The clock of the after-call side, outbound calls and tools (tests move it to a schedule's time). */
  now?: () => number;
  /** This run's key to the local pages. */
  pageKey: string;
}

export interface LocalComposition {
  adapters: BusinessAdapters;
  /** What the stack mounts: every webhook route, the pages and the bridge, over its call table. */
  mounts: Required<Pick<LocalStackOptions, 'routes' | 'pages' | 'buildBridge'>>;
  /** The after-call side and the agent's tools over the stack's call table (built once). */
  builtOver(context: LocalStackContext): { afterCall: LocalAfterCall; tools: ToolRunner };
  /** Stops what was built: the pages' softphone and the after-call timers. */
  close(): void;
}

export function composeLocal(config: Config, options: LocalCompositionOptions): LocalComposition {
  const adapters = { ...businessAdapters(config, 'local'), ...options.adapters };
  // One profile source for the agent's context and the tools (the transfer settings).
  const businessProfile = businessProfileFor(config, 'local', async () =>
    JSON.stringify(DEMO_BUSINESS_PROFILE),
  );
  // The routes, the bridge's tools and the app share one after-call side over the stack's table.
  let afterCall: LocalAfterCall | undefined;
  let tools: ToolRunner | undefined = options.tools;
  let pages: LocalPagesHandle | undefined;
  const afterCallOver = (context: LocalStackContext) => {
    afterCall ??= buildLocalAfterCall(context, adapters, options.now);
    return afterCall;
  };
  const toolsOver = (context: LocalStackContext) => {
    tools ??= toolRunnerFor(config, adapters, {
      outbound: afterCallOver(context).outbound,
      usage: context.stores.usage,
      callers: context.stores.sessions,
      businessProfile,
      textLog: context.stores.sessions,
      now: options.now,
    });
    return tools;
  };

  return {
    adapters,
    mounts: {
      routes: (context) => {
        const built = afterCallOver(context);
        return localWebhookRoutes(context, {
          adapters,
          afterCall: built.afterCallDeps,
          placeCall: built.placeCall,
          now: options.now ?? Date.now,
        });
      },
      pages: (context) => {
        pages = createLocalPages({
          config,
          sessions: context.sessions,
          finalisations: context.stores.finalisations,
          deliveries: context.stores.webhookDeliveries,
          recentSessions: (limit) => context.recentSessions(limit),
          outbox: adapters.embedded.includes('mail'),
          pageKey: options.pageKey,
        });
        return pages;
      },
      buildBridge: (context) =>
        buildLocalBridge(context, {
          tools: toolsOver(context),
          businessProfile,
          callControl: adapters.callControl,
          recordings: adapters.recordings,
          onEngineChosen: options.onEngineChosen,
        }),
    },
    builtOver: (context) => ({ afterCall: afterCallOver(context), tools: toolsOver(context) }),
    close: () => {
      pages?.close();
      afterCall?.close();
    },
  };
}
