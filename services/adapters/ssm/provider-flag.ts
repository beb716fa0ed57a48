import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { ProviderFlag } from '../../core/ports/flags.js';
import { DEFAULT_ENGINE, ENGINE_NAMES, type EngineName, isEngineName } from '../../core/shared/engines.js';
import { type Logger, logger as rootLogger } from '../../core/shared/logging.js';

export interface SsmProviderFlagOptions {
  /** The SSM String parameter, e.g. `/bolt-voice/prod/voice-provider`. */
  parameterName: string;
  client?: SSMClient;
  /** How long a read is reused (DESIGN §3: at most 10 s). */
  cacheMs?: number;
  /** Injectable clock (epoch ms). */
  now?: () => number;
  logger?: Logger;
}

const MAX_CACHE_MS = 10_000;

/**
 * The provider flag in AWS (DESIGN §3 "Provider flag"): which engine new calls use, read from SSM
 * with a short cache. An unreadable or invalid value falls back to the last good value, else
 * `elevenlabs`; the failure is logged as an error once per change, not on every call.
 */
export class SsmProviderFlag implements ProviderFlag {
  private readonly client: SSMClient;
  private readonly cacheMs: number;
  private readonly now: () => number;
  private readonly log: Logger;
  private cached: { value: EngineName; readAt: number } | undefined;
  private lastGood: EngineName | undefined;
  /** The failure last logged; a repeat of the same failure stays quiet. */
  private loggedFailure: string | undefined;
  /** One request at a time: concurrent callers during a refresh share it. */
  private inflight: Promise<EngineName> | undefined;

  constructor(private readonly options: SsmProviderFlagOptions) {
    this.client = options.client ?? new SSMClient({});
    this.cacheMs = Math.min(options.cacheMs ?? MAX_CACHE_MS, MAX_CACHE_MS);
    this.now = options.now ?? Date.now;
    this.log = options.logger ?? rootLogger;
  }

  current(): Promise<EngineName> {
    if (this.cached && this.now() - this.cached.readAt < this.cacheMs) {
      return Promise.resolve(this.cached.value);
    }
    this.inflight ??= this.refresh().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async refresh(): Promise<EngineName> {
    let failure: string;
    try {
      const { Parameter } = await this.client.send(
        new GetParameterCommand({ Name: this.options.parameterName }),
      );
      const value = Parameter?.Value?.trim() ?? '';
      if (isEngineName(value)) {
        if (this.loggedFailure !== undefined) {
          this.log.info('Provider flag readable again', { parameter: this.options.parameterName, value });
        }
        this.loggedFailure = undefined;
        this.lastGood = value;
        this.cached = { value, readAt: this.now() };
        return value;
      }
      failure = `invalid value ${JSON.stringify(value)} (expected ${ENGINE_NAMES.join(' or ')})`;
    } catch (error) {
      const { name, message } = error as Error;
      failure = `unreadable: ${name}: ${message}`;
    }
    const fallback = this.lastGood ?? DEFAULT_ENGINE;
    if (failure !== this.loggedFailure) {
      this.loggedFailure = failure;
      this.log.error('Provider flag unusable; using the fallback engine', {
        parameter: this.options.parameterName,
        problem: failure,
        fallback,
      });
    }
    // The fallback is cached too, so a broken parameter costs one read per cache period, not per call.
    this.cached = { value: fallback, readAt: this.now() };
    return fallback;
  }
}
