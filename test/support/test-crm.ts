import { MemoryCrm } from '../../services/adapters/memory/crm.js';
import type {
  Appointment,
  AppointmentInput,
  CallRow,
  Customer,
  Lead,
  LeadInput,
  TextReplyInput,
} from '../../services/core/ports/crm.js';

/**
 * The product's in-memory CRM with only what tests need beside it: rows seeded as they would be
 * stored, a count of call-row writes, and a switch that makes every call fail as an unreachable
 * CRM does. The behaviour under test stays `MemoryCrm`'s, which the Supabase adapter shares.
 */
export class TestCrm extends MemoryCrm {
  saveCallWrites = 0;
  down = false;

  constructor(options: { timezone?: string; now?: () => number } = {}) {
    super({ timezone: options.timezone ?? 'America/New_York', now: options.now });
  }

  /** The call rows as stored, by callSid. */
  get calls(): ReadonlyMap<string, CallRow> {
    return new Map([...this.callRows].map(([sid, { createdAt: _createdAt, ...row }]) => [sid, row]));
  }

  get leads(): Lead[] {
    return [...this.leadRows.values()];
  }

  get appointments(): Appointment[] {
    return [...this.appointmentRows.values()];
  }

  /** Customers by phone. */
  get customers(): ReadonlyMap<string, Customer> {
    return this.customerRows;
  }

  /** A call row written at `createdAt` (by default now), as if finalised then. */
  seedCall(row: CallRow, createdAt = this.now()): void {
    this.callRows.set(row.callSid, { ...structuredClone(row), createdAt });
  }

  seedLead(...leads: Lead[]): void {
    for (const lead of leads) this.leadRows.set(lead.id, { ...lead });
  }

  seedAppointment(...appointments: Appointment[]): void {
    for (const a of appointments) this.appointmentRows.set(a.calendarEventId, { ...a });
  }

  seedCustomer(customer: Customer): void {
    this.customerRows.set(customer.phone, { ...customer });
  }

  override async saveCall(call: CallRow): Promise<void> {
    this.reachable();
    this.saveCallWrites += 1;
    return super.saveCall(call);
  }

  override async findCustomerByPhone(phone: string, now: number) {
    this.reachable();
    return super.findCustomerByPhone(phone, now);
  }

  override async upsertCustomer(input: Omit<Customer, 'id'>) {
    this.reachable();
    return super.upsertCustomer(input);
  }

  override async saveLead(input: LeadInput) {
    this.reachable();
    return super.saveLead(input);
  }

  override async recordAppointment(input: AppointmentInput) {
    this.reachable();
    return super.recordAppointment(input);
  }

  override async appointmentsOverlapping(from: number, to: number) {
    this.reachable();
    return super.appointmentsOverlapping(from, to);
  }

  override async cancelAppointment(calendarEventId: string, at: number) {
    this.reachable();
    return super.cancelAppointment(calendarEventId, at);
  }

  override async callsBetween(from: number, to: number) {
    this.reachable();
    return super.callsBetween(from, to);
  }

  override async callsFinalisedBetween(from: number, to: number) {
    this.reachable();
    return super.callsFinalisedBetween(from, to);
  }

  override async leadsBetween(from: number, to: number) {
    this.reachable();
    return super.leadsBetween(from, to);
  }

  override async appointmentsBetween(from: number, to: number) {
    this.reachable();
    return super.appointmentsBetween(from, to);
  }

  override async saveTextReply(reply: TextReplyInput) {
    this.reachable();
    return super.saveTextReply(reply);
  }

  private reachable(): void {
    if (this.down) throw new Error('CRM unavailable (503)');
  }
}
