/**
 * Ports for everything outside the core. Adapters in `services/adapters/<system>/` implement them;
 * `services/adapters/memory/` holds the embedded stand-ins the local stack uses when a setting is absent.
 */
import type { CallCost } from './call-cost.js';
import type { TurnLatencySummary } from './call-session.js';
import type { EngineName, KnownCustomer } from './voice-engine.js';

/** The provider flag: which engine new calls use (SSM in AWS, `VOICE_PROVIDER` locally). */
export interface ProviderFlag {
  current(): Promise<EngineName>;
}

// ---------- CRM (Supabase) ----------

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
  /** Estimated from engine usage and Twilio minutes with the configured rates (`call-cost.ts`). */
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

// ---------- Calendar (Google) ----------

export interface Interval {
  start: number;
  end: number;
}

export interface CalendarEventInput {
  /** Deterministic per booking request, so a retried booking never creates two events. */
  idempotencyKey: string;
  start: number;
  end: number;
  summary: string;
  description?: string;
}

export interface Calendar {
  /** Busy intervals overlapping `[from, to)`. */
  busy(from: number, to: number): Promise<Interval[]>;
  /**
   * The event made earlier with this idempotency key, if it still exists, so a retried booking is
   * recognised before free/busy (which would report the slot taken by that very event).
   */
  findEvent(idempotencyKey: string): Promise<{ eventId: string } | undefined>;
  /**
   * Creates the event, or returns the existing one made with the same idempotency key (one removed
   * earlier is made again). `signal` aborts the request when the caller has given up on it.
   */
  createEvent(
    event: CalendarEventInput,
    options?: { signal?: AbortSignal },
  ): Promise<{ eventId: string; created: boolean }>;
  /** Removes an event (a booking the CRM refused); an event already gone is not an error. */
  deleteEvent(eventId: string): Promise<void>;
  /** Whether the event still stands (not deleted, not cancelled): a CRM row for a gone one is stale. */
  hasEvent(eventId: string): Promise<boolean>;
  /**
   * The events overlapping `[from, to)` and when each was made (epoch ms): while the CRM, whose
   * constraint normally decides between two bookings of one slot, is down, the calendar decides.
   */
  eventsOverlapping(from: number, to: number): Promise<Array<{ eventId: string; createdAt: number }>>;
}

// ---------- Email (Resend) ----------

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Same key, same message: the mailer sends it once. */
  idempotencyKey?: string;
}

export interface Mailer {
  send(message: EmailMessage): Promise<{ id: string }>;
}

// ---------- Call control (Twilio REST) ----------

export interface PlaceCallRequest {
  to: string;
  from: string;
  /** Where Twilio fetches TwiML once the call is answered. */
  url: string;
  statusCallback: string;
  machineDetection: boolean;
}

export interface CallControl {
  /** Replaces the live call's TwiML (e.g. `<Dial>` the owner). Tolerates a call that already ended. */
  redirect(callSid: string, twiml: string): Promise<void>;
  /** Hangs up. Tolerates a call that already ended. */
  hangUp(callSid: string): Promise<void>;
  placeCall(request: PlaceCallRequest): Promise<{ callSid: string }>;
}

/** One call as Twilio's REST API reports it (`GET …/Calls/{CallSid}.json`). */
export interface TwilioCall {
  callSid: string;
  /** `queued`, `ringing`, `in-progress`, or a final status (`completed`, `busy`, …). */
  status: string;
  /** Answered seconds, once the call is over. */
  durationSeconds?: number;
  from: string;
  to: string;
  direction: 'inbound' | 'outbound';
  /** Epoch ms, when Twilio knows them. */
  startedAt?: number;
  endedAt?: number;
  createdAt?: number;
}

/** What the REST API knows about calls: the source of truth when a status callback never came. */
export interface CallLookup {
  /** The call, or undefined when Twilio does not know it (404). */
  getCall(callSid: string): Promise<TwilioCall | undefined>;
  /** Calls from `from` to `to` created at or after `since` (epoch ms), newest first. */
  callsBetween(from: string, to: string, since: number): Promise<TwilioCall[]>;
  /** Calls to `to` (the business number) that started at or after `since` (epoch ms). */
  callsTo(to: string, since: number): Promise<TwilioCall[]>;
}

// ---------- One-time schedules (EventBridge Scheduler) ----------

export interface OneTimeSchedule {
  /** Derived from the request's idempotency key: creating the same schedule twice is a no-op. */
  name: string;
  /** Epoch ms. */
  at: number;
  timezone: string;
  /** The request the outbound function receives when the schedule fires. */
  payload: Record<string, unknown>;
}

export interface CallbackScheduler {
  scheduleOnce(schedule: OneTimeSchedule): Promise<{ created: boolean }>;
}

/** One text message (SMS) to send. */
export interface TextMessage {
  /** E.164. */
  to: string;
  body: string;
}

/** Sends texts (Twilio's Messages API). Resolves with the provider's message id once accepted. */
export interface TextSender {
  send(message: TextMessage): Promise<{ sid: string }>;
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
