/** The calendar (Google Calendar): free/busy and the events bookings make. */

export interface Interval {
  start: number;
  end: number;
}

export interface CalendarEventInput {
  /** Deterministic per booking request, so a retried booking never creates two events. */
  idempotencyKey: string;
  start: number;
  end: number;
  summary: string;
  description?: string;
}

export interface Calendar {
  /** Busy intervals overlapping `[from, to)`. */
  busy(from: number, to: number): Promise<Interval[]>;
  /**
   * The event made earlier with this idempotency key, if it still exists, so a retried booking is
   * recognised before free/busy (which would report the slot taken by that very event).
   */
  findEvent(idempotencyKey: string): Promise<{ eventId: string } | undefined>;
  /**
   * Creates the event, or returns the existing one made with the same idempotency key (one removed
   * earlier is made again). `signal` aborts the request when the caller has given up on it.
   */
  createEvent(
    event: CalendarEventInput,
    options?: { signal?: AbortSignal },
  ): Promise<{ eventId: string; created: boolean }>;
  /** Removes an event (a booking the CRM refused); an event already gone is not an error. */
  deleteEvent(eventId: string): Promise<void>;
  /** Whether the event still stands (not deleted, not cancelled): a CRM row for a gone one is stale. */
  hasEvent(eventId: string): Promise<boolean>;
  /**
   * The events overlapping `[from, to)` and when each was made (epoch ms): while the CRM, whose
   * constraint normally decides between two bookings of one slot, is down, the calendar decides.
   */
  eventsOverlapping(from: number, to: number): Promise<Array<{ eventId: string; createdAt: number }>>;
}
