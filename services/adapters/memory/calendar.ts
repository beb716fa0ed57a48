import type { Calendar, CalendarEventInput, Interval } from '../../core/ports/calendar.js';

export interface MemoryEvent extends CalendarEventInput {
  eventId: string;
  createdAt: number;
}

/**
 * The embedded calendar of the local stack: busy time is its own events plus any fixed busy
 * intervals it was given (e.g. a demo's lunch break). `createEvent` is idempotent on the key.
 */
export class MemoryCalendar implements Calendar {
  private readonly byKey = new Map<string, MemoryEvent>();
  /** Deleted events by key: as Google does, a booking asked again brings its event back, same id. */
  private readonly deletedByKey = new Map<string, MemoryEvent>();
  private nextId = 1;

  constructor(private readonly fixedBusy: Interval[] = []) {}

  async busy(from: number, to: number): Promise<Interval[]> {
    return [...this.fixedBusy, ...this.byKey.values()]
      .filter((b) => b.start < to && from < b.end)
      .map(({ start, end }) => ({ start, end }))
      .sort((a, b) => a.start - b.start);
  }

  async findEvent(idempotencyKey: string): Promise<{ eventId: string } | undefined> {
    const event = this.byKey.get(idempotencyKey);
    return event ? { eventId: event.eventId } : undefined;
  }

  async createEvent(
    input: CalendarEventInput,
    options: { signal?: AbortSignal } = {},
  ): Promise<{ eventId: string; created: boolean }> {
    options.signal?.throwIfAborted();
    const existing = this.byKey.get(input.idempotencyKey);
    if (existing) return { eventId: existing.eventId, created: false };
    const deleted = this.deletedByKey.get(input.idempotencyKey);
    this.deletedByKey.delete(input.idempotencyKey);
    const event: MemoryEvent = deleted
      ? { ...deleted, ...input }
      : { ...input, eventId: `local-event-${this.nextId++}`, createdAt: Date.now() };
    this.byKey.set(input.idempotencyKey, event);
    return { eventId: event.eventId, created: true };
  }

  async deleteEvent(eventId: string): Promise<void> {
    for (const [key, event] of this.byKey) {
      if (event.eventId !== eventId) continue;
      this.byKey.delete(key);
      this.deletedByKey.set(key, event);
    }
  }

  async hasEvent(eventId: string): Promise<boolean> {
    return [...this.byKey.values()].some((e) => e.eventId === eventId);
  }

  async eventsOverlapping(from: number, to: number): Promise<Array<{ eventId: string; createdAt: number }>> {
    return [...this.byKey.values()]
      .filter((e) => e.start < to && from < e.end)
      .map(({ eventId, createdAt }) => ({ eventId, createdAt }));
  }

  /** Every event made, in start order (the demo prints them). */
  events(): MemoryEvent[] {
    return [...this.byKey.values()].sort((a, b) => a.start - b.start).map((e) => ({ ...e }));
  }
}
