import { buildEngines, type Engines } from '../bridge/engines.js';
import { type Bridge, type BridgeDeps, createBridge } from '../bridge/server.js';
import type { BusinessProfileSource } from '../core/ports/flags.js';
import type { RecordingDestination } from '../core/ports/recordings.js';
import type { CallControl } from '../core/ports/telephony.js';
import type { ToolRunner } from '../core/ports/tool-calls.js';
import { bridgeDepsFor } from '../wiring/bridge.js';
import { businessProfileFor } from '../wiring/parts/business-profile.js';
import { DEMO_BUSINESS_PROFILE } from './demo-business-profile.js';
import type { LocalStackContext } from './stack.js';

export interface LocalBridgeExtras {
  tools: ToolRunner;
  callControl?: CallControl;
  /** RECORD_CALLS=on: where recordings are written (LOCAL_RECORDINGS_DIR). */
  recordings?: RecordingDestination;
  /** Default: the engines the configuration reaches (real ones, or the embedded simulators' URLs). */
  engines?: Engines;
  onEngineChosen?: BridgeDeps['onEngineChosen'];
  /** Default: the profile file, else the demo business's profile. */
  businessProfile?: BusinessProfileSource;
}

/** The same bridge the container runs, mounted on the local stack's server. */
export function buildLocalBridge(context: LocalStackContext, extras: LocalBridgeExtras): Bridge {
  return createBridge({
    ...bridgeDepsFor(context.config, {
      sessions: context.sessions,
      engines: extras.engines ?? buildEngines(context.config),
      tools: extras.tools,
      callControl: extras.callControl,
      recordings: extras.recordings,
      businessProfile:
        extras.businessProfile ??
        businessProfileFor(context.config, 'local', async () => JSON.stringify(DEMO_BUSINESS_PROFILE)),
    }),
    onEngineChosen: extras.onEngineChosen,
  });
}
