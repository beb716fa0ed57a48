/**
 * A scheduled callback that could not be placed must reach someone: the Scheduler's retries run out
 * within minutes and its dead-letter queue only covers delivery. The owner is emailed at the first
 * failure (one email per callback: the key is the request's), so they can call the person.
 */
import * as z from 'zod';
import { emailKey, renderEmail } from '../email/email-document.js';
import type { EmailMessage } from '../ports/mail.js';

/** What of a schedule's payload the email names; anything unreadable is left out, never guessed. */
const payloadSchema = z.object({
  to: z.string().max(40).optional().catch(undefined),
  name: z.string().max(200).optional().catch(undefined),
  reason: z.string().max(600).optional().catch(undefined),
  idempotencyKey: z.string().max(300).optional().catch(undefined),
});

export function callbackNotPlacedEmail(
  ownerEmail: string,
  payload: Record<string, unknown>,
  why: string,
): EmailMessage {
  const { to, name, reason, idempotencyKey } = payloadSchema.parse(payload);
  const who = [name, to].filter(Boolean).join(', ') || 'an unknown number';
  return renderEmail({
    to: ownerEmail,
    subject: `Scheduled callback not placed: ${who}`,
    blocks: [
      { kind: 'alert', text: `CALLBACK NOT PLACED: please call ${who} yourself.` },
      {
        kind: 'facts',
        rows: [
          ['Number', to ?? 'unknown'],
          ...(name ? ([['Name', name]] as Array<[string, string]>) : []),
          ...(reason ? ([['Why we were calling', reason]] as Array<[string, string]>) : []),
          ['What went wrong', why],
        ],
      },
      {
        kind: 'note',
        text: 'The call is tried again for a few minutes; if it goes through you will get the usual call email.',
      },
    ],
    idempotencyKey: emailKey('callback-not-placed', idempotencyKey ?? JSON.stringify(payload)),
  });
}
