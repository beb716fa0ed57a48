import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { GoogleCalendar } from '../../services/adapters/google-calendar/calendar.js';
import { MemoryCalendar } from '../../services/adapters/memory/calendar.js';
import { GOOGLE_CALENDAR_API, googleTokenHandler, serviceAccountJson } from '../support/google.js';
import { describeCalendarContract } from './calendar.contract.js';

describeCalendarContract('MemoryCalendar (local stack)', async () => new MemoryCalendar());

const CALENDAR_ID = 'owner@example.com';
const API = GOOGLE_CALENDAR_API;

interface StoredEvent {
  id: string;
  status: 'confirmed' | 'cancelled';
  start: { dateTime: string };
  end: { dateTime: string };
  created: string;
}

const overlaps = (e: StoredEvent, from: number, to: number) =>
  Date.parse(e.start.dateTime) < to && from < Date.parse(e.end.dateTime);

/**
 * Google Calendar stood in by msw, keeping events as Google does: an inserted id is refused with
 * 409 while it exists; a deleted event stays as `cancelled` (a second delete answers 410) and can
 * be brought back by an update; free/busy and the events list skip cancelled events.
 */
function googleCalendarHandlers() {
  const events = new Map<string, StoredEvent>();
  const eventPath = `${API}/calendars/:calendarId/events/:eventId`;
  const notFound = () => HttpResponse.json({ error: { code: 404, message: 'Not Found' } }, { status: 404 });
  return [
    googleTokenHandler,
    http.post(`${API}/freeBusy`, async ({ request }) => {
      const body = (await request.json()) as { timeMin: string; timeMax: string };
      const from = Date.parse(body.timeMin);
      const to = Date.parse(body.timeMax);
      const busy = [...events.values()]
        .filter((e) => e.status !== 'cancelled' && overlaps(e, from, to))
        .map((e) => ({ start: e.start.dateTime, end: e.end.dateTime }));
      return HttpResponse.json({ calendars: { [CALENDAR_ID]: { busy } } });
    }),
    http.post(`${API}/calendars/:calendarId/events`, async ({ request }) => {
      const body = (await request.json()) as Omit<StoredEvent, 'status' | 'created'>;
      if (events.has(body.id)) {
        return HttpResponse.json(
          { error: { code: 409, message: 'The requested identifier already exists.' } },
          { status: 409 },
        );
      }
      const event: StoredEvent = { ...body, status: 'confirmed', created: new Date().toISOString() };
      events.set(body.id, event);
      return HttpResponse.json(event);
    }),
    http.get(`${API}/calendars/:calendarId/events`, ({ request }) => {
      const url = new URL(request.url);
      const from = Date.parse(url.searchParams.get('timeMin') ?? '');
      const to = Date.parse(url.searchParams.get('timeMax') ?? '');
      const items = [...events.values()].filter((e) => e.status !== 'cancelled' && overlaps(e, from, to));
      return HttpResponse.json({ items });
    }),
    http.get(eventPath, ({ params }) => {
      const event = events.get(String(params.eventId));
      return event ? HttpResponse.json(event) : notFound();
    }),
    http.put(eventPath, async ({ request, params }) => {
      const event = events.get(String(params.eventId));
      if (!event) return notFound();
      const body = (await request.json()) as Partial<StoredEvent>;
      Object.assign(event, body);
      return HttpResponse.json(event);
    }),
    http.delete(eventPath, ({ params }) => {
      const event = events.get(String(params.eventId));
      if (!event) return notFound();
      if (event.status === 'cancelled') {
        return HttpResponse.json(
          { error: { code: 410, message: 'Resource has been deleted' } },
          { status: 410 },
        );
      }
      event.status = 'cancelled';
      return new HttpResponse(null, { status: 204 });
    }),
  ];
}

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterAll(() => server.close());

describeCalendarContract('GoogleCalendar (Google Calendar API stood in by msw)', async () => {
  server.resetHandlers(...googleCalendarHandlers());
  return new GoogleCalendar({ serviceAccountJson, calendarId: CALENDAR_ID });
});
