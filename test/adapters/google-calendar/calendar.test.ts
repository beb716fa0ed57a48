import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { eventIdFor, GoogleCalendar } from '../../../services/adapters/google-calendar/calendar.js';
import { GOOGLE_CALENDAR_API, googleTokenHandler, serviceAccountJson } from '../../support/google.js';

const CAL = 'owner@example.com';
const API = GOOGLE_CALENDAR_API;
const T0 = Date.parse('2026-11-26T14:00:00Z');
const HOUR = 3_600_000;

const seen: Array<{ method: string; url: string; auth: string | null; body: unknown }> = [];
const server = setupServer();

beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
beforeEach(() => {
  server.use(googleTokenHandler);
});
afterEach(() => {
  server.resetHandlers();
  seen.length = 0;
});
afterAll(() => server.close());

async function record(request: Request) {
  const text = request.method === 'GET' ? '' : await request.text();
  seen.push({
    method: request.method,
    url: request.url,
    auth: request.headers.get('authorization'),
    body: text ? JSON.parse(text) : undefined,
  });
}

const calendar = (rootUrl?: string) => new GoogleCalendar({ serviceAccountJson, calendarId: CAL, rootUrl });

describe('GoogleCalendar', () => {
  it('reads busy intervals from freebusy.query with the service account token', async () => {
    server.use(
      http.post(`${API}/freeBusy`, async ({ request }) => {
        await record(request);
        return HttpResponse.json({
          calendars: {
            [CAL]: { busy: [{ start: '2026-11-26T15:00:00Z', end: '2026-11-26T16:00:00Z' }] },
          },
        });
      }),
    );
    expect(await calendar().busy(T0, T0 + 8 * HOUR)).toEqual([{ start: T0 + HOUR, end: T0 + 2 * HOUR }]);
    expect(seen[0]?.auth).toBe('Bearer ya29.test');
    expect(seen[0]?.body).toEqual({
      timeMin: '2026-11-26T14:00:00.000Z',
      timeMax: '2026-11-26T22:00:00.000Z',
      items: [{ id: CAL }],
    });
  });

  it('fails rather than report a calendar it cannot read as free', async () => {
    server.use(
      http.post(`${API}/freeBusy`, () =>
        HttpResponse.json({
          calendars: { [CAL]: { errors: [{ domain: 'global', reason: 'notFound' }], busy: [] } },
        }),
      ),
    );
    await expect(calendar().busy(T0, T0 + HOUR)).rejects.toThrow('notFound');
  });

  it('inserts the event with an id derived from the idempotency key', async () => {
    server.use(
      http.post(`${API}/calendars/:calendarId/events`, async ({ request, params }) => {
        await record(request);
        expect(params.calendarId).toBe(CAL);
        const body = seen[0]?.body as { id?: string } | undefined;
        return HttpResponse.json({ id: body?.id, status: 'confirmed' });
      }),
    );
    const result = await calendar().createEvent({
      idempotencyKey: 'booking:CA1:2026-11-26T10:00',
      start: T0,
      end: T0 + HOUR / 2,
      summary: 'Boiler service: Jane',
      description: 'Phone: +12025550143',
    });
    const id = eventIdFor('booking:CA1:2026-11-26T10:00');
    expect(result).toEqual({ eventId: id, created: true });
    expect(id).toMatch(/^[a-v0-9]{5,1024}$/); // Google's base32hex event id alphabet
    expect(seen[0]?.body).toEqual({
      id,
      summary: 'Boiler service: Jane',
      description: 'Phone: +12025550143',
      start: { dateTime: '2026-11-26T14:00:00.000Z' },
      end: { dateTime: '2026-11-26T14:30:00.000Z' },
    });
  });

  it('treats a 409 on insert as the event already made: not created, same id', async () => {
    server.use(
      http.post(`${API}/calendars/:calendarId/events`, () =>
        HttpResponse.json(
          {
            error: {
              code: 409,
              message: 'The requested identifier already exists.',
              errors: [{ reason: 'duplicate' }],
            },
          },
          { status: 409 },
        ),
      ),
      http.get(`${API}/calendars/:calendarId/events/:eventId`, ({ params }) =>
        HttpResponse.json({ id: params.eventId, status: 'confirmed' }),
      ),
    );
    const result = await calendar().createEvent({
      idempotencyKey: 'k',
      start: T0,
      end: T0 + HOUR,
      summary: 's',
    });
    expect(result).toEqual({ eventId: eventIdFor('k'), created: false });
  });

  it('brings back an event removed earlier under the same id (Google keeps it cancelled and refuses the insert)', async () => {
    const id = eventIdFor('k-again');
    server.use(
      http.post(`${API}/calendars/:calendarId/events`, () =>
        HttpResponse.json(
          { error: { code: 409, message: 'The requested identifier already exists.' } },
          { status: 409 },
        ),
      ),
      http.get(`${API}/calendars/:calendarId/events/:eventId`, () =>
        HttpResponse.json({ id, status: 'cancelled' }),
      ),
      http.put(`${API}/calendars/:calendarId/events/:eventId`, async ({ request, params }) => {
        await record(request);
        return HttpResponse.json({ id: params.eventId, status: 'confirmed' });
      }),
    );
    const result = await calendar().createEvent({
      idempotencyKey: 'k-again',
      start: T0,
      end: T0 + HOUR,
      summary: 's',
    });
    expect(result).toEqual({ eventId: id, created: true });
    expect(seen[0]).toMatchObject({
      method: 'PUT',
      body: expect.objectContaining({ id, status: 'confirmed' }),
    });
  });

  it('aborts the insert when the signal is aborted (the tool was given up)', async () => {
    server.use(
      http.post(`${API}/calendars/:calendarId/events`, async () => {
        await new Promise((resolve) => setTimeout(resolve, 2000));
        return HttpResponse.json({ status: 'confirmed' });
      }),
    );
    const giveUp = new AbortController();
    setTimeout(() => giveUp.abort(new Error('tool timed out')), 100);
    const started = Date.now();
    await expect(
      calendar().createEvent(
        { idempotencyKey: 'k', start: T0, end: T0 + HOUR, summary: 's' },
        { signal: giveUp.signal },
      ),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('lists the events on a slot with when each was made, leaving out cancelled and free ones', async () => {
    server.use(
      http.get(`${API}/calendars/:calendarId/events`, async ({ request }) => {
        const url = new URL(request.url);
        expect(url.searchParams.get('timeMin')).toBe('2026-11-26T14:00:00.000Z');
        expect(url.searchParams.get('timeMax')).toBe('2026-11-26T14:30:00.000Z');
        expect(url.searchParams.get('singleEvents')).toBe('true');
        return HttpResponse.json({
          items: [
            { id: 'evtb', status: 'confirmed', created: '2026-11-20T10:00:01.000Z' },
            { id: 'evta', status: 'confirmed', created: '2026-11-20T10:00:00.000Z' },
            { id: 'gone', status: 'cancelled', created: '2026-11-19T10:00:00.000Z' },
            {
              id: 'free',
              status: 'confirmed',
              transparency: 'transparent',
              created: '2026-11-18T10:00:00.000Z',
            },
          ],
        });
      }),
    );
    expect(await calendar().eventsOverlapping(T0, T0 + HOUR / 2)).toEqual([
      { eventId: 'evtb', createdAt: Date.parse('2026-11-20T10:00:01.000Z') },
      { eventId: 'evta', createdAt: Date.parse('2026-11-20T10:00:00.000Z') },
    ]);
  });

  it('says whether an event still stands (a cancelled or deleted one does not)', async () => {
    server.use(
      http.get(`${API}/calendars/:calendarId/events/:eventId`, ({ params }) => {
        if (params.eventId === 'live') return HttpResponse.json({ id: 'live', status: 'confirmed' });
        if (params.eventId === 'cancelled')
          return HttpResponse.json({ id: 'cancelled', status: 'cancelled' });
        return HttpResponse.json(
          { error: { code: 410, message: 'Resource has been deleted' } },
          { status: 410 },
        );
      }),
    );
    const cal = calendar();
    expect(await cal.hasEvent('live')).toBe(true);
    expect(await cal.hasEvent('cancelled')).toBe(false);
    expect(await cal.hasEvent('deleted')).toBe(false);
  });

  it('passes other insert errors on', async () => {
    server.use(
      http.post(`${API}/calendars/:calendarId/events`, () =>
        HttpResponse.json({ error: { code: 403, message: 'Forbidden' } }, { status: 403 }),
      ),
    );
    await expect(
      calendar().createEvent({ idempotencyKey: 'k', start: T0, end: T0 + HOUR, summary: 's' }),
    ).rejects.toMatchObject({ status: 403 });
  });

  it('finds an event by idempotency key, ignoring missing and cancelled ones', async () => {
    const live = eventIdFor('live');
    const cancelled = eventIdFor('cancelled');
    server.use(
      http.get(`${API}/calendars/:calendarId/events/:eventId`, ({ params }) => {
        if (params.eventId === live) return HttpResponse.json({ id: live, status: 'confirmed' });
        if (params.eventId === cancelled) return HttpResponse.json({ id: cancelled, status: 'cancelled' });
        return HttpResponse.json({ error: { code: 404, message: 'Not Found' } }, { status: 404 });
      }),
    );
    const cal = calendar();
    expect(await cal.findEvent('live')).toEqual({ eventId: live });
    expect(await cal.findEvent('cancelled')).toBeUndefined();
    expect(await cal.findEvent('never')).toBeUndefined();
  });

  it('talks to a stand-in at rootUrl', async () => {
    server.use(
      http.post('http://calendar.sim.test/calendar/v3/freeBusy', () =>
        HttpResponse.json({ calendars: { [CAL]: { busy: [] } } }),
      ),
    );
    expect(await calendar('http://calendar.sim.test/').busy(T0, T0 + HOUR)).toEqual([]);
  });
});
