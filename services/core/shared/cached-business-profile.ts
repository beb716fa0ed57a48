/**
 * The business profile read through a cache: an owner's edit reaches new calls within a minute, and
 * a bad edit never takes away the last good profile.
 */
import type { BusinessProfileSource } from '../ports/flags.js';
import { type BusinessProfile, parseBusinessProfile } from './business-profile.js';
import { type CachedSourceOptions, CachedValue } from './cached-value.js';
import { type Logger, logger as rootLogger } from './logging.js';
import { withTimeout } from './timeout.js';

/** Reads the stored text; undefined when nothing is stored (a missing parameter or file). */
export type ProfileReader = () => Promise<string | undefined>;

/** `cacheMs`: 60 s by default, so an owner's edit reaches new calls within a minute. */
export interface CachedBusinessProfileOptions extends CachedSourceOptions {
  /** Names the store in logs: the parameter name or file path. */
  where: string;
  /** A call never waits longer than this for a read; past it the last good profile serves. */
  readTimeoutMs?: number;
}

const DEFAULT_CACHE_MS = 60_000;
const DEFAULT_READ_TIMEOUT_MS = 1_000;

/**
 * The profile for new calls, read through `reader` at most once per cache period. An unreadable or
 * invalid profile falls back to the last good one (a typo in an edit never wipes what the agent
 * knows) and is logged once per distinct problem; with no good profile ever read, calls go without.
 */
export class CachedBusinessProfile implements BusinessProfileSource {
  private readonly readTimeoutMs: number;
  private readonly log: Logger;
  private readonly profile: CachedValue<BusinessProfile | undefined>;
  private lastProblem: string | undefined;

  constructor(
    private readonly reader: ProfileReader,
    private readonly options: CachedBusinessProfileOptions,
  ) {
    this.readTimeoutMs = options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    this.log = options.logger ?? rootLogger;
    this.profile = new CachedValue({
      read: () => this.read(),
      maxAgeMs: options.cacheMs ?? DEFAULT_CACHE_MS,
      now: options.now,
      fallback: () => undefined,
      onReadFailed: (error, kept) =>
        this.report(error instanceof InvalidProfile ? error.message : `unreadable: ${error.message}`, kept),
    });
  }

  current(): Promise<BusinessProfile | undefined> {
    return this.profile.get();
  }

  private async read(): Promise<BusinessProfile | undefined> {
    const raw = await withTimeout(this.reader(), this.readTimeoutMs);
    if (raw === undefined || raw.trim() === '') {
      this.report('none', undefined);
      return undefined;
    }
    const parsed = parseBusinessProfile(raw);
    if (!parsed.ok) throw new InvalidProfile(`invalid: ${parsed.problems.join('; ')}`);
    this.report(undefined, parsed.profile);
    return parsed.profile;
  }

  /** Logs a change of problem once (`undefined`: loaded; `'none'`: no profile stored). */
  private report(problem: string | undefined, kept: BusinessProfile | undefined): void {
    if (problem === this.lastProblem) return;
    this.lastProblem = problem;
    if (problem === undefined) this.log.info('Business profile loaded', { where: this.options.where });
    else if (problem === 'none')
      this.log.warn('No business profile: the agent offers an owner follow-up for business questions', {
        where: this.options.where,
      });
    else
      this.log.error('Business profile unusable; calls keep the last good one', {
        where: this.options.where,
        problem,
        fallback: kept ? 'last good profile' : 'none',
      });
  }
}

/** A stored profile that does not validate (as opposed to one that could not be read). */
class InvalidProfile extends Error {}
