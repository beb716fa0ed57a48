/**
 * ElevenLabs' post-call analysis can extract the caller's name, email and interest (data
 * collection items that `agent:sync` defines with these ids). When the call's own tools did not
 * record them (no `save_lead`, or a lead without an email), they reach the CRM lead here. What a
 * tool recorded during the call always wins; only the missing fields are filled, so running this
 * again changes nothing.
 */
import type { z } from 'zod';
import type { PostCallAnalysis } from '../ports/call-store.js';
import type { Crm, Lead } from '../ports/crm.js';
import { forCall } from '../shared/logging.js';
import { isE164 } from '../shared/phone.js';
import { emailField, nameField, shortText } from '../tools/fields.js';
import { customerFields } from '../tools/limits.js';

/** The data collection ids, a contract with the ElevenLabs agent (`agent:sync` defines them). */
export const DATA_COLLECTION_IDS = {
  name: 'caller_name',
  email: 'caller_email',
  interest: 'caller_interest',
} as const;

type Field = keyof typeof DATA_COLLECTION_IDS;
export type CollectedLead = Partial<Record<Field, string>>;

const fieldSchemas: Record<Field, z.ZodType<string>> = {
  name: nameField,
  email: emailField,
  interest: shortText('interest').min(1),
};

/** The usable values of the analysis: strings that pass the same checks as the tools' arguments. */
export function collectedLead(analysis: PostCallAnalysis | undefined): CollectedLead {
  const collected: CollectedLead = {};
  for (const field of Object.keys(DATA_COLLECTION_IDS) as Field[]) {
    const parsed = fieldSchemas[field].safeParse(analysis?.dataCollection[DATA_COLLECTION_IDS[field]]?.value);
    if (parsed.success) collected[field] = parsed.data;
  }
  return collected;
}

export interface CollectedLeadInput {
  callSid: string;
  /** The other party's number: the lead's phone. */
  remoteNumber: string;
  /** The call's number was vouched for (`otherPartyVerified`): only then may the customer row change. */
  callerVerified: boolean;
  /** The lead the call's tools saved, if any. */
  existing?: Lead;
  analysis?: PostCallAnalysis;
}

/**
 * Fills the call's lead from the analysis. Returns the lead when it wrote one, undefined when there
 * was nothing to add (or no way to: a new lead needs a name and a callable number).
 */
export async function saveCollectedLead(
  crm: Pick<Crm, 'upsertCustomer' | 'saveLead'>,
  input: CollectedLeadInput,
): Promise<Lead | undefined> {
  const collected = collectedLead(input.analysis);
  const { existing } = input;
  const missing = (Object.keys(collected) as Field[]).filter((field) => !existing?.[field]);
  if (missing.length === 0) return undefined;
  const log = forCall(input.callSid);
  const name = existing?.name ?? collected.name;
  const phone = existing?.phone ?? input.remoteNumber;
  if (!name || !isE164(phone)) {
    log.info('Call analysis has lead details but no name or callable number: no lead made', {
      collected: Object.keys(collected),
    });
    return undefined;
  }
  const fill = Object.fromEntries(missing.map((field) => [field, collected[field]])) as CollectedLead;
  // The same rule as the tools: a lead under someone else's number, or from an unverified caller,
  // leaves that number's customer row as it is.
  const customer = await crm.upsertCustomer(
    customerFields(
      phone,
      { number: input.remoteNumber, verified: input.callerVerified },
      { name: fill.name, email: fill.email },
    ),
  );
  const lead = await crm.saveLead({
    customerId: existing?.customerId ?? customer.id,
    callSid: input.callSid,
    name,
    business: existing?.business,
    email: existing?.email ?? fill.email,
    phone,
    interest: existing?.interest ?? fill.interest,
    notes: existing?.notes ?? 'From the call analysis (the caller did not leave details during the call).',
  });
  log.info('Lead filled from the call analysis', { leadId: lead.id, fields: missing });
  return lead;
}
