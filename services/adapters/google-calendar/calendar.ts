import { createHash } from 'node:crypto';
import { calendar, type calendar_v3 } from '@googleapis/calendar';
import { JWT } from 'google-auth-library';
import * as z from 'zod';
import type { Calendar, CalendarEventInput, Interval } from '../../core/ports/calendar.js';

export interface GoogleCalendarOptions {
  /** `GOOGLE_SERVICE_ACCOUNT_JSON`: the service account's JSON key (the calendar is shared with it). */
  serviceAccountJson: string;
  /** `GOOGLE_CALENDAR_ID`, e.g. the owner's address or `…@group.calendar.google.com`. */
  calendarId: string;
  /** Base URL of the Calendar API (default `https://www.googleapis.com/`), for stand-ins. */
  rootUrl?: string;
}

const serviceAccountKey = z.object({ client_email: z.string().min(1), private_key: z.string().min(1) });

const SCOPES = ['https://www.googleapis.com/auth/calendar'];

/**
 * Google's event ids are 5–1024 characters of base32hex (`a-v`, `0-9`). A SHA-256 in hex uses only
 * `0-9a-f`, a subset, so the same idempotency key always names the same event, and Google itself
 * refuses a second insert with 409.
 */
export function eventIdFor(idempotencyKey: string): string {
  return createHash('sha256').update(idempotencyKey).digest('hex');
}

/** Google Calendar through a service account: free/busy for availability, events for bookings. */
export class GoogleCalendar implements Calendar {
  private readonly api: calendar_v3.Calendar;
  private readonly calendarId: string;

  constructor(options: GoogleCalendarOptions) {
    const key = serviceAccountKey.parse(JSON.parse(options.serviceAccountJson));
    const auth = new JWT({ email: key.client_email, key: key.private_key, scopes: SCOPES });
    this.api = calendar({ version: 'v3', auth, ...(options.rootUrl ? { rootUrl: options.rootUrl } : {}) });
    this.calendarId = options.calendarId;
  }

  async busy(from: number, to: number): Promise<Interval[]> {
    const { data } = await this.api.freebusy.query({
      requestBody: {
        timeMin: new Date(from).toISOString(),
        timeMax: new Date(to).toISOString(),
        items: [{ id: this.calendarId }],
      },
    });
    const entry = data.calendars?.[this.calendarId];
    // Free/busy reports per-calendar problems (not shared, not found) inside a 200 answer;
    // treating them as "free" would offer times that are not.
    if (!entry || (entry.errors?.length ?? 0) > 0) {
      const reasons = entry?.errors?.map((e) => e.reason).join(', ') || 'calendar missing from the answer';
      throw new Error(`Google free/busy failed for the calendar: ${reasons}`);
    }
    return (entry.busy ?? []).flatMap((b) =>
      b.start && b.end ? [{ start: Date.parse(b.start), end: Date.parse(b.end) }] : [],
    );
  }

  async findEvent(idempotencyKey: string): Promise<{ eventId: string } | undefined> {
    const eventId = eventIdFor(idempotencyKey);
    try {
      const { data } = await this.api.events.get({ calendarId: this.calendarId, eventId });
      return data.status === 'cancelled' ? undefined : { eventId };
    } catch (error) {
      if (statusOf(error) === 404 || statusOf(error) === 410) return undefined;
      throw error;
    }
  }

  async createEvent(
    event: CalendarEventInput,
    options: { signal?: AbortSignal } = {},
  ): Promise<{ eventId: string; created: boolean }> {
    const eventId = eventIdFor(event.idempotencyKey);
    const requestBody = {
      id: eventId,
      summary: event.summary,
      description: event.description,
      start: { dateTime: new Date(event.start).toISOString() },
      end: { dateTime: new Date(event.end).toISOString() },
    };
    try {
      await this.api.events.insert({ calendarId: this.calendarId, requestBody }, { signal: options.signal });
      return { eventId, created: true };
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
    }
    // 409: an event with this id exists. Made earlier by this booking, it stands; removed since (a
    // booking undone, then asked again), Google keeps the id as `cancelled` and refuses to insert
    // it again: it is brought back instead.
    const { data } = await this.api.events.get(
      { calendarId: this.calendarId, eventId },
      { signal: options.signal },
    );
    if (data.status !== 'cancelled') return { eventId, created: false };
    await this.api.events.update(
      { calendarId: this.calendarId, eventId, requestBody: { ...requestBody, status: 'confirmed' } },
      { signal: options.signal },
    );
    return { eventId, created: true };
  }

  async hasEvent(eventId: string): Promise<boolean> {
    try {
      const { data } = await this.api.events.get({ calendarId: this.calendarId, eventId });
      return data.status !== 'cancelled';
    } catch (error) {
      if (statusOf(error) === 404 || statusOf(error) === 410) return false;
      throw error;
    }
  }

  async eventsOverlapping(from: number, to: number): Promise<Array<{ eventId: string; createdAt: number }>> {
    const { data } = await this.api.events.list({
      calendarId: this.calendarId,
      timeMin: new Date(from).toISOString(),
      timeMax: new Date(to).toISOString(),
      singleEvents: true,
      showDeleted: false,
      maxResults: 250,
    });
    // Only what blocks the slot, as free/busy sees it: a "free" (transparent) event does not.
    return (data.items ?? []).flatMap((e) =>
      e.id && e.status !== 'cancelled' && e.transparency !== 'transparent'
        ? [{ eventId: e.id, createdAt: Date.parse(e.created ?? '') || 0 }]
        : [],
    );
  }

  async deleteEvent(eventId: string): Promise<void> {
    try {
      await this.api.events.delete({ calendarId: this.calendarId, eventId });
    } catch (error) {
      // 404 / 410: already deleted.
      if (statusOf(error) !== 404 && statusOf(error) !== 410) throw error;
    }
  }
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, response } = error as { status?: unknown; response?: { status?: unknown } };
  if (typeof status === 'number') return status;
  return typeof response?.status === 'number' ? response.status : undefined;
}
