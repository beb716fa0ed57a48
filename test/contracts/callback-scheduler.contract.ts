/**
 * What every callback scheduler promises (`CallbackScheduler` in services/core/ports/scheduler.ts):
 * a schedule is created with its time, zone and payload as given; a name is created once, so a
 * repeated request (the same idempotency key) creates nothing and the first schedule stands;
 * different names are different schedules.
 */
import type { CallbackScheduler, OneTimeSchedule } from '../../services/core/ports/scheduler.js';

export interface CallbackSchedulerSubject {
  scheduler: CallbackScheduler;
  /** The schedules that will fire, as the scheduling side holds them. */
  scheduled(): Promise<OneTimeSchedule[]>;
}

/** Wed 25 Nov 2026, 10:00 in New York: the clock of a subject that needs one. */
export const SCHEDULER_NOW = Date.UTC(2026, 10, 25, 15, 0, 0);

const callback: OneTimeSchedule = {
  name: 'callback-req-001',
  // 10:30 the next morning in New York, a whole second (a schedule's resolution).
  at: Date.UTC(2026, 10, 26, 15, 30, 0),
  timezone: 'America/New_York',
  payload: { to: '+12125550123', idempotencyKey: 'req-001', at: '2026-11-26T10:30:00-05:00' },
};

export function describeCallbackSchedulerContract(
  name: string,
  makeSubject: () => Promise<CallbackSchedulerSubject>,
): void {
  describe(`callback scheduler contract: ${name}`, () => {
    test('creates the schedule with its time, zone and payload as given', async () => {
      const subject = await makeSubject();
      expect(await subject.scheduler.scheduleOnce(callback)).toEqual({ created: true });
      expect(await subject.scheduled()).toEqual([callback]);
    });

    test('a name is created once: a repeat creates nothing and the first schedule stands', async () => {
      const subject = await makeSubject();
      await subject.scheduler.scheduleOnce(callback);
      const repeat = { ...callback, at: callback.at + 3_600_000, payload: { to: '+12125550199' } };
      expect(await subject.scheduler.scheduleOnce(repeat)).toEqual({ created: false });
      expect(await subject.scheduled()).toEqual([callback]);
    });

    test('different names are different schedules, each in its own zone', async () => {
      const subject = await makeSubject();
      const other = {
        ...callback,
        name: 'reminder-evt-1',
        at: Date.UTC(2026, 10, 26, 9, 0, 0),
        timezone: 'Europe/London',
      };
      expect(await subject.scheduler.scheduleOnce(callback)).toEqual({ created: true });
      expect(await subject.scheduler.scheduleOnce(other)).toEqual({ created: true });
      expect(await subject.scheduled()).toEqual(expect.arrayContaining([callback, other]));
      expect(await subject.scheduled()).toHaveLength(2);
    });
  });
}
