import { MemoryOutbox, OutboxMailer } from '../../services/adapters/memory/outbox-mailer.js';
import type { EmailMessage } from '../../services/core/ports/mail.js';

/**
 * The product's outbox mailer over an outbox in memory, with only what tests need beside it: the
 * messages delivered, a count of sends (refused ones included), and a switch that makes every send
 * fail as an unreachable mail service does. Delivery (once per idempotency key, the same id again)
 * stays `OutboxMailer`'s, which the mailer contract holds to Resend's.
 */
export class TestMailer extends OutboxMailer {
  sendCalls = 0;
  down = false;
  private readonly memory: MemoryOutbox;

  constructor() {
    const outbox = new MemoryOutbox();
    super({ outbox, from: 'Bolt <desk@example.com>' });
    this.memory = outbox;
  }

  /** The messages delivered, in order, each once. */
  get sent(): readonly EmailMessage[] {
    return this.memory.messages;
  }

  override async send(message: EmailMessage): Promise<{ id: string }> {
    this.sendCalls += 1;
    if (this.down) throw new Error('mail service unavailable (503)');
    return super.send(message);
  }
}
