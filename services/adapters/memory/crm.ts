import { randomUUID } from 'node:crypto';
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
import { formatLocalDateTime } from '../../core/tools/local-time.js';

/**
 * The embedded CRM of the local stack: the same contract as the Supabase adapter (the same
 * natural keys make the same writes idempotent), kept in memory for the life of the process.
 */
export class MemoryCrm implements Crm, TextReplies {
  // Protected so a test wrapper can seed rows exactly as they would be stored.
  protected readonly customerRows = new Map<string, Customer>(); // by phone
  protected readonly leadRows = new Map<string, Lead>(); // by id
  protected readonly appointmentRows = new Map<string, Appointment>(); // by calendarEventId
  protected readonly callRows = new Map<string, CallRow & { createdAt: number }>(); // by callSid
  /** Texts to the business number, by MessageSid. */
  readonly textReplies = new Map<string, TextReplyInput>();

  constructor(private readonly options: { timezone: string; now?: () => number }) {}

  protected now(): number {
    return (this.options.now ?? Date.now)();
  }

  async saveTextReply(reply: TextReplyInput): Promise<void> {
    if (!this.textReplies.has(reply.messageSid)) this.textReplies.set(reply.messageSid, { ...reply });
  }

  async findCustomerByPhone(phone: string, now: number): Promise<KnownCustomer | undefined> {
    const customer = this.customerRows.get(phone);
    if (!customer) return undefined;
    const next = [...this.appointmentRows.values()]
      .filter((a) => a.customerId === customer.id && a.start >= now)
      .sort((a, b) => a.start - b.start)[0];
    const lastCall = [...this.callRows.values()]
      .filter((c) => c.customerId === customer.id && c.summary)
      .sort((a, b) => b.startedAt - a.startedAt)[0];
    return {
      id: customer.id,
      name: customer.name,
      openAppointment: next ? formatLocalDateTime(next.start, this.options.timezone) : undefined,
      lastCallSummary: lastCall?.summary,
    };
  }

  async upsertCustomer(input: Omit<Customer, 'id'>): Promise<Customer> {
    const existing = this.customerRows.get(input.phone);
    const customer: Customer = {
      ...existing,
      ...defined(input),
      id: existing?.id ?? randomUUID(),
      phone: input.phone,
    };
    this.customerRows.set(input.phone, customer);
    return { ...customer };
  }

  async saveLead(input: LeadInput): Promise<Lead> {
    const existing = input.callSid
      ? [...this.leadRows.values()].find((l) => l.callSid === input.callSid)
      : undefined;
    const lead: Lead = existing
      ? { ...existing, ...defined(input) }
      : { ...input, id: randomUUID(), createdAt: this.now() };
    this.leadRows.set(lead.id, lead);
    return { ...lead };
  }

  async recordAppointment(input: AppointmentInput): Promise<Appointment> {
    const existing = this.appointmentRows.get(input.calendarEventId);
    // The same rule as the database's exclusion constraint (0002, 0004: cancelled rows do not count).
    const clash = [...this.appointmentRows.values()].find(
      (a) =>
        a.calendarEventId !== input.calendarEventId &&
        a.cancelledAt === undefined &&
        a.start < input.end &&
        input.start < a.end,
    );
    if (clash) throw new AppointmentConflictError(`${new Date(input.start).toISOString()} is taken`);
    // Recorded again (its event brought back): it holds its slot again.
    const appointment: Appointment = existing
      ? { ...existing, ...defined(input), cancelledAt: undefined }
      : { ...input, id: randomUUID(), createdAt: this.now() };
    this.appointmentRows.set(input.calendarEventId, defined(appointment) as Appointment);
    return { ...appointment };
  }

  async appointmentsOverlapping(from: number, to: number): Promise<Appointment[]> {
    return [...this.appointmentRows.values()]
      .filter((a) => a.cancelledAt === undefined && a.start < to && from < a.end)
      .map((a) => ({ ...a }));
  }

  async cancelAppointment(calendarEventId: string, at: number): Promise<void> {
    const appointment = this.appointmentRows.get(calendarEventId);
    if (appointment && appointment.cancelledAt === undefined) appointment.cancelledAt = at;
  }

  async saveCall(call: CallRow): Promise<void> {
    const existing = this.callRows.get(call.callSid);
    const turns = new Map((existing?.turns ?? []).map((t) => [t.seq, t]));
    for (const turn of call.turns) turns.set(turn.seq, turn);
    this.callRows.set(call.callSid, {
      ...existing,
      ...defined(call),
      callSid: call.callSid,
      direction: call.direction,
      from: call.from,
      to: call.to,
      failedOver: call.failedOver,
      startedAt: call.startedAt,
      outcome: call.outcome,
      turns: [...turns.values()].sort((a, b) => a.seq - b.seq),
      createdAt: existing?.createdAt ?? this.now(),
    });
  }

  async callsBetween(from: number, to: number): Promise<CallRow[]> {
    return [...this.callRows.values()]
      .filter((c) => c.startedAt >= from && c.startedAt < to)
      .sort((a, b) => a.startedAt - b.startedAt)
      .map(({ createdAt: _createdAt, ...call }) => ({ ...call, turns: [...call.turns] }));
  }

  async callsFinalisedBetween(from: number, to: number): Promise<CallRow[]> {
    return [...this.callRows.values()]
      .filter((c) => c.createdAt >= from && c.createdAt < to)
      .sort((a, b) => a.startedAt - b.startedAt)
      .map(({ createdAt: _createdAt, ...call }) => ({ ...call, turns: [...call.turns] }));
  }

  async leadsBetween(from: number, to: number): Promise<Lead[]> {
    return [...this.leadRows.values()]
      .filter((l) => l.createdAt >= from && l.createdAt < to)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((l) => ({ ...l }));
  }

  async appointmentsBetween(from: number, to: number): Promise<Appointment[]> {
    return [...this.appointmentRows.values()]
      .filter((a) => a.createdAt >= from && a.createdAt < to)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((a) => ({ ...a }));
  }
}

/** Drops undefined fields, so "missing ones are kept" when merging into an existing row. */
function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
