/** A realistic finished call and the deps around it, shared by the after-call tests. */

import { MemoryCallSessionStore } from '../../services/adapters/memory/call-session-store.js';
import { MemoryFinalisationStore } from '../../services/adapters/memory/finalisation-store.js';
import type { FinaliseDeps } from '../../services/core/after-call/finalise-call.js';
import type { CallSession, ToolCallRecord, Turn } from '../../services/core/call/call-session.js';
import type { Appointment, Lead } from '../../services/core/ports/crm.js';
import { TestCrm } from './test-crm.js';
import { TestMailer } from './test-mailer.js';

export const TZ = 'America/New_York';
export const BUSINESS = { name: 'Bolt Dental', timezone: TZ };
export const OWNER = 'owner@example.com';
/** Wed 25 Nov 2026, 09:12 in New York. */
export const T0 = Date.UTC(2026, 10, 25, 14, 12, 0);
export const CALL_SID = 'CA11111111111111111111111111111111';
export const CALLER = '+12125550123';
export const BUSINESS_NUMBER = '+12125550100';

export function session(overrides: Partial<CallSession> = {}): CallSession {
  return {
    callSid: CALL_SID,
    direction: 'inbound',
    from: CALLER,
    to: BUSINESS_NUMBER,
    provider: 'elevenlabs',
    servedBy: 'elevenlabs',
    conversationId: 'conv_123',
    customer: { id: 'cust-1', name: 'Ada Lovelace' },
    // The agent knew the customer's name: the number was attested.
    callerVerified: true,
    streamTokenHash: 'a'.repeat(64),
    status: 'ended',
    createdAt: T0,
    streamingAt: T0 + 1_000,
    endedAt: T0 + 126_000,
    endReason: 'caller-hung-up',
    ...overrides,
  };
}

/**
 * A booking for the next day that reached the calendar during the call, while the CRM row it owes
 * is still to be written (the result a tool call keeps for finalisation to repair).
 */
export function bookedOwingCrmRow(
  callSid: string,
  name: string,
  calendarEventId: string,
): ToolCallRecord['result'] {
  const start = T0 + 86_400_000;
  return {
    ok: true,
    text: 'Booked.',
    crmRepair: {
      kind: 'appointment',
      customer: { phone: CALLER, name },
      appointment: { callSid, start, end: start + 1_800_000, calendarEventId, name, phone: CALLER },
    },
  };
}

export const TURNS: Turn[] = [
  { seq: 1, role: 'agent', text: 'Thanks for calling Bolt Dental, how can I help?', at: T0 + 2_000 },
  {
    seq: 2,
    role: 'caller',
    text: "Hi, I'd like to book a cleaning tomorrow morning if you have anything.",
    at: T0 + 8_000,
  },
  { seq: 3, role: 'agent', text: 'I have 10:00 tomorrow. Shall I book it?', at: T0 + 20_000 },
  { seq: 4, role: 'caller', text: 'Yes please, that works.', at: T0 + 25_000 },
  { seq: 5, role: 'agent', text: 'Booked for Thursday at 10:00. Anything else?', at: T0 + 40_000 },
];

export const TOOL_CALLS: ToolCallRecord[] = [
  {
    seq: 1,
    name: 'book_appointment',
    args: { start: '2026-11-26T10:00', name: 'Ada Lovelace', purpose: 'Cleaning' },
    result: { ok: true, text: 'Booked for Thursday 26 November at 10:00.' },
    at: T0 + 35_000,
    durationMs: 420,
  },
  {
    seq: 2,
    name: 'save_lead',
    args: { name: 'Ada Lovelace', interest: 'Whitening' },
    result: { ok: true, text: 'Saved.' },
    at: T0 + 38_000,
    durationMs: 120,
  },
];

/** Thu 26 Nov 2026, 10:00 New York. */
export const APPOINTMENT: Appointment = {
  id: 'appt-1',
  customerId: 'cust-1',
  callSid: CALL_SID,
  start: Date.UTC(2026, 10, 26, 15, 0, 0),
  end: Date.UTC(2026, 10, 26, 15, 30, 0),
  calendarEventId: 'evt-1',
  name: 'Ada Lovelace',
  phone: CALLER,
  purpose: 'Cleaning',
  createdAt: T0 + 35_500,
};

export const LEAD: Lead = {
  id: 'lead-1',
  customerId: 'cust-1',
  callSid: CALL_SID,
  name: 'Ada Lovelace',
  phone: CALLER,
  email: 'ada@example.com',
  interest: 'Whitening',
  createdAt: T0 + 38_500,
};

export interface Harness {
  deps: FinaliseDeps;
  sessions: MemoryCallSessionStore;
  store: MemoryFinalisationStore;
  crm: TestCrm;
  mailer: TestMailer;
  clock: { now: number };
}

export function harness(): Harness {
  const sessions = new MemoryCallSessionStore();
  const store = new MemoryFinalisationStore();
  const clock = { now: T0 + 130_000 };
  const crm = new TestCrm({ timezone: TZ, now: () => clock.now });
  const mailer = new TestMailer();
  return {
    sessions,
    store,
    crm,
    mailer,
    clock,
    deps: {
      sessions,
      finalisations: store,
      analyses: store,
      crm,
      mailer,
      ownerEmail: OWNER,
      business: BUSINESS,
      now: () => clock.now,
    },
  };
}

/** The booked call above, with its CRM rows, ready to finalise. */
export function bookedCall(h: Harness): void {
  h.sessions.put({ session: session(), turns: TURNS, toolCalls: TOOL_CALLS });
  h.crm.seedAppointment(APPOINTMENT);
  // Another call's lead in the same minutes: must not be linked to ours.
  h.crm.seedLead(LEAD, { ...LEAD, id: 'lead-other', callSid: 'CA2222', name: 'Someone Else' });
}
