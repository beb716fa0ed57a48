import { MemoryCrm } from '../../services/adapters/memory/crm.js';
import type {
  Appointment,
  CallRow,
  Crm,
  Customer,
  Lead,
  TextReplies,
} from '../../services/core/ports/crm.js';
import { failWhileDown } from './fail-while-down.js';

const CRM_METHODS = [
  'findCustomerByPhone',
  'upsertCustomer',
  'saveLead',
  'recordAppointment',
  'appointmentsOverlapping',
  'cancelAppointment',
  'saveCall',
  'callsBetween',
  'callsFinalisedBetween',
  'leadsBetween',
  'appointmentsBetween',
  'saveTextReply',
] as const satisfies ReadonlyArray<keyof Crm | keyof TextReplies>;

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
    // Checked before the write count, so a write refused while down is not counted.
    failWhileDown(
      this,
      CRM_METHODS,
      () => this.down,
      () => new Error('CRM unavailable (503)'),
    );
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
    this.saveCallWrites += 1;
    return super.saveCall(call);
  }
}
