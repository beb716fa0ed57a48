import type { CallbackScheduler, OneTimeSchedule } from '../../core/ports/scheduler.js';
import { logger } from '../../core/shared/logging.js';

/** What runs a due schedule: in the local stack, the outbound-call use case with the payload. */
export type ScheduleRunner = (payload: Record<string, unknown>, schedule: OneTimeSchedule) => Promise<void>;

export interface TimerCallbackSchedulerOptions {
  run: ScheduleRunner;
  now?: () => number;
}

/** Node timers hold at most 2^31-1 ms (about 24.8 days); longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The local stack's EventBridge Scheduler: a timer per schedule, in this process, through the same
 * port. Names are idempotent like the real ones (a second schedule with a name still known is not
 * created) until it has run. Schedules do not survive a restart, which is fine for a development stack.
 */
export class TimerCallbackScheduler implements CallbackScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly waiting = new Map<string, OneTimeSchedule>();
  private readonly names = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly options: TimerCallbackSchedulerOptions) {
    this.now = options.now ?? Date.now;
  }

  async scheduleOnce(schedule: OneTimeSchedule): Promise<{ created: boolean }> {
    if (this.names.has(schedule.name)) return { created: false };
    this.names.add(schedule.name);
    // Kept as created, as EventBridge keeps the input it was sent: later edits by the caller do not reach it.
    this.arm(structuredClone(schedule));
    return { created: true };
  }

  /** The schedules not yet run, by name, as they were created. */
  get schedules(): ReadonlyMap<string, OneTimeSchedule> {
    return this.waiting;
  }

  /** Names of schedules not yet run. */
  pending(): string[] {
    return [...this.timers.keys()];
  }

  /**
   * Runs a pending schedule's target now, as its timer does when it is due, and resolves once it
   * has run; false when no such schedule is pending. For tests that move their clock to `at` rather
   * than wait (a target run before `at` sees a future time, and the outbound path schedules it again).
   */
  async fire(name: string): Promise<boolean> {
    const schedule = this.waiting.get(name);
    if (!schedule) return false;
    await this.runNow(schedule);
    return true;
  }

  /** Cancels every timer (the local stack's shutdown). */
  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.waiting.clear();
  }

  private async runNow(schedule: OneTimeSchedule): Promise<void> {
    clearTimeout(this.timers.get(schedule.name));
    // Like ActionAfterCompletion DELETE: once run, the name is free again.
    this.timers.delete(schedule.name);
    this.waiting.delete(schedule.name);
    this.names.delete(schedule.name);
    try {
      await this.options.run(schedule.payload, schedule);
    } catch (error) {
      logger.error('A local schedule failed to run', { schedule: schedule.name, error: error as Error });
    }
  }

  private arm(schedule: OneTimeSchedule): void {
    const waitMs = Math.max(0, schedule.at - this.now());
    const timer = setTimeout(
      () => {
        if (waitMs > MAX_TIMER_MS) return this.arm(schedule);
        void this.runNow(schedule);
      },
      Math.min(waitMs, MAX_TIMER_MS),
    );
    // A pending callback must not keep a finished process (or a test run) alive.
    timer.unref();
    this.timers.set(schedule.name, timer);
    this.waiting.set(schedule.name, schedule);
  }
}
