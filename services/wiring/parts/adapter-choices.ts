/** How the wiring picks adapters: a stand-in where a setting is absent locally, an error in AWS. */
import { ConfigError } from '../../core/shared/config.js';

export type AdapterMode = 'aws' | 'local';

/** What the choices found: stand-ins used, and settings missing (an error in AWS). */
export interface AdapterChoices {
  embedded: string[];
  missing: string[];
}

/** In AWS a stand-in would silently lose calls and mail: every missing setting stops the start. */
export function refuseStandInsInAws(mode: AdapterMode, choices: AdapterChoices): void {
  if (mode === 'aws' && choices.missing.length > 0) {
    throw new ConfigError(
      choices.missing.map((names) => `${names} ${names.includes(' and ') ? 'are' : 'is'} required in AWS`),
    );
  }
}
