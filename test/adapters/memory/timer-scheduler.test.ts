import { TimerCallbackScheduler } from '../../../services/adapters/memory/timer-scheduler.js';
import { logger } from '../../../services/core/shared/logging.js';

const NOW = Date.UTC(2026, 10, 25, 15, 0, 0);

beforeEach(() => {
  jest.useFakeTimers({ now: NOW });
});
afterEach(() => {
  jest.useRealTimers();
});

describe('TimerCallbackScheduler', () => {
  test('runs a schedule with its payload when it is due, once, and frees the name', async () => {
    const runs: Array<Record<string, unknown>> = [];
    const scheduler = new TimerCallbackScheduler({ run: async (payload) => void runs.push(payload) });
    const schedule = {
      name: 'callback-a',
      at: NOW + 60_000,
      timezone: 'America/New_York',
      payload: { to: '+1' },
    };

    expect(await scheduler.scheduleOnce(schedule)).toEqual({ created: true });
    expect(await scheduler.scheduleOnce({ ...schedule, payload: { to: '+2' } })).toEqual({ created: false });
    expect(scheduler.pending()).toEqual(['callback-a']);

    await jest.advanceTimersByTimeAsync(59_999);
    expect(runs).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(runs).toEqual([{ to: '+1' }]);
    expect(scheduler.pending()).toEqual([]);
    expect(await scheduler.scheduleOnce(schedule)).toEqual({ created: true });
    scheduler.close();
  });

  test('fire runs a pending schedule now, once, and frees the name; an unknown name is false', async () => {
    const runs: Array<Record<string, unknown>> = [];
    const scheduler = new TimerCallbackScheduler({ run: async (payload) => void runs.push(payload) });
    await scheduler.scheduleOnce({ name: 'soon', at: NOW + 3_600_000, timezone: 'UTC', payload: { n: 1 } });

    expect(await scheduler.fire('soon')).toBe(true);
    expect(runs).toEqual([{ n: 1 }]);
    expect(scheduler.pending()).toEqual([]);
    await jest.advanceTimersByTimeAsync(3_600_000);
    expect(runs).toHaveLength(1);
    expect(await scheduler.fire('soon')).toBe(false);
    scheduler.close();
  });

  test('a time in the past runs at once; waits beyond a timer’s range are chained', async () => {
    const runs: string[] = [];
    const scheduler = new TimerCallbackScheduler({ run: async (_p, s) => void runs.push(s.name) });
    await scheduler.scheduleOnce({ name: 'late', at: NOW - 5_000, timezone: 'UTC', payload: {} });
    await scheduler.scheduleOnce({ name: 'far', at: NOW + 30 * 86_400_000, timezone: 'UTC', payload: {} });

    await jest.advanceTimersByTimeAsync(0);
    expect(runs).toEqual(['late']);
    await jest.advanceTimersByTimeAsync(25 * 86_400_000);
    expect(runs).toEqual(['late']);
    await jest.advanceTimersByTimeAsync(5 * 86_400_000);
    expect(runs).toEqual(['late', 'far']);
  });

  test('a failing run is logged, not thrown; close cancels what is pending', async () => {
    const logged = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    const scheduler = new TimerCallbackScheduler({ run: () => Promise.reject(new Error('boom')) });
    await scheduler.scheduleOnce({ name: 'x', at: NOW + 1000, timezone: 'UTC', payload: {} });
    await jest.advanceTimersByTimeAsync(1000);
    expect(logged).toHaveBeenCalledWith(
      'A local schedule failed to run',
      expect.objectContaining({ schedule: 'x' }),
    );
    logged.mockRestore();

    const ran: string[] = [];
    const other = new TimerCallbackScheduler({ run: async (_p, s) => void ran.push(s.name) });
    await other.scheduleOnce({ name: 'y', at: NOW + 5000, timezone: 'UTC', payload: {} });
    other.close();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(ran).toEqual([]);
  });
});
