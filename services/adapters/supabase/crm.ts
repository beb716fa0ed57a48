import { PostgrestClient } from '@supabase/postgrest-js';
import { type CallCost, callCostSchema } from '../../core/after-call/cost-record.js';
import type { KnownCustomer } from '../../core/ports/crm.js';
import {
  type Appointment,
  AppointmentConflictError,
  type AppointmentInput,
  type CallRow,
  type Crm,
  type Customer,
  type Lead,
  type LeadInput,
  type TextReplies,
  type TextReplyInput,
} from '../../core/ports/crm.js';
import type { EngineName } from '../../core/shared/engines.js';
import { isE164 } from '../../core/shared/phone.js';
import { formatLocalDateTime } from '../../core/tools/local-time.js';

/** A call row with its turns, as the reports read it. */
const CALL_WITH_TURNS = '*, call_turns(seq, role, text, at)';

/** Postgres' SQLSTATE for an exclusion-constraint violation. */
const EXCLUSION_VIOLATION = '23P01';

export interface SupabaseCrmOptions {
  /** `SUPABASE_URL`, e.g. `https://<project>.supabase.co` (any PostgREST-compatible stand-in works). */
  url: string;
  /** `SUPABASE_SERVICE_ROLE_KEY`: server-side only; the tables' RLS shuts every other role out. */
  serviceRoleKey: string;
  /** The business time zone, in which `openAppointment` is given to the agent. */
  timezone: string;
}

/** A failed PostgREST request; `status` is the HTTP status, so callers can decide to retry. */
export class CrmError extends Error {
  constructor(
    readonly operation: string,
    readonly status: number,
    detail: string,
  ) {
    super(`CRM ${operation} failed (HTTP ${status}): ${detail}`);
    this.name = 'CrmError';
  }
}

// Row shapes as supabase/migrations/0001_crm.sql defines them (snake_case, ISO timestamps).
interface CustomerRow {
  id: string;
  phone: string;
  name: string | null;
  email: string | null;
  business: string | null;
}
interface LeadRow {
  id: string;
  customer_id: string;
  call_sid: string | null;
  name: string;
  business: string | null;
  email: string | null;
  phone: string;
  interest: string | null;
  notes: string | null;
  created_at: string;
}
interface AppointmentRow {
  id: string;
  customer_id: string;
  call_sid: string | null;
  starts_at: string;
  ends_at: string;
  calendar_event_id: string;
  name: string;
  phone: string;
  email: string | null;
  purpose: string | null;
  created_at: string;
  cancelled_at?: string | null;
}
interface CallTurnRow {
  seq: number;
  role: 'caller' | 'agent';
  text: string;
  at: string;
}
interface CallDbRow {
  call_sid: string;
  customer_id: string | null;
  direction: 'inbound' | 'outbound';
  from_number: string | null;
  to_number: string | null;
  served_by: EngineName | null;
  failed_over: boolean;
  started_at: string;
  ended_at: string | null;
  duration_seconds: number | null;
  outcome: string;
  summary: string | null;
  lead_id: string | null;
  appointment_id: string | null;
  // 0003_call_cost_and_latency.sql
  estimated_cost?: number | string | null;
  cost_currency?: string | null;
  cost_breakdown?: unknown;
  turn_latency_turns?: number | null;
  turn_latency_p50_ms?: number | null;
  turn_latency_p90_ms?: number | null;
  // 0005_call_recording.sql
  recording_status?: 'recorded' | 'no recording' | null;
  recording_url?: string | null;
  call_turns?: CallTurnRow[];
}

interface Outcome<T> {
  data: T | null;
  error: { message: string; code?: string } | null;
  status: number;
}

/** The CRM in Supabase (PostgREST). Upserts on the natural keys make every write idempotent. */
export class SupabaseCrm implements Crm, TextReplies {
  private readonly db: PostgrestClient;

  constructor(private readonly options: SupabaseCrmOptions) {
    // Only the database is used, so only its client (supabase-js's own PostgREST client, without
    // auth, storage and realtime: a quarter of the webhook Lambdas' bundle). The service role key
    // goes as supabase-js sends it: `apikey`, and the bearer token.
    this.db = new PostgrestClient(new URL('rest/v1', withTrailingSlash(options.url)).href, {
      headers: { apikey: options.serviceRoleKey, Authorization: `Bearer ${options.serviceRoleKey}` },
    });
  }

