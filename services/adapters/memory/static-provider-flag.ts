import type { Config } from '../../core/config.js';
import type { ProviderFlag } from '../../core/ports.js';
import type { EngineName } from '../../core/voice-engine.js';

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
