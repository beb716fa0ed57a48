/**
 * Settings read per call from outside: which engine new calls use and the business profile the agent
 * speaks from. Adapters: SSM parameters in AWS, environment or files locally.
 */
import type { BusinessProfile } from '../shared/business-profile.js';
import type { EngineName } from '../shared/engines.js';

/** The provider flag: which engine new calls use (SSM in AWS, `VOICE_PROVIDER` locally). */
export interface ProviderFlag {
  current(): Promise<EngineName>;
}

/** The port the bridge reads per call. Undefined: there is no usable profile. */
export interface BusinessProfileSource {
  current(): Promise<BusinessProfile | undefined>;
}
