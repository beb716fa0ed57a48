/**
 * Starts the whole local application in one process: the embedded engines, then the stack with what
 * composition.ts builds (webhook routes, pages, the bridge). `npm start`, `npm run demo` and the
 * end-to-end tests all start it through here.
 */

import { randomBytes } from 'node:crypto';
import type { ToolRunner } from '../core/ports/tool-calls.js';
import { type BusinessProfile, parseBusinessProfile } from '../core/shared/business-profile.js';
import { loadConfig } from '../core/shared/config.js';
import type { BusinessAdapters } from '../wiring/parts/business-adapters.js';
import { fileProfileReader } from '../wiring/parts/business-profile.js';
import type { LocalAfterCall } from './after-call.js';
import { ensureCallsApiKey } from './calls-api-key.js';
import { composeLocal, type LocalCompositionOptions } from './composition.js';
import { DEMO_BUSINESS_PROFILE } from './demo-business-profile.js';
import { demoScript } from './demo-script.js';
import { type EmbeddedEngines, startEmbeddedEngines } from './embedded-engines.js';
import { pageLinkFor } from './pages/index.js';
import type { ConversationScript } from './sim/script.js';
import { type Env, type LocalStack, startLocalStack } from './stack.js';

export interface LocalAppOptions extends Omit<LocalCompositionOptions, 'pageKey'> {
  /** The conversation simulated engines play (default: the demo booking call). */
  script?: ConversationScript;
  host?: string;
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
  // Made here, not by the pages, so the banner can print it before anyone opens a page.
  const pageKey = randomBytes(32).toString('base64url');
  let composition: ReturnType<typeof composeLocal> | undefined;
  try {
    composition = composeLocal(loadConfig(engines.env), { ...options, pageKey });
    const stack = await startLocalStack(engines.env, { host: options.host, ...composition.mounts });
    const { afterCall, tools } = composition.builtOver(stack);
    const built = composition;
    return {
      stack,
      adapters: built.adapters,
      tools,
      engines,
      afterCall,
      generatedCallsApiKey,
      pageKey,
      pageLink: (path, base = stack.url) => pageLinkFor(base, path, pageKey),
      async close() {
        built.close();
        await stack.close();
        await engines.close();
      },
    };
  } catch (error) {
    composition?.close();
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