  async findCustomerByPhone(phone: string, now: number): Promise<KnownCustomer | undefined> {
    const customer = await this.maybeOne<CustomerRow>(
      'find customer',
      this.db.from('customers').select('id, phone, name, email, business').eq('phone', phone).maybeSingle(),
    );
    if (!customer) return undefined;
    const [next, lastCall] = await Promise.all([
      this.maybeOne<Pick<AppointmentRow, 'starts_at'>>(
        'find next appointment',
        this.db
          .from('appointments')
          .select('starts_at')
          .eq('customer_id', customer.id)
          .gte('starts_at', iso(now))
          .order('starts_at', { ascending: true })
          .limit(1)
          .maybeSingle(),
      ),
      this.maybeOne<Pick<CallDbRow, 'summary'>>(
        'find last call',
        this.db
          .from('calls')
          .select('summary')
          .eq('customer_id', customer.id)
          .not('summary', 'is', null)
          .order('started_at', { ascending: false })
          .limit(1)
          .maybeSingle(),
      ),
    ]);
    return {
      id: customer.id,
      name: customer.name ?? undefined,
      openAppointment: next
        ? formatLocalDateTime(Date.parse(next.starts_at), this.options.timezone)
        : undefined,
      lastCallSummary: lastCall?.summary ?? undefined,
    };
  }

  async upsertCustomer(customer: Omit<Customer, 'id'>): Promise<Customer> {
    // Only the given fields are sent, and PostgREST's merge updates only the columns sent:
    // what the caller did not say this time is kept.
    const row = await this.one<CustomerRow>(
      'upsert customer',
      this.db
        .from('customers')
        .upsert(
          compact({
            phone: customer.phone,
            name: customer.name,
            email: customer.email,
            business: customer.business,
            updated_at: iso(Date.now()),
          }),
          { onConflict: 'phone' },
        )
        .select('id, phone, name, email, business')
        .single(),
    );
    return {
      id: row.id,
      phone: row.phone,
      name: row.name ?? undefined,
      email: row.email ?? undefined,
      business: row.business ?? undefined,
    };
  }

  async saveLead(lead: LeadInput): Promise<Lead> {
    const values = compact({
      customer_id: lead.customerId,
      call_sid: lead.callSid,
      name: lead.name,
      business: lead.business,
      email: lead.email,
      phone: lead.phone,
      interest: lead.interest,
      notes: lead.notes,
      updated_at: iso(Date.now()),
    });
    const table = this.db.from('leads');
    const write = lead.callSid ? table.upsert(values, { onConflict: 'call_sid' }) : table.insert(values);
    return toLead(await this.one<LeadRow>('save lead', write.select().single()));
  }

  async saveTextReply(reply: TextReplyInput): Promise<void> {
    await this.none(
      'save text reply',
      this.db.from('text_replies').upsert(
        compact({
          message_sid: reply.messageSid,
          phone: reply.phone,
          customer_id: reply.customerId,
          call_sid: reply.callSid,
          body: reply.body,
          received_at: iso(reply.receivedAt),
        }),
        { onConflict: 'message_sid', ignoreDuplicates: true },
      ),
    );
  }

  async recordAppointment(appointment: AppointmentInput): Promise<Appointment> {
    const row = await this.one<AppointmentRow>(
      'record appointment',
      this.refusingOverlaps(
        this.db
          .from('appointments')
          .upsert(
            compact({
              customer_id: appointment.customerId,
              call_sid: appointment.callSid,
              starts_at: iso(appointment.start),
              ends_at: iso(appointment.end),
              calendar_event_id: appointment.calendarEventId,
              name: appointment.name,
              phone: appointment.phone,
              email: appointment.email,
              purpose: appointment.purpose,
              // Recorded again (its event brought back): it holds its slot again.
              cancelled_at: null,
              updated_at: iso(Date.now()),
            }),
            { onConflict: 'calendar_event_id' },
          )
          .select()
          .single(),
      ),
    );
    return toAppointment(row);
  }

