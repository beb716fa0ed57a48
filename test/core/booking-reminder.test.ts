import { logger } from '../../services/core/shared/logging.js';
import { reminderSchedule, sendBookingReminder } from '../../services/core/texts/booking-reminder.js';
import { InProcessUsageCounter } from '../../services/core/tools/tool-usage.js';
import { RecordingTextSender } from '../support/recording-text-sender.js';

const TZ = 'America/New_York';
const NOW = Date.parse('2026-11-25T15:10:00Z');
/** Friday 2026-11-27 10:00 in New York. */
const START = Date.parse('2026-11-27T15:00:00Z');
const REMINDER = {
  bookingKey: 'booking:CA1:2026-11-27T10:00:jane doe',
  callSid: 'CA1',
  callerNumber: '+12025550143',
  to: '+12025550143',
  start: START,
};

function deps(events: string[] = [REMINDER.bookingKey]) {
  const sender = new RecordingTextSender();
  return {
    sender,
    deps: {
      texts: {
        sender,
        enabled: true,
        allowedCountries: ['US'],
        usage: new InProcessUsageCounter(() => NOW),
        timezone: TZ,
        now: () => NOW,
      },
      calendar: {
        findEvent: async (key: string) => (events.includes(key) ? { eventId: 'ev1' } : undefined),
      },
      businessName: 'Bolt Plumbing',
      businessNumber: '+12125550100',
    },
  };
}

describe('reminderSchedule', () => {
  it('is due a day before the appointment, named for the booking within EventBridge’s limits', () => {
    const schedule = reminderSchedule(REMINDER, NOW, TZ);
    expect(schedule?.at).toBe(START - 24 * 3_600_000);
    expect(schedule?.name).toMatch(/^reminder-[0-9a-f]{40}$/);
    expect(schedule?.payload).toEqual({ kind: 'booking-reminder', ...REMINDER });
    expect(reminderSchedule(REMINDER, NOW + 1000, TZ)?.name).toBe(schedule?.name);
  });

  it('is not made for an appointment too close for a day-before reminder', () => {
    expect(reminderSchedule({ ...REMINDER, start: NOW + 20 * 3_600_000 }, NOW, TZ)).toBeUndefined();
  });
});

describe('sendBookingReminder', () => {
  const payload = { kind: 'booking-reminder', ...REMINDER };

  it('texts the reminder with the local time', async () => {
    const { deps: d, sender } = deps();
    expect(await sendBookingReminder(d, payload, logger)).toEqual({ kind: 'reminder', sent: true });
    expect(sender.sent).toEqual([
      {
        to: '+12025550143',
        body: 'Bolt Plumbing: a reminder of your appointment Friday, November 27 at 10:00 AM. To change it, call us at +12125550100.',
      },
    ]);
  });

  it('sends nothing for a booking cancelled since (its calendar event is gone)', async () => {
    const { deps: d, sender } = deps([]);
    expect(await sendBookingReminder(d, payload, logger)).toEqual({
      kind: 'reminder',
      sent: false,
      why: 'cancelled',
    });
    expect(sender.sent).toEqual([]);
  });

  it('refuses a number texts may not reach, for good; throws when the text failed (the schedule retries)', async () => {
    const { deps: d, sender } = deps();
    expect(await sendBookingReminder(d, { ...payload, to: '+447911123456' }, logger)).toEqual({
      kind: 'reminder',
      sent: false,
      why: 'country-not-allowed',
    });
    sender.failing = true;
    await expect(sendBookingReminder(d, payload, logger)).rejects.toThrow(/Reminder not sent/);
  });

  it('a malformed payload sends nothing', async () => {
    const { deps: d, sender } = deps();
    expect((await sendBookingReminder(d, { kind: 'booking-reminder' }, logger)).sent).toBe(false);
    expect(sender.sent).toEqual([]);
  });
});
