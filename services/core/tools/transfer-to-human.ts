import { WEBHOOK_ROUTES } from '../routes.js';
import { shortText, toolArgs } from './fields.js';
import { defineTool } from './tool.js';

/** Where Twilio reports how the transfer's `<Dial>` ended (an unanswered one is a callback due). */
export const DIAL_RESULT_PATH = WEBHOOK_ROUTES.DialResult.path;

/** What the caller hears when nobody takes the transferred call (with or without `<Dial action>`). */
export function transferUnansweredMessage(businessName: string): string {
  return `Sorry, nobody at ${businessName} could take the call. We will call you back. Goodbye.`;
}

export const transferToHuman = defineTool({
  name: 'transfer_to_human',
  description:
    'Connect the caller to a person at the business. Say you are connecting them first; the call then leaves you.',
  schema: toolArgs({
    reason: shortText('reason').optional().describe('Why the caller needs a person, in a few words.'),
  }),
  failureText: 'I could not connect you just now. I can take a message and have someone call you back.',
  handler: async ({ reason }, { callSid, deps, log }) => {
    if (!deps.ownerPhone) {
      return {
        ok: false,
        text: 'There is nobody I can put you through to right now. I can take a message and have someone call you back.',
      };
    }
    const twiml = deps.transferTwiml({
      to: deps.ownerPhone,
      say: 'Connecting you now, please hold.',
      noAnswerSay: transferUnansweredMessage(deps.business.name),
      action: deps.publicUrl ? `${deps.publicUrl}${DIAL_RESULT_PATH}` : undefined,
    });
    // Redirecting replaces the <Connect><Stream>: Twilio stops the media stream and dials.
    await deps.callControl.redirect(callSid, twiml);
    log.info('call transferred', { hasReason: Boolean(reason) });
    return { ok: true, text: 'Transferring the call now.', endsCall: 'transfer' };
  },
});
