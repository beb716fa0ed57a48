/**
 * A text to the business number (`POST /twilio/sms`), usually a reply to a booking confirmation or
 * a missed-call text-back: kept in the CRM with the number's customer (a bare row if new, nothing
 * of theirs overwritten) and with the number's most recent call of the week before, and forwarded
 * to the owner by email. Nothing is texted back: STOP, HELP and START are Twilio's own on long
 * codes. The body is the sender's own words: it goes into the CRM and the email as data only, and
 * never into a log line.
 */
import { emailKey, renderEmail } from '../email/email-document.js';
import type { Crm, TextReplies } from '../ports/crm.js';
import type { Mailer } from '../ports/mail.js';
import type { Log } from '../shared/logging.js';
import { maskPhone } from '../shared/phone.js';
import { formatLocalDateTime } from '../tools/local-time.js';

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

export interface TextReplyDeps {
  crm: Pick<Crm, 'upsertCustomer' | 'callsBetween'> & TextReplies;
  mailer: Mailer;
  /** Absent: the reply is kept in the CRM, and nobody is emailed. */
  ownerEmail?: string;
  business: { name: string; timezone: string };
  now: () => number;
}

export interface IncomingText {
  messageSid: string;
  /** E.164. */
  from: string;
  body: string;
}

export async function receiveTextReply(deps: TextReplyDeps, text: IncomingText, log: Log): Promise<void> {
  const receivedAt = deps.now();
  const customer = await deps.crm.upsertCustomer({ phone: text.from });
  const calls = await deps.crm.callsBetween(receivedAt - WEEK_MS, receivedAt + 1);
  const call = calls
    .filter((c) => (c.direction === 'inbound' ? c.from : c.to) === text.from)
    .sort((a, b) => b.startedAt - a.startedAt)[0];
  await deps.crm.saveTextReply({
    messageSid: text.messageSid,
    phone: text.from,
    customerId: customer.id,
    callSid: call?.callSid,
    body: text.body,
    receivedAt,
  });
  log.info('Text received and kept', { from: maskPhone(text.from), onCall: call !== undefined });
  if (!deps.ownerEmail) {
    log.warn('OWNER_EMAIL is not set: a text to the business was kept but not forwarded');
    return;
  }
  const who = customer.name ? `${customer.name} (${text.from})` : text.from;
  await deps.mailer.send(
    renderEmail({
      to: deps.ownerEmail,
      subject: `Text from ${who}`,
      blocks: [
        { kind: 'paragraph', lines: [`${who} texted ${deps.business.name}:`] },
        { kind: 'paragraph', lines: text.body.split(/\r?\n/) },
        {
          kind: 'facts',
          rows: [
            ['Received', formatLocalDateTime(receivedAt, deps.business.timezone)],
            ...(call
              ? ([['Their last call', formatLocalDateTime(call.startedAt, deps.business.timezone)]] as Array<
                  [string, string]
                >)
              : []),
          ],
        },
        {
          kind: 'note',
          text: 'Nothing was sent back automatically. Reply from your own phone or call them.',
        },
      ],
      // Twilio may deliver the webhook twice: one message, one email.
      idempotencyKey: emailKey('text-reply', text.messageSid),
    }),
  );
}
