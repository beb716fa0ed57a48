import { Resend } from 'resend';
import { headerSafe, headerSafeMessage } from '../../core/email/email-headers.js';
import type { EmailMessage, Mailer } from '../../core/ports/mail.js';

export interface ResendMailerOptions {
  apiKey: string;
  /** `EMAIL_FROM`, e.g. `Bolt Voice <receptionist@example.com>` (a domain verified in Resend). */
  from: string;
  /** `RESEND_API_URL`: base URL of the API (default `https://api.resend.com`), for stand-ins. */
  baseUrl?: string;
  /** Attempts in all, including the first (default 3). */
  maxAttempts?: number;
  /** First backoff; doubles each retry unless the answer says `retry-after` (default 500). */
  baseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** A send that failed for good; `status` is Resend's HTTP status when there was an answer. */
export class EmailSendError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
    this.name = 'EmailSendError';
  }
}

const MAX_RETRY_AFTER_MS = 10_000;

/**
 * Email through Resend. The SDK answers `{ data, error }` instead of throwing; rate limits (429),
 * server errors and network failures (no status) are retried with backoff, and the idempotency
 * key makes a retry that Resend had in fact accepted send nothing twice.
 */
export class ResendMailer implements Mailer {
  private readonly resend: Resend;

  constructor(private readonly options: ResendMailerOptions) {
    this.resend = new Resend(options.apiKey, options.baseUrl ? { baseUrl: options.baseUrl } : undefined);
  }

  async send(unsafe: EmailMessage): Promise<{ id: string }> {
    const message = headerSafeMessage(unsafe);
    const from = headerSafe(this.options.from);
    const maxAttempts = this.options.maxAttempts ?? 3;
    const baseDelayMs = this.options.baseDelayMs ?? 500;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    for (let attempt = 1; ; attempt++) {
      let status: number | undefined;
      let code: string | undefined;
      let reason: string;
      let retryAfterMs: number | undefined;
      try {
        const { data, error, headers } = await this.resend.emails.send(
          {
            from,
            to: message.to,
            subject: message.subject,
            text: message.text,
            ...(message.html === undefined ? {} : { html: message.html }),
          },
          message.idempotencyKey ? { idempotencyKey: message.idempotencyKey } : undefined,
        );
        if (data) return { id: data.id };
        status = error?.statusCode ?? undefined;
        code = error?.name;
        reason = error ? `${error.name}: ${error.message}` : 'no data and no error';
        retryAfterMs = retryAfter(headers?.['retry-after']);
      } catch (error) {
        reason = (error as Error).message; // the SDK throws only on aborts and such: retry like a network error
      }
      // A 409 `concurrent_idempotent_requests` means another request with this key is still being
      // processed: wait and ask again (it then answers that request's result). Any other 409
      // (`invalid_idempotent_request`: same key, different content) is final.
      const concurrent = status === 409 && code === 'concurrent_idempotent_requests';
      const transient = status === undefined || status === 429 || status >= 500 || concurrent;
      if (!transient || attempt >= maxAttempts) {
        throw new EmailSendError(`Resend refused the email after ${attempt} attempt(s): ${reason}`, status);
      }
      await sleep(Math.min(retryAfterMs ?? baseDelayMs * 2 ** (attempt - 1), MAX_RETRY_AFTER_MS));
    }
  }
}

function retryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
