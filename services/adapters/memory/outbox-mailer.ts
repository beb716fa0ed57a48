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

/** Where the outbox mailer delivers: the local stack's folder, or a list in memory for tests. */
export interface Outbox {
  /** Keeps the message under `id` unless one is kept there already (the same key sent again). */
  put(id: string, message: EmailMessage, envelope: { from: string; sentAt: number }): Promise<void>;
}

/** Each message one JSON file `<id>.json` in `dir`, which is made on the first message. */
export class FolderOutbox implements Outbox {
  constructor(private readonly dir: string) {}

  async put(id: string, message: EmailMessage, envelope: { from: string; sentAt: number }): Promise<void> {
    const body: OutboxMessage = {
      to: message.to,
      from: envelope.from,
      subject: message.subject,
      text: message.text,
      ...(message.html === undefined ? {} : { html: message.html }),
      sentAt: new Date(envelope.sentAt).toISOString(),
    };
    await mkdir(this.dir, { recursive: true });
    try {
      // `wx` fails if the file exists: the idempotent "already sent" case, race-free.
      await writeFile(join(this.dir, `${id}.json`), `${JSON.stringify(body, null, 2)}\n`, { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** The messages in memory, in the order they were first sent, each as the mailer delivered it. */
export class MemoryOutbox implements Outbox {
  readonly messages: EmailMessage[] = [];
  private readonly ids = new Set<string>();

  async put(id: string, message: EmailMessage): Promise<void> {
    if (this.ids.has(id)) return;
    this.ids.add(id);
    this.messages.push(message);
  }
}

/** `dir`: the local stack's folder of JSON files (`LOCAL_OUTBOX_DIR`); `outbox`: any other outbox. */
export type OutboxMailerOptions = { from: string; now?: () => number } & (
  | { dir: string }
  | { outbox: Outbox }
);

/**
 * The mailer that stands in for Resend: each message goes to an outbox instead of a mailbox (in
 * the local stack, one JSON file in the outbox folder). A message with an idempotency key gets an
 * id derived from it, so sending it again answers the same id and delivers nothing new.
 */
export class OutboxMailer implements Mailer {
  private readonly outbox: Outbox;

  constructor(private readonly options: OutboxMailerOptions) {
    this.outbox = 'outbox' in options ? options.outbox : new FolderOutbox(options.dir);
  }

  async send(unsafe: EmailMessage): Promise<{ id: string }> {
    const message = headerSafeMessage(unsafe);
    const now = (this.options.now ?? Date.now)();
    const id = message.idempotencyKey ? keyedMessageId(message.idempotencyKey) : `${now}-${randomUUID()}`;
    await this.outbox.put(id, message, { from: headerSafe(this.options.from), sentAt: now });
    return { id };
  }

  /** Every message in the outbox folder, oldest first (the demo prints them). */
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