  async saveCall(call: CallRow): Promise<void> {
    await this.none(
      'save call',
      this.db.from('calls').upsert(
        compact({
          call_sid: call.callSid,
          customer_id: call.customerId,
          direction: call.direction,
          from_number: isE164(call.from) ? call.from : null,
          to_number: isE164(call.to) ? call.to : null,
          served_by: call.servedBy,
          failed_over: call.failedOver,
          started_at: iso(call.startedAt),
          ended_at: call.endedAt === undefined ? undefined : iso(call.endedAt),
          duration_seconds: call.durationSeconds,
          outcome: call.outcome,
          summary: call.summary,
          lead_id: call.leadId,
          appointment_id: call.appointmentId,
          estimated_cost: call.cost?.total,
          cost_currency: call.cost?.currency,
          cost_breakdown: call.cost,
          turn_latency_turns: call.turnLatency?.turns,
          turn_latency_p50_ms: call.turnLatency ? Math.round(call.turnLatency.p50Ms) : undefined,
          turn_latency_p90_ms: call.turnLatency ? Math.round(call.turnLatency.p90Ms) : undefined,
          recording_status: call.recording?.status,
          recording_url: call.recording?.status === 'recorded' ? call.recording.url : undefined,
          updated_at: iso(Date.now()),
        }),
        { onConflict: 'call_sid' },
      ),
    );
    if (call.turns.length === 0) return;
    await this.none(
      'save call turns',
      this.db.from('call_turns').upsert(
        call.turns.map((t) => ({
          call_sid: call.callSid,
          seq: t.seq,
          role: t.role,
          text: t.text,
          at: iso(t.at),
        })),
        { onConflict: 'call_sid,seq' },
      ),
    );
  }

  async callsBetween(from: number, to: number): Promise<CallRow[]> {
    const rows = await this.rowsBetween<CallDbRow>(
      'list calls',
      'calls',
      CALL_WITH_TURNS,
      'started_at',
      from,
      to,
    );
    return rows.map(toCallRow);
  }

  async callsFinalisedBetween(from: number, to: number): Promise<CallRow[]> {
    const rows = await this.rowsBetween<CallDbRow>(
      'list calls finalised',
      'calls',
      CALL_WITH_TURNS,
      'created_at',
      from,
      to,
      'started_at',
    );
    return rows.map(toCallRow);
  }

  async leadsBetween(from: number, to: number): Promise<Lead[]> {
    const rows = await this.rowsBetween<LeadRow>('list leads', 'leads', '*', 'created_at', from, to);
    return rows.map(toLead);
  }

  async appointmentsOverlapping(from: number, to: number): Promise<Appointment[]> {
    const rows = await this.many<AppointmentRow>(
      'list appointments on a slot',
      this.db
        .from('appointments')
        .select()
        .is('cancelled_at', null)
        .lt('starts_at', iso(to))
        .gt('ends_at', iso(from)),
    );
    return rows.map(toAppointment);
  }

  async cancelAppointment(calendarEventId: string, at: number): Promise<void> {
    await this.none(
      'cancel appointment',
      this.db
        .from('appointments')
        .update({ cancelled_at: iso(at), updated_at: iso(Date.now()) })
        .eq('calendar_event_id', calendarEventId)
        .is('cancelled_at', null),
    );
  }

  async appointmentsBetween(from: number, to: number): Promise<Appointment[]> {
    const rows = await this.rowsBetween<AppointmentRow>(
      'list appointments',
      'appointments',
      '*',
      'created_at',
      from,
      to,
    );
    return rows.map(toAppointment);
  }

  /** The rows of `table` whose `column` falls in [from, to), in ascending `orderBy`: every report's window. */
  private rowsBetween<T>(
    operation: string,
    table: string,
    columns: string,
    column: string,
    from: number,
    to: number,
    orderBy = column,
  ): Promise<T[]> {
    return this.many<T>(
      operation,
      this.db
        .from(table)
        .select(columns)
        .gte(column, iso(from))
        .lt(column, iso(to))
        .order(orderBy, { ascending: true }),
    );
  }

