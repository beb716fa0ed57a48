import { DateTime } from 'luxon';
import { callbackKey, scheduleCallback } from '../../services/core/outbound/schedule-callback.js';
import { outboundHarness } from '../support/outbound-harness.js';

const CALL_SID = 'CA0123456789abcdef0123456789abcdef';
const invocation = (args: unknown, remoteNumber = '+12125550123') => ({
  callSid: CALL_SID,
  remoteNumber,
  name: 'schedule_callback',
  args,
});

describe('scheduleCallback (the schedule_callback tool)', () => {
  test('schedules one call back to the caller through the place-call path', async () => {
    const h = outboundHarness();

    const result = await scheduleCallback(
      h.deps,
      invocation({ at: '2026-11-26T10:00', reason: 'Quote for implants' }),
    );

    expect(result).toEqual({
      ok: true,
      text: 'Done: we will call you back on Thursday 26 November at 10:00.',
    });
    const name = `callback-${CALL_SID}-202611261000`;
    expect(h.scheduler.schedules.get(name)).toMatchObject({
      at: Date.UTC(2026, 10, 26, 15, 0),
      timezone: 'America/New_York',
      payload: {
        to: '+12125550123',
        reason: 'Quote for implants',
        at: '2026-11-26T10:00:00-05:00',
        idempotencyKey: `${CALL_SID}-202611261000`,
      },
    });
    expect(name.length).toBeLessThanOrEqual(64);
    expect(h.callControl.placed).toEqual([]);
  });

  test('the agent retrying the tool schedules one call', async () => {
    const h = outboundHarness();
    await scheduleCallback(h.deps, invocation({ at: '2026-11-26T10:00' }));
    const again = await scheduleCallback(h.deps, invocation({ at: '2026-11-26T10:00' }));
    expect(again.ok).toBe(true);
    expect(h.scheduler.schedules.size).toBe(1);
  });

  test.each([
    [
      { at: '2026-11-26T20:00' },
      'Thursday 26 November at 20:00 is outside our opening hours (mon-fri 09:00-17:00).',
    ],
    [
      { at: '2026-11-25T10:02' },
      'Wednesday 25 November at 10:02 is too soon or already past. Please choose a later time.',
    ],
    [{ at: 'tomorrow' }, 'I need the time for the call back as a date and time, like 2026-11-26T10:00.'],
  ])('refuses %j with a sentence the agent can say', async (args, text) => {
    const h = outboundHarness();
    expect(await scheduleCallback(h.deps, invocation(args))).toEqual({ ok: false, text });
    expect(h.scheduler.schedules.size).toBe(0);
  });

  test('a withheld caller number cannot be called back', async () => {
    const h = outboundHarness();
    const result = await scheduleCallback(h.deps, invocation({ at: '2026-11-26T10:00' }, 'anonymous'));
    expect(result).toEqual({
      ok: false,
      text: 'I cannot schedule a call back to this number. I can take a message for the team instead.',
    });
  });

  test('a scheduler failure is an error result, never a throw into the call', async () => {
    const h = outboundHarness();
    h.deps.scheduler = { scheduleOnce: async () => Promise.reject(new Error('Scheduler throttled')) };
    const result = await scheduleCallback(h.deps, invocation({ at: '2026-11-26T10:00' }));
    expect(result.ok).toBe(false);
  });

  test('the derived key fits the key pattern', () => {
    const key = callbackKey(CALL_SID, DateTime.fromISO('2026-11-26T10:00', { zone: 'America/New_York' }));
    expect(key).toMatch(/^[A-Za-z0-9._-]{1,48}$/);
  });
});
