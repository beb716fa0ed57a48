/** Outgoing email (Resend). */

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Same key, same message: the mailer sends it once. */
  idempotencyKey?: string;
}

export interface Mailer {
  send(message: EmailMessage): Promise<{ id: string }>;
}