  /** `23P01` (exclusion_violation, HTTP 409): the appointments_no_overlap constraint said no. */
  private async refusingOverlaps<T extends Outcome<unknown>>(query: PromiseLike<T>): Promise<T> {
    const outcome = await query;
    if (outcome.error?.code === EXCLUSION_VIOLATION)
      throw new AppointmentConflictError(outcome.error.message);
    return outcome;
  }

  // PostgREST answers errors as values; each of these turns one into a thrown CrmError.
  private async maybeOne<T>(operation: string, query: PromiseLike<Outcome<unknown>>): Promise<T | undefined> {
    const { data, error, status } = await query;
    if (error) throw new CrmError(operation, status, error.message);
    return (data ?? undefined) as T | undefined;
  }

  private async one<T>(operation: string, query: PromiseLike<Outcome<unknown>>): Promise<T> {
    const row = await this.maybeOne<T>(operation, query);
    if (row === undefined) throw new CrmError(operation, 200, 'no row returned');
    return row;
  }

  private async many<T>(operation: string, query: PromiseLike<Outcome<unknown>>): Promise<T[]> {
    return (await this.maybeOne<T[]>(operation, query)) ?? [];
  }

  private async none(operation: string, query: PromiseLike<Outcome<unknown>>): Promise<void> {
    await this.maybeOne(operation, query);
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Leaves out undefined values: a column not sent is a column not overwritten. */
function compact(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined));
}

const opt = <T>(v: T | null | undefined): T | undefined => v ?? undefined;

function toLead(row: LeadRow): Lead {
  return {
    id: row.id,
    customerId: row.customer_id,
    callSid: opt(row.call_sid),
    name: row.name,
    business: opt(row.business),
    email: opt(row.email),
    phone: row.phone,
    interest: opt(row.interest),
    notes: opt(row.notes),
    createdAt: Date.parse(row.created_at),
  };
}

function toAppointment(row: AppointmentRow): Appointment {
  return {
    id: row.id,
    customerId: row.customer_id,
    callSid: opt(row.call_sid),
    start: Date.parse(row.starts_at),
    end: Date.parse(row.ends_at),
    calendarEventId: row.calendar_event_id,
    name: row.name,
    phone: row.phone,
    email: opt(row.email),
    purpose: opt(row.purpose),
    createdAt: Date.parse(row.created_at),
    ...(row.cancelled_at ? { cancelledAt: Date.parse(row.cancelled_at) } : {}),
  };
}

function toCallRow(row: CallDbRow): CallRow {
  return {
    callSid: row.call_sid,
    customerId: opt(row.customer_id),
    direction: row.direction,
    from: row.from_number ?? '',
    to: row.to_number ?? '',
    servedBy: opt(row.served_by),
    failedOver: row.failed_over,
    startedAt: Date.parse(row.started_at),
    endedAt: row.ended_at ? Date.parse(row.ended_at) : undefined,
    durationSeconds: opt(row.duration_seconds),
    outcome: row.outcome,
    summary: opt(row.summary),
    leadId: opt(row.lead_id),
    appointmentId: opt(row.appointment_id),
    turns: (row.call_turns ?? [])
      .map((t) => ({ seq: t.seq, role: t.role, text: t.text, at: Date.parse(t.at) }))
      .sort((a, b) => a.seq - b.seq),
    cost: callCostOf(row.cost_breakdown),
    turnLatency:
      row.turn_latency_turns != null && row.turn_latency_p50_ms != null && row.turn_latency_p90_ms != null
        ? { turns: row.turn_latency_turns, p50Ms: row.turn_latency_p50_ms, p90Ms: row.turn_latency_p90_ms }
        : undefined,
    recording:
      row.recording_status === 'recorded' && row.recording_url
        ? { status: 'recorded', url: row.recording_url }
        : row.recording_status === 'no recording'
          ? { status: 'no recording' }
          : undefined,
  };
}

// The breakdown is JSON someone could have edited by hand: read it through a schema, and a row whose
// breakdown does not fit is listed without a cost rather than failing the digest.

function callCostOf(breakdown: unknown): CallCost | undefined {
  const parsed = callCostSchema.safeParse(breakdown);
  return parsed.success ? parsed.data : undefined;
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
