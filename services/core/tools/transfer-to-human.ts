import { isWithinHours, parseBusinessHours } from '../shared/business-hours.js';
import type { TransferSettings } from '../shared/business-profile.js';
import { destinationProblem, maskPhone } from '../shared/phone.js';
import { routeUrl, WEBHOOK_ROUTES } from '../shared/routes.js';
import { shortText, toolArgs } from './fields.js';
import { defineTool, type ToolContext } from './tool.js';

/** What the caller hears when nobody takes the transferred call and the agent cannot take it back. */
export function transferUnansweredMessage(businessName: string): string {
  return `Sorry, nobody at ${businessName} could take the call. We will call you back. Goodbye.`;
}

/** What the caller hears while the owner's phone rings and the owner hears the whisper. */
export const TRANSFER_HOLD_MESSAGE = 'Connecting you now. Please hold while I let them know who is calling.';

const TAKE_A_MESSAGE = 'I can take a message and have someone call you back.';

/** The URL of the whisper for one call: the parent call's sid travels in the (signed) query. */
export function whisperUrl(publicUrl: string, callSid: string): string {
  return `${routeUrl(publicUrl, WEBHOOK_ROUTES.Whisper)}?call=${encodeURIComponent(callSid)}`;
}

export const transferToHuman = defineTool({
  name: 'transfer_to_human',
  description:
    'Connect the caller to a person at the business. Say you are connecting them first; the call then leaves you. ' +
    'If nobody takes it, the caller comes back to you: then take a message or book a callback.',
  schema: toolArgs({
    reason: shortText('reason').optional().describe('Why the caller needs a person, in a few words.'),
  }),
  failureText: `I could not connect you just now. ${TAKE_A_MESSAGE}`,
  handler: async ({ reason }, context) => {
    const { callSid, deps, log } = context;
    const target = await transferTarget(context);
    if ('refusal' in target) return { ok: false, text: target.refusal };
    const twiml = deps.transferTwiml({
      to: target.to,
      say: TRANSFER_HOLD_MESSAGE,
      noAnswerSay: transferUnansweredMessage(deps.business.name),
      action: deps.publicUrl ? routeUrl(deps.publicUrl, WEBHOOK_ROUTES.DialResult) : undefined,
      whisperUrl: deps.publicUrl ? whisperUrl(deps.publicUrl, callSid) : undefined,
    });
    // Redirecting replaces the <Connect><Stream>: Twilio stops the media stream and dials.
    await deps.callControl.redirect(callSid, twiml);
    log.info('call transferred', { hasReason: Boolean(reason), to: maskPhone(target.to) });
    return { ok: true, text: 'Transferring the call now.', endsCall: 'transfer' };
  },
});

/**
 * Whom to dial, from the owner's settings (the profile's `transfer`) and `OWNER_PHONE`; or why not,
 * as a sentence for the caller that offers a message instead.
 */
async function transferTarget({ deps, log }: ToolContext): Promise<{ to: string } | { refusal: string }> {
  const settings: TransferSettings | undefined = (await deps.businessProfile?.current())?.transfer;
  if (settings?.enabled === false) {
    log.info('transfer declined: the owner turned transfers off');
    return { refusal: `Nobody is taking calls directly right now. ${TAKE_A_MESSAGE}` };
  }
  if (settings?.hours) {
    const hours = parseBusinessHours(settings.hours); // validated when the profile was read
    if (!isWithinHours(hours, deps.business.timezone, deps.now())) {
      log.info('transfer declined: outside the transfer hours');
      return { refusal: `Nobody can take calls at this hour. ${TAKE_A_MESSAGE}` };
    }
  }
  if (settings?.phone) {
    // Editable without a deploy, so held to the toll-fraud guard on every use (OWNER_PHONE is
    // checked when the stack is configured).
    const problem = destinationProblem(settings.phone, deps.allowedCountries ?? []);
    if (problem) {
      log.error('transfer refused: the profile transfer number may not be dialled', {
        to: maskPhone(settings.phone),
        problem: problem.code,
      });
      return { refusal: `I cannot put you through just now. ${TAKE_A_MESSAGE}` };
    }
    return { to: settings.phone };
  }
  if (!deps.ownerPhone)
    return { refusal: `There is nobody I can put you through to right now. ${TAKE_A_MESSAGE}` };
  return { to: deps.ownerPhone };
}
