import { StaticProviderFlag } from '../../adapters/memory/static-provider-flag.js';
import { SsmProviderFlag } from '../../adapters/ssm/provider-flag.js';
import type { ProviderFlag } from '../../core/ports/flags.js';
import type { Config } from '../../core/shared/config.js';

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
