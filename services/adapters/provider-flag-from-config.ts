import type { ProviderFlag } from '../core/ports/flags.js';
import type { Config } from '../core/shared/config.js';
import { StaticProviderFlag } from './memory/static-provider-flag.js';
import { SsmProviderFlag } from './ssm/provider-flag.js';

/**
 * The engine new calls use: the SSM parameter named by `VOICE_PROVIDER_PARAMETER` in AWS (an
 * operator flips it; cached ≤ 10 s), else `VOICE_PROVIDER` (the local stack).
 */
export function providerFlagFor(
  config: Pick<Config, 'voiceProviderParameter' | 'voiceProvider'>,
): ProviderFlag {
  if (config.voiceProviderParameter)
    return new SsmProviderFlag({ parameterName: config.voiceProviderParameter });
  return StaticProviderFlag.fromConfig(config);
}
