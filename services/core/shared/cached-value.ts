import type { Logger } from './logging.js';

/**
 * A value read from outside (a parameter, a secret) and reused for `maxAgeMs`; what the provider
 * flag, the business profile and the app secret each need. Concurrent callers during a read share
 * it. A failed read keeps the last good value (an outside hiccup must not fail a call) and serves
 * it for another `maxAgeMs`, so a broken source costs one read per period, not one per caller;
 * before any read succeeded, the `fallback` is served the same way, or without one the failure is
 * thrown and the next caller reads again.
 */
export interface CachedValueOptions<T> {
  read: () => Promise<T>;
  maxAgeMs: number;
  /** Injectable clock (epoch ms). */
  now?: () => number;
  /** What callers get after a failed read when no read has succeeded yet. */
  fallback?: () => T;
  /** A read failed; `served` is what callers get instead (the last good value or the fallback). */
  onReadFailed?: (error: Error, served: T) => void;
}

/** What a source read through a `CachedValue` (the flag, the profile) lets its builder set. */
export interface CachedSourceOptions {
  /** How long a read is reused. */
  cacheMs?: number;
  /** Injectable clock (epoch ms). */
  now?: () => number;
  logger?: Logger;
}

export class CachedValue<T> {
  private readonly now: () => number;
  private held: { value: T; readAt: number } | undefined;
  private lastGood: { value: T } | undefined;
  private reading: Promise<T> | undefined;

  constructor(private readonly options: CachedValueOptions<T>) {
    this.now = options.now ?? Date.now;
  }

  get(): Promise<T> {
    if (this.held && this.now() - this.held.readAt < this.options.maxAgeMs) {
      return Promise.resolve(this.held.value);
    }
    this.reading ??= this.refresh().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async refresh(): Promise<T> {
    let value: T;
    try {
      value = await this.options.read();
      this.lastGood = { value };
    } catch (thrown) {
      const error = thrown instanceof Error ? thrown : new Error(String(thrown));
      const { fallback } = this.options;
      if (!this.lastGood && !fallback) throw error;
      value = this.lastGood ? this.lastGood.value : (fallback as () => T)();
      this.options.onReadFailed?.(error, value);
    }
    this.held = { value, readAt: this.now() };
    return value;
  }
}
