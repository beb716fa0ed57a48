/**
 * What every calendar promises (the port in services/core/ports/calendar.ts): an event is made once
 * per idempotency key and found again by it; it blocks its interval in free/busy and in the
 * overlapping-events list until deleted; deleting twice is not an error; a booking asked again
 * after its event was deleted brings the same event back.
 */
import type { Calendar, CalendarEventInput } from '../../services/core/ports/calendar.js';

const T0 = Date.parse('2026-11-26T15:00:00Z');
const HOUR = 3_600_000;

export function describeCalendarContract(name: string, makeCalendar: () => Promise<Calendar>): void {
  describe(`calendar contract: ${name}`, () => {
    const booking: CalendarEventInput = {
      idempotencyKey: 'booking:CA1:2026-11-26T10:00',
      start: T0,
      end: T0 + HOUR / 2,
      summary: 'Cleaning: Ada Lovelace',
      description: 'Phone: +1202555xxxx',
    };

    test('an event is made, found by its key, and stands', async () => {
      const calendar = await makeCalendar();
      const { eventId, created } = await calendar.createEvent(booking);
      expect(created).toBe(true);
      expect(await calendar.findEvent(booking.idempotencyKey)).toEqual({ eventId });
      expect(await calendar.hasEvent(eventId)).toBe(true);
    });

    test('the same key makes one event: the second call answers it, not created', async () => {
      const calendar = await makeCalendar();
      const first = await calendar.createEvent(booking);
      const again = await calendar.createEvent(booking);
      expect(again).toEqual({ eventId: first.eventId, created: false });
      expect(await calendar.busy(T0 - HOUR, T0 + HOUR)).toEqual([{ start: booking.start, end: booking.end }]);
      expect(await calendar.eventsOverlapping(T0 - HOUR, T0 + HOUR)).toEqual([
        { eventId: first.eventId, createdAt: expect.any(Number) },
      ]);
    });

    test('an event blocks only the time it overlaps, in free/busy and in the events list', async () => {
      const calendar = await makeCalendar();
      const { eventId } = await calendar.createEvent(booking);
      expect(await calendar.busy(T0 + HOUR / 4, T0 + HOUR)).toEqual([
        { start: booking.start, end: booking.end },
      ]);
      expect(await calendar.eventsOverlapping(T0 + HOUR / 4, T0 + HOUR)).toEqual([
        { eventId, createdAt: expect.any(Number) },
      ]);
      // [from, to) touching the event on either side does not overlap it.
      expect(await calendar.busy(booking.end, booking.end + HOUR)).toEqual([]);
      expect(await calendar.busy(booking.start - HOUR, booking.start)).toEqual([]);
      expect(await calendar.eventsOverlapping(booking.end, booking.end + HOUR)).toEqual([]);
    });

    test('a deleted event is gone everywhere, and deleting it again is not an error', async () => {
      const calendar = await makeCalendar();
      const { eventId } = await calendar.createEvent(booking);
      await calendar.deleteEvent(eventId);
      expect(await calendar.hasEvent(eventId)).toBe(false);
      expect(await calendar.findEvent(booking.idempotencyKey)).toBeUndefined();
      expect(await calendar.busy(T0 - HOUR, T0 + HOUR)).toEqual([]);
      expect(await calendar.eventsOverlapping(T0 - HOUR, T0 + HOUR)).toEqual([]);
      await expect(calendar.deleteEvent(eventId)).resolves.toBeUndefined();
    });

    test('a booking asked again after its event was deleted brings the same event back', async () => {
      const calendar = await makeCalendar();
      const { eventId } = await calendar.createEvent(booking);
      await calendar.deleteEvent(eventId);
      expect(await calendar.createEvent(booking)).toEqual({ eventId, created: true });
      expect(await calendar.hasEvent(eventId)).toBe(true);
      expect(await calendar.findEvent(booking.idempotencyKey)).toEqual({ eventId });
    });

    test('an unknown key or event is simply not there', async () => {
      const calendar = await makeCalendar();
      expect(await calendar.findEvent('booking:nobody')).toBeUndefined();
      const { eventId } = await calendar.createEvent(booking);
      await calendar.deleteEvent(eventId);
      expect(await calendar.hasEvent(`${eventId}0`)).toBe(false);
    });
  });
}
