import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { headerSafe, headerSafeMessage } from '../../core/email/email-headers.js';
import type { EmailMessage, Mailer } from '../../core/ports/mail.js';

/** One file of the outbox, as DESIGN §3 (`LOCAL_OUTBOX_DIR`) describes it. */
export interface OutboxMessage {
  to: string;
  from: string;
  subject: string;
  text: string;
  html?: string;
  /** ISO 8601. */
  sentAt: string;
}

/**
 * The local stack's mailer: each message becomes one JSON file in the outbox directory instead of
 * an email. A message with an idempotency key gets a file name derived from it, so sending it
 * again finds the file and writes nothing.
 */
export class OutboxMailer implements Mailer {
  constructor(private readonly options: { dir: string; from: string; now?: () => number }) {}

  async send(unsafe: EmailMessage): Promise<{ id: string }> {
    const message = headerSafeMessage(unsafe);
    const now = (this.options.now ?? Date.now)();
    const id = message.idempotencyKey ? keyedMessageId(message.idempotencyKey) : `${now}-${randomUUID()}`;
    const file = join(this.options.dir, `${id}.json`);
    const body: OutboxMessage = {
      to: message.to,
      from: headerSafe(this.options.from),
      subject: message.subject,
      text: message.text,
      ...(message.html === undefined ? {} : { html: message.html }),
      sentAt: new Date(now).toISOString(),
    };
    await mkdir(this.options.dir, { recursive: true });
    try {
      // `wx` fails if the file exists: the idempotent "already sent" case, race-free.
      await writeFile(file, `${JSON.stringify(body, null, 2)}\n`, { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    return { id };
  }

  /** Every message in the outbox, oldest first (the demo prints them). */
  static async read(dir: string): Promise<OutboxMessage[]> {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => n.endsWith('.json'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const messages = await Promise.all(
      names.map(async (n) => JSON.parse(await readFile(join(dir, n), 'utf8')) as OutboxMessage),
    );
    return messages.sort((a, b) => a.sentAt.localeCompare(b.sentAt));
  }
}

/** The outbox file id of a message sent with an idempotency key. */
function keyedMessageId(idempotencyKey: string): string {
  return `key-${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}`;
}

/** The message sent with this idempotency key (e.g. a call's owner email), if it is in the outbox. */
export async function outboxMessageByKey(
  dir: string,
  idempotencyKey: string,
): Promise<OutboxMessage | undefined> {
  try {
    const text = await readFile(join(dir, `${keyedMessageId(idempotencyKey)}.json`), 'utf8');
    return JSON.parse(text) as OutboxMessage;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
