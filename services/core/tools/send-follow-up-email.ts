import { emailKey, renderEmail } from '../email/email-document.js';
import { emailField, shortText, toolArgs } from './fields.js';
import { limitRefusal } from './limits.js';
import { defineTool } from './tool.js';

export const sendFollowUpEmail = defineTool({
  name: 'send_follow_up_email',
  description:
    'Email the caller a short follow-up about a topic they asked about, so the owner can reply with details. Spell the address back before calling.',
  schema: toolArgs({
    email: emailField.describe("The caller's email address."),
    topic: shortText('topic', 200)
      .min(1, 'What should the email be about?')
      .describe('What the caller wants details on, in a few words.'),
  }),
  failureText: 'I could not send the email just now; I will make sure the owner follows up with you.',
  handler: async ({ email, topic }, context) => {
    const { callSid, deps, log } = context;
    const business = deps.business.name;
    // Same call, address and topic: the same message, so a retried tool call sends it once. The key
    // is a hash: no address or topic in a header, never past Resend's 256 characters.
    const key = emailKey('follow-up', callSid, email.toLowerCase(), topic.toLowerCase());
    const refusal = await limitRefusal(context, 'email', key, { recipient: email });
    if (refusal) return refusal;
    await deps.mailer.send(
      renderEmail({
        to: email,
        subject: `${business}: ${topic}`,
        blocks: [
          { kind: 'paragraph', lines: ['Hello,'] },
          {
            kind: 'paragraph',
            lines: [
              `Thank you for calling ${business}. You asked about: ${topic}.`,
              'We will reply to this email with the details. If anything is urgent, just call us back.',
            ],
          },
          { kind: 'paragraph', lines: [business] },
        ],
        idempotencyKey: key,
      }),
    );
    if (deps.ownerEmail) {
      // The owner learns a reply is owed; the caller's confirmation does not depend on it.
      await deps.mailer
        .send(
          renderEmail({
            to: deps.ownerEmail,
            subject: `Follow up with ${email}: ${topic}`,
            blocks: [
              {
                kind: 'paragraph',
                lines: [
                  `A caller (call ${callSid}) asked for details by email about "${topic}". Reply to ${email}.`,
                ],
              },
            ],
            idempotencyKey: emailKey('follow-up-owner', callSid, email.toLowerCase(), topic.toLowerCase()),
          }),
        )
        .catch((error: unknown) => log.error('owner follow-up notice failed', { error }));
    }
    return { ok: true, text: `Done, I have sent an email to ${email} about ${topic}.` };
  },
});
