/**
 * The business profile read through a cache: an owner's edit reaches new calls within a minute, and
 * a bad edit never takes away the last good profile.
 */
import type { BusinessProfileSource } from '../ports/flags.js';
import { type BusinessProfile, parseBusinessProfile } from './business-profile.js';
import { type Logger, logger as rootLogger } from './logging.js';
import { withTimeout } from './timeout.js';

/** Reads the stored text; undefined when nothing is stored (a missing parameter or file). */
export type ProfileReader = () => Promise<string | undefined>;

export interface CachedBusinessProfileOptions {
  /** Names the store in logs: the parameter name or file path. */
  where: string;
  /** How long a read is reused (default 60 s): an owner's edit reaches new calls within it. */
  cacheMs?: number;
  /** A call never waits longer than this for a read; past it the last good profile serves. */
  readTimeoutMs?: number;
  now?: () => number;
  logger?: Logger;
}

const DEFAULT_CACHE_MS = 60_000;
const DEFAULT_READ_TIMEOUT_MS = 1_000;

/**
 * The profile for new calls, read through `reader` at most once per cache period. An unreadable or
 * invalid profile falls back to the last good one (a typo in an edit never wipes what the agent
 * knows) and is logged once per distinct problem; with no good profile ever read, calls go without.
 */
export class CachedBusinessProfile implements BusinessProfileSource {
  private readonly cacheMs: number;
  private readonly readTimeoutMs: number;
  private readonly now: () => number;
  private readonly log: Logger;
  private cached: { profile: BusinessProfile | undefined; readAt: number } | undefined;
  private lastGood: BusinessProfile | undefined;
  private lastProblem: string | undefined;
  private inflight: Promise<BusinessProfile | undefined> | undefined;

  constructor(
    private readonly reader: ProfileReader,
    private readonly options: CachedBusinessProfileOptions,
  ) {
    this.cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS;
    this.readTimeoutMs = options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
    this.log = options.logger ?? rootLogger;
  }

  current(): Promise<BusinessProfile | undefined> {
    if (this.cached && this.now() - this.cached.readAt < this.cacheMs)
      return Promise.resolve(this.cached.profile);
    this.inflight ??= this.refresh().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async refresh(): Promise<BusinessProfile | undefined> {
    let problem: string;
    try {
      const raw = await withTimeout(this.reader(), this.readTimeoutMs);
      if (raw === undefined || raw.trim() === '') {
        this.settle(undefined, 'none');
        return undefined;
      }
      const parsed = parseBusinessProfile(raw);
      if (parsed.ok) {
        this.lastGood = parsed.profile;
        this.settle(parsed.profile, undefined);
        return parsed.profile;
      }
      problem = `invalid: ${parsed.problems.join('; ')}`;
    } catch (error) {
      problem = `unreadable: ${(error as Error).message}`;
    }
    this.settle(this.lastGood, problem);
    return this.lastGood;
  }

  /** Caches what calls get now and logs a change of problem once. */
  private settle(profile: BusinessProfile | undefined, problem: string | undefined): void {
    this.cached = { profile, readAt: this.now() };
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
        fallback: this.lastGood ? 'last good profile' : 'none',
      });
  }
}
