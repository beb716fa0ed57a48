/** One-time schedules (EventBridge Scheduler): a call back placed later. */

export interface OneTimeSchedule {
  /** Derived from the request's idempotency key: creating the same schedule twice is a no-op. */
  name: string;
  /** Epoch ms. */
  at: number;
  timezone: string;
  /** The request the outbound function receives when the schedule fires. */
  payload: Record<string, unknown>;
}

export interface CallbackScheduler {
  scheduleOnce(schedule: OneTimeSchedule): Promise<{ created: boolean }>;
}
