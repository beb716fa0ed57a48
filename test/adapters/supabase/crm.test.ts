import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { CrmError, SupabaseCrm } from '../../../services/adapters/supabase/crm.js';
import type { CallCost } from '../../../services/core/after-call/cost-record.js';
import { AppointmentConflictError, type CallRow } from '../../../services/core/ports/crm.js';
import { columnsByTable, migratedDatabaseForSuite } from '../../supabase/pglite.js';

const URL_BASE = 'https://project.supabase.co';
const KEY = 'service-role-key';

interface Seen {
  method: string;
  table: string;
  search: URLSearchParams;
  prefer: string;
  accept: string;
  apikey: string | null;
  authorization: string | null;
  body: unknown;
}

const seen: Seen[] = [];
/** Rows the fake PostgREST answers with, per table; writes answer with the row they sent plus ids. */
let rowsFor: Record<string, unknown[]> = {};
let failWith: { status: number; body: unknown } | undefined;

const server = setupServer(
  http.all(`${URL_BASE}/rest/v1/:table`, async ({ request, params }) => {
    const text = await request.text();
    const entry: Seen = {
      method: request.method,
      table: String(params.table),
      search: new URL(request.url).searchParams,
      prefer: request.headers.get('prefer') ?? '',
      accept: request.headers.get('accept') ?? '',
      apikey: request.headers.get('apikey'),
      authorization: request.headers.get('authorization'),
      body: text ? JSON.parse(text) : undefined,
    };
    seen.push(entry);
    if (failWith) return HttpResponse.json(failWith.body as object, { status: failWith.status });
    const written = entry.body === undefined ? [] : Array.isArray(entry.body) ? entry.body : [entry.body];
    const rows =
      entry.method === 'GET'
        ? (rowsFor[entry.table] ?? [])
        : written.map((row) => ({
            id: `id-${entry.table}`,
            created_at: '2026-11-25T15:00:00Z',
            ...(row as object),
          }));
    // `.single()` asks for one JSON object (docs/toolchain.md §6).
    if (entry.accept.includes('application/vnd.pgrst.object+json')) return HttpResponse.json(rows[0] ?? {});
    return HttpResponse.json(rows);
  }),
);

beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterEach(() => {
  seen.length = 0;
  rowsFor = {};
  failWith = undefined;
});
afterAll(() => server.close());

const crm = () => new SupabaseCrm({ url: URL_BASE, serviceRoleKey: KEY, timezone: 'America/New_York' });
const T0 = Date.parse('2026-11-25T15:00:00Z');
const COST: CallCost = {
  currency: 'USD',
  total: 0.2755,
  twilio: { minutes: 3, amount: 0.0255 },
  engines: [{ engine: 'elevenlabs', seconds: 150, amount: 0.25, pricedBy: 'minutes' }],
};

/** A completed inbound call to the business at T0, without turns. */
function completedInboundCall(callSid: string, from: string): CallRow {
  return {
    callSid,
    direction: 'inbound',
    from,
    to: '+12125550100',
    failedOver: false,
    startedAt: T0,
    outcome: 'completed',
    turns: [],
  };
}

