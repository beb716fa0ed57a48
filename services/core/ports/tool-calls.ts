import type { AppointmentInput, Customer, LeadInput } from './crm.js';

/** What the agent hears back from a tool: a short sentence it can speak, and whether it failed. */
export interface ToolResult {
  ok: boolean;
  text: string;
  /**
   * Set when the tool ends the conversation; the bridge acts on it after sending the result:
   * `transfer`: the call was already redirected (Twilio stops the stream and dials someone);
   * `hangup`: the bridge hangs up through the REST API once the agent's last audio has played.
   */
  endsCall?: 'transfer' | 'hangup';
  /**
   * A CRM write the tool could not make (the CRM was down) although what it did stands (the
   * calendar event exists, the caller was told their details are noted): kept with the tool call,
   * and made by finalisation, which retries until it succeeds, so nothing is missing from the CRM.
   */
  crmRepair?: CrmRepair;
}

/** A CRM write a tool owes: made by finalisation (idempotent), retried until it goes through. */
export type CrmRepair = AppointmentRepair | LeadRepair;

/** The lead row (and its customer) of a `save_lead` the CRM could not take during the call. */
export interface LeadRepair {
  kind: 'lead';
  customer: Omit<Customer, 'id'>;
  lead: Omit<LeadInput, 'customerId'>;
}

/** The appointment row (and its customer) of a booking whose calendar event was made. */
export interface AppointmentRepair {
  kind: 'appointment';
  customer: Omit<Customer, 'id'>;
  appointment: Omit<AppointmentInput, 'customerId'>;
}

/** A tool as an engine declares it to its model: JSON schema parameters (from the zod schema). */
export interface ToolDefinition {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** The port the bridge calls when an engine asks for a tool. Never throws: failures are results. */
export interface ToolRunner {
  definitions(): ToolDefinition[];
  run(call: ToolInvocation): Promise<ToolResult>;
}

export interface ToolInvocation {
  callSid: string;
  /** The other party's number, E.164: the default `phone` of bookings and leads. */
  remoteNumber: string;
  name: string;
  args: unknown;
}
