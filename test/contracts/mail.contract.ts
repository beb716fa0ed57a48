/**
 * What every mailer promises (the port in services/core/ports/mail.ts): a message is delivered as
 * given and answered with an id; the same idempotency key delivers once and answers the same id;
 * different keys are different messages.
 */
import type { EmailMessage, Mailer } from '../../services/core/ports/mail.js';

export interface MailerSubject {
  mailer: Mailer;
  /** What reached the recipient side so far (the outbox's files, the stand-in API's accepted mail). */
  delivered(): Promise<Array<Pick<EmailMessage, 'to' | 'subject' | 'text'>>>;
}

export function describeMailerContract(name: string, makeSubject: () => Promise<MailerSubject>): void {
  describe(`mailer contract: ${name}`, () => {
    const message: EmailMessage = {
      to: 'jane@example.com',
      subject: 'Your booking',
      text: 'See you on Thursday.',
      idempotencyKey: 'booking:CA1:contract',
    };

    test('delivers the message as given and answers an id', async () => {
      const subject = await makeSubject();
      const { id } = await subject.mailer.send(message);
      expect(id).toEqual(expect.any(String));
      expect(id.length).toBeGreaterThan(0);
      expect(await subject.delivered()).toEqual([
        { to: message.to, subject: message.subject, text: message.text },
      ]);
    });

    test('the same idempotency key delivers once and answers the same id', async () => {
      const subject = await makeSubject();
      const first = await subject.mailer.send(message);
      const again = await subject.mailer.send(message);
      expect(again.id).toBe(first.id);
      expect(await subject.delivered()).toHaveLength(1);
    });

    test('different idempotency keys are different messages', async () => {
      const subject = await makeSubject();
      const first = await subject.mailer.send(message);
      const second = await subject.mailer.send({ ...message, idempotencyKey: 'booking:CA2:contract' });
      expect(second.id).not.toBe(first.id);
      expect(await subject.delivered()).toHaveLength(2);
    });
  });
}
