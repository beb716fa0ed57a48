import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { ProviderFlag } from '../../core/ports/flags.js';
import { type CachedSourceOptions, CachedValue } from '../../core/shared/cached-value.js';
import { DEFAULT_ENGINE, ENGINE_NAMES, type EngineName, isEngineName } from '../../core/shared/engines.js';
import { type Logger, logger as rootLogger } from '../../core/shared/logging.js';

/** `cacheMs`: at most 10 s (DESIGN §3). */
export interface SsmProviderFlagOptions extends CachedSourceOptions {
  /** The SSM String parameter, e.g. `/bolt-voice/prod/voice-provider`. */
  parameterName: string;
  client?: SSMClient;
}

const MAX_CACHE_MS = 10_000;

/**
 * The provider flag in AWS (DESIGN §3 "Provider flag"): which engine new calls use, read from SSM
 * with a short cache. An unreadable or invalid value falls back to the last good value, else
 * `elevenlabs`; the failure is logged as an error once per change, not on every call.
 */
export class SsmProviderFlag implements ProviderFlag {
  private readonly client: SSMClient;
  private readonly log: Logger;
  private readonly flag: CachedValue<EngineName>;
  /** The failure last logged; a repeat of the same failure stays quiet. */
  private loggedFailure: string | undefined;

  constructor(private readonly options: SsmProviderFlagOptions) {
    this.client = options.client ?? new SSMClient({});
    this.log = options.logger ?? rootLogger;
    this.flag = new CachedValue({
      read: () => this.read(),
      maxAgeMs: Math.min(options.cacheMs ?? MAX_CACHE_MS, MAX_CACHE_MS),
      now: options.now,
      // The fallback is cached too, so a broken parameter costs one read per cache period, not per call.
      fallback: () => DEFAULT_ENGINE,
      onReadFailed: (error, fallback) => this.logFailure(error.message, fallback),
    });
  }

  current(): Promise<EngineName> {
    return this.flag.get();
  }

  private async read(): Promise<EngineName> {
    let value: string;
    try {
      const { Parameter } = await this.client.send(
        new GetParameterCommand({ Name: this.options.parameterName }),
      );
      value = Parameter?.Value?.trim() ?? '';
    } catch (error) {
      const { name, message } = error as Error;
      throw new Error(`unreadable: ${name}: ${message}`);
    }
    if (!isEngineName(value)) {
      throw new Error(`invalid value ${JSON.stringify(value)} (expected ${ENGINE_NAMES.join(' or ')})`);
    }
    if (this.loggedFailure !== undefined) {
      this.log.info('Provider flag readable again', { parameter: this.options.parameterName, value });
    }
    this.loggedFailure = undefined;
    return value;
  }

  private logFailure(failure: string, fallback: EngineName): void {
    if (failure === this.loggedFailure) return;
    this.loggedFailure = failure;
    this.log.error('Provider flag unusable; using the fallback engine', {
      parameter: this.options.parameterName,
      problem: failure,
      fallback,
    });
  }
}