describe('SupabaseCrm over PostgREST', () => {
  it('upserts a customer on phone, sending only the fields given, as the service role', async () => {
    const customer = await crm().upsertCustomer({ phone: '+12025550143', name: 'Jane' });
    expect(customer).toEqual({ id: 'id-customers', phone: '+12025550143', name: 'Jane' });
    const [req] = seen;
    expect(req?.method).toBe('POST');
    expect(req?.table).toBe('customers');
    expect(req?.search.get('on_conflict')).toBe('phone');
    expect(req?.prefer).toContain('resolution=merge-duplicates');
    expect(req?.apikey).toBe(KEY);
    expect(req?.authorization).toBe(`Bearer ${KEY}`);
    expect(Object.keys(req?.body as object).sort()).toEqual(['name', 'phone', 'updated_at']);
  });

  it('upserts the lead of a call on call_sid, and inserts a lead without a call', async () => {
    const lead = await crm().saveLead({
      customerId: 'c1',
      callSid: 'CA1',
      name: 'Jane',
      phone: '+12025550143',
    });
    expect(lead).toMatchObject({ id: 'id-leads', callSid: 'CA1', customerId: 'c1', createdAt: T0 });
    expect(seen[0]?.search.get('on_conflict')).toBe('call_sid');
    await crm().saveLead({ customerId: 'c1', name: 'Jane', phone: '+12025550143' });
    expect(seen[1]?.search.get('on_conflict')).toBeNull();
    expect(seen[1]?.prefer).not.toContain('merge-duplicates');
  });

  it('records an appointment idempotently on calendar_event_id, with ISO times', async () => {
    const appointment = await crm().recordAppointment({
      customerId: 'c1',
      callSid: 'CA1',
      start: T0,
      end: T0 + 1_800_000,
      calendarEventId: 'ev1',
      name: 'Jane',
      phone: '+12025550143',
    });
    expect(appointment).toMatchObject({ start: T0, end: T0 + 1_800_000, calendarEventId: 'ev1' });
    expect(seen[0]?.search.get('on_conflict')).toBe('calendar_event_id');
    expect(seen[0]?.body).toMatchObject({
      starts_at: '2026-11-25T15:00:00.000Z',
      ends_at: '2026-11-25T15:30:00.000Z',
    });
  });

  it('lists the appointments holding a slot (not cancelled, overlapping) and cancels one by its event', async () => {
    rowsFor = {
      appointments: [
        {
          id: 'a1',
          customer_id: 'c1',
          call_sid: null,
          starts_at: '2026-11-25T15:00:00Z',
          ends_at: '2026-11-25T15:30:00Z',
          calendar_event_id: 'ev-old',
          name: 'Sam',
          phone: '+12025550143',
          email: null,
          purpose: null,
          created_at: '2026-11-20T15:00:00Z',
          cancelled_at: null,
        },
      ],
    };
    const store = crm();
    const rows = await store.appointmentsOverlapping(T0, T0 + 1_800_000);
    expect(rows).toEqual([expect.objectContaining({ id: 'a1', calendarEventId: 'ev-old' })]);
    expect(rows[0]?.cancelledAt).toBeUndefined();
    expect(seen[0]?.search.get('cancelled_at')).toBe('is.null');
    expect(seen[0]?.search.get('starts_at')).toBe('lt.2026-11-25T15:30:00.000Z');
    expect(seen[0]?.search.get('ends_at')).toBe('gt.2026-11-25T15:00:00.000Z');
    await store.cancelAppointment('ev-old', T0);
    expect(seen[1]).toMatchObject({ method: 'PATCH', table: 'appointments' });
    expect(seen[1]?.search.get('calendar_event_id')).toBe('eq.ev-old');
    expect(seen[1]?.body).toMatchObject({ cancelled_at: '2026-11-25T15:00:00.000Z' });
  });

  it('saves a call on call_sid and its turns on (call_sid, seq); a withheld number is stored as null', async () => {
    await crm().saveCall({
      ...completedInboundCall('CA1', 'anonymous'),
      servedBy: 'elevenlabs',
      turns: [
        { seq: 1, role: 'agent', text: 'Hello', at: T0 },
        { seq: 2, role: 'caller', text: 'Hi', at: T0 + 1000 },
      ],
    });
    expect(seen.map((s) => [s.table, s.search.get('on_conflict')])).toEqual([
      ['calls', 'call_sid'],
      ['call_turns', 'call_sid,seq'],
    ]);
    expect(seen[0]?.body).toMatchObject({
      from_number: null,
      to_number: '+12125550100',
      served_by: 'elevenlabs',
    });
    expect(seen[1]?.body).toEqual([
      { call_sid: 'CA1', seq: 1, role: 'agent', text: 'Hello', at: '2026-11-25T15:00:00.000Z' },
      { call_sid: 'CA1', seq: 2, role: 'caller', text: 'Hi', at: '2026-11-25T15:00:01.000Z' },
    ]);
  });

  it('finds a returning caller with the next appointment in local time and the last call summary', async () => {
    rowsFor = {
      customers: [{ id: 'c1', phone: '+12025550143', name: 'Jane', email: null, business: null }],
      appointments: [{ starts_at: '2026-11-26T15:00:00+00:00' }],
      calls: [{ summary: 'Asked for a quote' }],
    };
    expect(await crm().findCustomerByPhone('+12025550143', T0)).toEqual({
      id: 'c1',
      name: 'Jane',
      openAppointment: '2026-11-26T10:00',
      lastCallSummary: 'Asked for a quote',
    });
    const byTable = Object.fromEntries(seen.map((s) => [s.table, s.search]));
    expect(byTable.customers?.get('phone')).toBe('eq.+12025550143');
    expect(byTable.appointments?.get('customer_id')).toBe('eq.c1');
    expect(byTable.appointments?.get('starts_at')).toBe('gte.2026-11-25T15:00:00.000Z');
    expect(byTable.calls?.get('order')).toBe('started_at.desc');
  });

  it('answers an unknown number with undefined', async () => {
    expect(await crm().findCustomerByPhone('+12025550143', T0)).toBeUndefined();
    expect(seen).toHaveLength(1);
  });

  it('lists calls in a time range with their turns in order', async () => {
    rowsFor = {
      calls: [
        {
          call_sid: 'CA1',
          customer_id: null,
          direction: 'inbound',
          from_number: '+12025550143',
          to_number: '+12125550100',
          served_by: 'openai',
          failed_over: true,
          started_at: '2026-11-25T15:00:00+00:00',
          ended_at: null,
          duration_seconds: 42,
          outcome: 'completed',
          summary: null,
          lead_id: null,
          appointment_id: null,
          call_turns: [
            { seq: 2, role: 'caller', text: 'Hi', at: '2026-11-25T15:00:02+00:00' },
            { seq: 1, role: 'agent', text: 'Hello', at: '2026-11-25T15:00:01+00:00' },
          ],
        },
      ],
    };
    const calls = await crm().callsBetween(T0, T0 + 86_400_000);
    expect(calls).toEqual([
      {
        callSid: 'CA1',
        customerId: undefined,
        direction: 'inbound',
        from: '+12025550143',
        to: '+12125550100',
        servedBy: 'openai',
        failedOver: true,
        startedAt: T0,
        endedAt: undefined,
        durationSeconds: 42,
        outcome: 'completed',
        summary: undefined,
        leadId: undefined,
        appointmentId: undefined,
        turns: [
          { seq: 1, role: 'agent', text: 'Hello', at: T0 + 1000 },
          { seq: 2, role: 'caller', text: 'Hi', at: T0 + 2000 },
        ],
      },
    ]);
    expect(seen[0]?.search.getAll('started_at')).toEqual([
      'gte.2026-11-25T15:00:00.000Z',
      'lt.2026-11-26T15:00:00.000Z',
    ]);
  });

  it('writes the estimated cost and response time, and reads them back for the digest', async () => {
    await crm().saveCall({
      ...completedInboundCall('CA2', '+12025550143'),
      cost: COST,
      turnLatency: { turns: 3, p50Ms: 812.4, p90Ms: 1190.6 },
    });
    expect(seen[0]?.body).toMatchObject({
      estimated_cost: 0.2755,
      cost_currency: 'USD',
      cost_breakdown: COST,
      turn_latency_turns: 3,
      turn_latency_p50_ms: 812,
      turn_latency_p90_ms: 1191,
    });
    const base = {
      call_sid: 'CA2',
      customer_id: null,
      direction: 'inbound',
      from_number: '+12025550143',
      to_number: '+12125550100',
      served_by: 'elevenlabs',
      failed_over: false,
      started_at: '2026-11-25T15:00:00+00:00',
      ended_at: null,
      duration_seconds: 150,
      outcome: 'completed',
      summary: null,
      lead_id: null,
      appointment_id: null,
      call_turns: [],
    };
    rowsFor = {
      calls: [
        // PostgREST may send numeric as a string: the breakdown is what is read.
        {
          ...base,
          estimated_cost: '0.2755',
          cost_currency: 'USD',
          cost_breakdown: COST,
          turn_latency_turns: 3,
          turn_latency_p50_ms: 812,
          turn_latency_p90_ms: 1191,
        },
        { ...base, call_sid: 'CA3', cost_breakdown: { total: 'lots' } },
      ],
    };
    const [priced, unreadable] = await crm().callsBetween(T0, T0 + 1);
    expect(priced).toMatchObject({ cost: COST, turnLatency: { turns: 3, p50Ms: 812, p90Ms: 1191 } });
    expect(unreadable?.cost).toBeUndefined();
    expect(unreadable?.turnLatency).toBeUndefined();
  });

  it('keeps a text reply once per MessageSid (on conflict: ignore)', async () => {
    await crm().saveTextReply({
      messageSid: `SM${'a'.repeat(32)}`,
      phone: '+12025550143',
      customerId: 'c1',
      body: 'Yes please call me',
      receivedAt: T0,
    });
    const [req] = seen;
    expect(req?.method).toBe('POST');
    expect(req?.table).toBe('text_replies');
    expect(req?.search.get('on_conflict')).toBe('message_sid');
    expect(req?.prefer).toContain('resolution=ignore-duplicates');
    expect(req?.body).toEqual({
      message_sid: `SM${'a'.repeat(32)}`,
      phone: '+12025550143',
      customer_id: 'c1',
      body: 'Yes please call me',
      received_at: '2026-11-25T15:00:00.000Z',
    });
  });

  it('throws the PostgREST error with its HTTP status (a 500 is retried by the caller)', async () => {
    failWith = { status: 500, body: { code: 'XX000', message: 'internal error', details: null, hint: null } };
    const error = await crm()
      .upsertCustomer({ phone: '+12025550143' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CrmError);
    expect(error).toMatchObject({ status: 500, operation: 'upsert customer' });
    failWith = {
      status: 409,
      body: { code: '23514', message: 'violates check constraint "customers_phone_check"' },
    };
    await expect(crm().leadsBetween(0, T0)).rejects.toMatchObject({ status: 409 });
  });
});

describe('SupabaseCrm against the migration', () => {
  const db = migratedDatabaseForSuite();

  /** Every column a request names: written keys, filters, on_conflict, order and select lists. */
  function columnsNamed(req: Seen): Array<[table: string, column: string]> {
    const out: Array<[string, string]> = [];
    const rows = req.body === undefined ? [] : Array.isArray(req.body) ? req.body : [req.body];
    for (const row of rows) for (const key of Object.keys(row as object)) out.push([req.table, key]);
    for (const [param, value] of req.search) {
      if (param === 'on_conflict') for (const c of value.split(',')) out.push([req.table, c]);
      else if (param === 'columns')
        for (const c of value.split(',')) out.push([req.table, c.replaceAll('"', '')]);
      else if (param === 'order')
        for (const part of value.split(',')) out.push([req.table, part.split('.')[0] ?? '']);
      else if (param === 'select') {
        // `*, call_turns(seq, role, text, at)`: top-level names belong to the table, embedded ones to theirs.
        for (const match of value.matchAll(/(\w+)\(([^)]*)\)/g)) {
          for (const c of (match[2] ?? '').split(',')) out.push([match[1] ?? '', c.trim()]);
        }
        for (const c of value.replace(/\w+\([^)]*\)/g, '').split(',')) {
          const name = c.trim();
          if (name && name !== '*') out.push([req.table, name]);
        }
      } else if (param !== 'limit' && param !== 'offset') out.push([req.table, param]);
    }
    return out;
  }

  it('names only tables and columns that exist in supabase/migrations', async () => {
    rowsFor = { customers: [{ id: 'c1', phone: '+12025550143' }] };
    const store = crm();
    await store.upsertCustomer({ phone: '+12025550143', name: 'J', email: 'j@example.com', business: 'B' });
    await store.saveLead({
      customerId: 'c1',
      callSid: 'CA1',
      name: 'J',
      business: 'B',
      email: 'j@example.com',
      phone: '+12025550143',
      interest: 'i',
      notes: 'n',
    });
    await store.recordAppointment({
      customerId: 'c1',
      callSid: 'CA1',
      start: T0,
      end: T0 + 1,
      calendarEventId: 'ev',
      name: 'J',
      phone: '+12025550143',
      email: 'j@example.com',
      purpose: 'p',
    });
    await store.saveCall({
      ...completedInboundCall('CA1', '+12025550143'),
      customerId: 'c1',
      servedBy: 'openai',
      failedOver: true,
      endedAt: T0 + 1,
      durationSeconds: 1,
      summary: 's',
      leadId: 'l',
      appointmentId: 'a',
      turns: [{ seq: 1, role: 'agent', text: 't', at: T0 }],
      cost: COST,
      turnLatency: { turns: 3, p50Ms: 800, p90Ms: 1200 },
    });
    await store.findCustomerByPhone('+12025550143', T0);
    await store.callsBetween(0, T0);
    await store.callsFinalisedBetween(0, T0);
    await store.leadsBetween(0, T0);
    await store.appointmentsBetween(0, T0);
    await store.appointmentsOverlapping(T0, T0 + 1);
    await store.cancelAppointment('ev', T0);
    await store.saveTextReply({
      messageSid: `SM${'0'.repeat(32)}`,
      phone: '+12025550143',
      customerId: 'c1',
      callSid: 'CA1',
      body: 'b',
      receivedAt: T0,
    });

    const schema = await columnsByTable(db());
    const named = seen.flatMap(columnsNamed);
    expect(new Set(seen.map((s) => s.table))).toEqual(
      new Set(['customers', 'leads', 'appointments', 'calls', 'call_turns', 'text_replies']),
    );
    const unknown = named.filter(([table, column]) => !schema.get(table)?.has(column));
    expect(unknown).toEqual([]);
    expect(named.length).toBeGreaterThan(50);
  });
});

describe('SupabaseCrm and the no-overlap constraint', () => {
  it('turns PostgREST 409 / 23P01 (exclusion violation) into AppointmentConflictError', async () => {
    failWith = {
      status: 409,
      body: {
        code: '23P01',
        details: 'Key (calendar_id, tstzrange(starts_at, ends_at)) conflicts with existing key.',
        hint: null,
        message: 'conflicting key value violates exclusion constraint "appointments_no_overlap"',
      },
    };
    await expect(
      crm().recordAppointment({
        customerId: 'c1',
        start: T0,
        end: T0 + 1_800_000,
        calendarEventId: 'ev-2',
        name: 'Sam',
        phone: '+12025550143',
      }),
    ).rejects.toBeInstanceOf(AppointmentConflictError);
  });

  it('lists calls finalised in a window by when their row was written', async () => {
    rowsFor = { calls: [] };
    await crm().callsFinalisedBetween(T0, T0 + 1000);
    expect(seen[0]?.search.getAll('created_at')).toEqual([
      `gte.${new Date(T0).toISOString()}`,
      `lt.${new Date(T0 + 1000).toISOString()}`,
    ]);
  });
});
