import type { ProviderFlag } from '../../core/ports/flags.js';
import type { Config } from '../../core/shared/config.js';
import type { EngineName } from '../../core/shared/engines.js';

/**
 * The provider flag of the local stack: `VOICE_PROVIDER` from the environment, changeable at run
 * time (the demo and the parity tests switch engines without restarting).
 */
export class StaticProviderFlag implements ProviderFlag {
  constructor(private value: EngineName) {}

  static fromConfig(config: Pick<Config, 'voiceProvider'>): StaticProviderFlag {
    return new StaticProviderFlag(config.voiceProvider);
  }

  current(): Promise<EngineName> {
    return Promise.resolve(this.value);
  }

  set(value: EngineName): void {
    this.value = value;
  }
}
