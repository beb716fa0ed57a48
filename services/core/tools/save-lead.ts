import { contactPhone, emailField, nameField, phoneField, shortText, toolArgs } from './fields.js';
import { callerOf, customerFields } from './limits.js';
import { defineTool } from './tool.js';

export const saveLead = defineTool({
  name: 'save_lead',
  description:
    "Record an interested caller: their name and what they are interested in, plus business, email and notes when known. phone defaults to the caller's number. Calling it again in the same call updates the same lead.",
  schema: toolArgs({
    name: nameField.describe("The caller's name."),
    business: shortText('business name', 200).optional().describe('Their company, if any.'),
    email: emailField.optional().describe('Their email address, spelled back to confirm.'),
    phone: phoneField.optional().describe("Contact phone; leave out to use the caller's own number."),
    interest: shortText('interest').optional().describe('What they want, in a few words.'),
    notes: shortText('notes', 2000).optional().describe('Anything else the owner should know.'),
  }),
  failureText: 'I could not save your details just now; the owner will see this call and follow up.',
  handler: async (args, context) => {
    const { callSid, remoteNumber, deps, log } = context;
    const phone = contactPhone(args.phone, remoteNumber);
    if (!phone) return { ok: false, text: 'I need a phone number with its area code to note down.' };
    // Name, email and business reach the caller's own customer row only from an attested call.
    const customerInput = customerFields(phone, await callerOf(context, phone), {
      name: args.name,
      email: args.email,
      business: args.business,
    });
    const lead = {
      callSid,
      name: args.name,
      business: args.business,
      email: args.email,
      phone,
      interest: args.interest,
      notes: args.notes,
    };
    const text = `Thanks, I have noted ${args.name}'s details for the team.`;
    try {
      const customer = await deps.crm.upsertCustomer(customerInput);
      const saved = await deps.crm.saveLead({ ...lead, customerId: customer.id });
      log.info('lead saved', { leadId: saved.id });
      return { ok: true, text };
    } catch (error) {
      // The CRM is down: the lead travels with the tool call and finalisation writes it, so what
      // the caller is told stays true.
      log.error('lead not written to the CRM: finalisation will write it', { error });
      return { ok: true, text, crmRepair: { kind: 'lead', customer: customerInput, lead } };
    }
  },
});
