/**
 * The CRM (Supabase): customers, leads, appointments, finished calls and texts to the business.
 * Adapters implement it in `services/adapters/supabase/`; `services/adapters/memory/` holds the stand-in.
 */
import type { CallCost } from '../after-call/cost-record.js';
import type { TurnLatencySummary } from '../call/turn-latency.js';
import type { EngineName } from '../shared/engines.js';

/** What the CRM knows about a returning caller that helps the agent. */
export interface KnownCustomer {
  id: string;
  name?: string;
  /** Local `YYYY-MM-DDTHH:mm` of the caller's next booked appointment, if any. */
  openAppointment?: string;
  lastCallSummary?: string;
}

export interface Customer {
  id: string;
  phone: string;
  name?: string;
  email?: string;
  business?: string;
}

export interface LeadInput {
  customerId: string;
  callSid?: string;
  name: string;
  business?: string;
  email?: string;
  phone: string;
  interest?: string;
  notes?: string;
}

export interface Lead extends LeadInput {
  id: string;
  createdAt: number;
}

export interface AppointmentInput {
  customerId: string;
  callSid?: string;
  /** Epoch ms. */
  start: number;
  end: number;
  calendarEventId: string;
  name: string;
  phone: string;
  email?: string;
  purpose?: string;
}

export interface Appointment extends AppointmentInput {
  id: string;
  createdAt: number;
  /** Set once its calendar event was found gone: the row no longer holds its slot. */
  cancelledAt?: number;
}

/** One finished call as the CRM keeps it (written once by finalisation, idempotent on callSid). */
export interface CallRow {
  callSid: string;
  customerId?: string;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  servedBy?: EngineName;
  failedOver: boolean;
  startedAt: number;
  endedAt?: number;
  durationSeconds?: number;
  /** `completed`, `busy`, `no-answer`, `failed`, `canceled` (Twilio's final statuses). */
  outcome: string;
  summary?: string;
  leadId?: string;
  appointmentId?: string;
  turns: Array<{ seq: number; role: 'caller' | 'agent'; text: string; at: number }>;
  /** Estimated from engine usage and Twilio minutes with the configured rates (`after-call/call-cost.ts`). */
  cost?: CallCost;
  /** Caller stops speaking → first agent audio, as the bridge measured it. */
  turnLatency?: TurnLatencySummary;
  /**
   * The call's recording: `recorded` with a short-lived link (minted at finalisation), or
   * `no recording` when the call was recorded and none could be stored. Absent: not recorded.
   */
  recording?: { status: 'recorded'; url: string } | { status: 'no recording' };
}

/** The CRM refused an appointment that overlaps another on the same calendar (the exclusion constraint). */
export class AppointmentConflictError extends Error {
  constructor(detail: string) {
    super(`Appointment overlaps another: ${detail}`);
    this.name = 'AppointmentConflictError';
  }
}

export interface Crm {
  /** A returning caller and what helps the agent; undefined for an unknown number. */
  findCustomerByPhone(phone: string, now: number): Promise<KnownCustomer | undefined>;
  /** Insert or update by phone; given fields overwrite, missing ones are kept. */
  upsertCustomer(customer: Omit<Customer, 'id'>): Promise<Customer>;
  /** One lead per call: a second save from the same call updates it. */
  saveLead(lead: LeadInput): Promise<Lead>;
  /**
   * Idempotent on `calendarEventId`. Throws `AppointmentConflictError` when another appointment
   * overlaps it (the database's exclusion constraint).
   */
  recordAppointment(appointment: AppointmentInput): Promise<Appointment>;
  /** Appointments not cancelled that overlap `[from, to)`: what holds a slot in the CRM. */
  appointmentsOverlapping(from: number, to: number): Promise<Appointment[]>;
  /**
   * Marks the appointment of this calendar event cancelled (its event is gone): it stays on record
   * and no longer holds its slot. Idempotent; an unknown event changes nothing.
   */
  cancelAppointment(calendarEventId: string, at: number): Promise<void>;
  /** Idempotent on `callSid`: writing it again updates, never duplicates (turns included). */
  saveCall(call: CallRow): Promise<void>;
  /** For the digest: calls that started, leads and appointments created in `[from, to)` (epoch ms). */
  callsBetween(from: number, to: number): Promise<CallRow[]>;
  /** Calls whose row was first written (finalised) in `[from, to)`: the digest's late calls. */
  callsFinalisedBetween(from: number, to: number): Promise<CallRow[]>;
  leadsBetween(from: number, to: number): Promise<Lead[]>;
  appointmentsBetween(from: number, to: number): Promise<Appointment[]>;
}

/** A text someone sent the business number, as the CRM keeps it. */
export interface TextReplyInput {
  /** Twilio's MessageSid: saving the same one twice keeps one. */
  messageSid: string;
  /** E.164. */
  phone: string;
  customerId?: string;
  /** The number's most recent call in the week before, if any. */
  callSid?: string;
  body: string;
  receivedAt: number;
}

/** Where texts to the business are kept (the CRM's `text_replies`). */
export interface TextReplies {
  saveTextReply(reply: TextReplyInput): Promise<void>;
}
