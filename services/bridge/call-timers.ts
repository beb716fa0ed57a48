/**
 * A call's timers, all cleared at once when it ends: a timer or a wait that outlives its call would
 * act on a call that is gone.
 */
export class CallTimers {
  private readonly timers = new Set<NodeJS.Timeout>();
  private cleared = false;

  constructor(private readonly now: () => number) {}

  set(fn: () => void, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  /** Resolves after `ms`; never, once the call has ended (whatever awaits it is dropped with the call). */
  pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => this.set(resolve, ms));
  }

  /** Resolves once `condition` holds (checked every 100 ms), after `limitMs`, or when the call ends. */
  waitUntil(condition: () => boolean, limitMs: number): Promise<void> {
    const deadline = this.now() + limitMs;
    return new Promise<void>((resolve) => {
      const check = () => {
        if (this.cleared || condition() || this.now() >= deadline) return resolve();
        this.set(check, 100);
      };
      check();
    });
  }

  clearAll(): void {
    this.cleared = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

/** How long before the call's length limit the agent is told to wrap up. */
const WRAP_UP_NOTICE_MS = 60_000;

/**
 * MAX_CALL_SECONDS: a wrap-up notice a minute before the limit (for a limit of a few minutes or
 * less, in its last third), then the hang-up after the goodbye at the limit.
 */
export function scheduleCallLimit(
  timers: CallTimers,
  limitMs: number,
  at: { notice: () => void; limit: () => void },
): void {
  timers.set(at.notice, limitMs - Math.min(WRAP_UP_NOTICE_MS, limitMs / 3));
  timers.set(at.limit, limitMs);
}
