/**
 * The whole local application, composed as in AWS but in one process: webhook routes, the bridge,
 * and each outside system either real (its setting is present) or an embedded stand-in.
 * `npm start`, `npm run demo` and the end-to-end tests all start it through here.
 */

import { randomBytes } from 'node:crypto';
import type { BridgeDeps } from '../bridge/server.js';
import type { ToolRunner } from '../core/ports/tool-calls.js';
import { type BusinessProfile, parseBusinessProfile } from '../core/shared/business-profile.js';
import { loadConfig } from '../core/shared/config.js';
import { type BusinessAdapters, businessAdapters, toolRunnerFor } from '../wiring/parts/business-adapters.js';
import { businessProfileFor, fileProfileReader } from '../wiring/parts/business-profile.js';
import { buildLocalAfterCall, type LocalAfterCall } from './after-call.js';
import { buildLocalBridge } from './bridge.js';
import { ensureCallsApiKey } from './calls-api-key.js';
import { DEMO_BUSINESS_PROFILE } from './demo-business-profile.js';
import { demoScript } from './demo-script.js';
import { type EmbeddedEngines, startEmbeddedEngines } from './embedded-engines.js';
import { createLocalPages, type LocalPagesHandle, pageLinkFor } from './pages/index.js';
import type { ConversationScript } from './sim/script.js';
import { type Env, type LocalStack, type LocalStackContext, startLocalStack } from './stack.js';

export interface LocalAppOptions {
  /** The conversation simulated engines play (default: the demo booking call). */
  script?: ConversationScript;
  /** Replaces the agent's tools (tests of the call path alone). */
  tools?: ToolRunner;
  /** Replaces a business adapter (tests that observe one system). */
  adapters?: Partial<BusinessAdapters>;
  onEngineChosen?: BridgeDeps['onEngineChosen'];
  host?: string;
  /** The clock of the after-call side, outbound calls and tools (tests move it to a schedule's time). */
  now?: () => number;
}

export interface LocalApp {
  stack: LocalStack;
  adapters: BusinessAdapters;
  tools: ToolRunner;
  engines: EmbeddedEngines;
  /** The after-call and outbound side: its routes are mounted; the digest and the timer are here. */
  afterCall: LocalAfterCall;
  /** The `CALLS_API_KEY` made for this run because none was set (print it once), else undefined. */
  generatedCallsApiKey?: string;
  /** This run's key to the local pages: `pageLink` carries it (print the links once). */
  pageKey: string;
  /** `<stack url><path>?key=…`: opens `/phone` or `/calls` in a browser and sets the key's cookie. */
  pageLink(path: '/phone' | '/calls', base?: string): string;
  close(): Promise<void>;
}

export async function startLocalApp(given: Env, options: LocalAppOptions = {}): Promise<LocalApp> {
  const { env, generated: generatedCallsApiKey } = ensureCallsApiKey(given);
  const preliminary = loadConfig(env);
  const script =
    options.script ??
    demoScript(
      Date.now(),
      preliminary.business.timezone,
      preliminary.business.hours,
      await scriptProfile(preliminary.businessProfileFile),
    );
  const engines = await startEmbeddedEngines(env, script);
  let afterCall: LocalAfterCall | undefined;
  let pages: LocalPagesHandle | undefined;
  // Made here, not by the pages, so the banner can print it before anyone opens a page.
  const pageKey = randomBytes(32).toString('base64url');
  try {
    const config = loadConfig(engines.env);
    const adapters = { ...businessAdapters(config, 'local'), ...options.adapters };
    // One profile source for the agent's context and the tools (the transfer settings).
    const businessProfile = businessProfileFor(config, 'local', async () =>
      JSON.stringify(DEMO_BUSINESS_PROFILE),
    );
    // The bridge's tools and the extra routes share one wiring over the stack's call table.
    const wire = (context: LocalStackContext) => {
      afterCall ??= buildLocalAfterCall(context, adapters, options.now);
      return afterCall;
    };
    let tools: ToolRunner | undefined = options.tools;
    const stack = await startLocalStack(engines.env, {
      host: options.host,
      crm: adapters.crm,
      extraRoutes: (context) => wire(context).routes,
      pages: (context) => {
        pages = createLocalPages({
          config,
          sessions: context.sessions,
          finalisations: context.stores.finalisations,
          deliveries: context.stores.webhookDeliveries,
          recentSessions: (limit) => context.recentSessions(limit),
          outbox: adapters.embedded.includes('mail'),
          pageKey,
        });
        return pages;
      },
      buildBridge: (context) => {
        tools ??= toolRunnerFor(config, adapters, {
          outbound: wire(context).outbound,
          usage: context.stores.usage,
          callers: context.stores.sessions,
          businessProfile,
          textLog: context.stores.sessions,
          now: options.now,
        });
        return buildLocalBridge(context, {
          tools,
          businessProfile,
          callControl: adapters.callControl,
          recordings: adapters.recordings,
          onEngineChosen: options.onEngineChosen,
        });
      },
    });
    const wired = wire(stack);
    return {
      stack,
      adapters,
      tools:
        tools ??
        toolRunnerFor(config, adapters, {
          outbound: wired.outbound,
          usage: stack.stores.usage,
          callers: stack.stores.sessions,
          businessProfile,
          textLog: stack.stores.sessions,
          now: options.now,
        }),
      engines,
      afterCall: wired,
      generatedCallsApiKey,
      pageKey,
      pageLink: (path, base = stack.url) => pageLinkFor(base, path, pageKey),
      async close() {
        pages?.close();
        wired.close();
        await stack.close();
        await engines.close();
      },
    };
  } catch (error) {
    pages?.close();
    afterCall?.close();
    await engines.close();
    throw error;
  }
}

/**
 * The profile the simulated agent answers the demo's price question from: the owner's file when
 * one is set (and valid), so the simulated answer matches what the engine is given; else the demo's.
 */
async function scriptProfile(file: string | undefined): Promise<BusinessProfile> {
  const raw = file ? await fileProfileReader(file)().catch(() => undefined) : undefined;
  const parsed = raw ? parseBusinessProfile(raw) : undefined;
  return parsed?.ok ? parsed.profile : DEMO_BUSINESS_PROFILE;
}
