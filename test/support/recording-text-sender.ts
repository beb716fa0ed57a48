import type { TextMessage, TextSender } from '../../services/core/ports/telephony';

/** A text sender that keeps what it sends; while `failing`, each send throws what `failure` makes. */
export class RecordingTextSender implements TextSender {
  sent: TextMessage[] = [];
  failing = false;

  constructor(private readonly failure: () => Error = () => new Error('Twilio 503')) {}

  async send(message: TextMessage): Promise<{ sid: string }> {
    if (this.failing) throw this.failure();
    this.sent.push(message);
    return { sid: `SM${this.sent.length}` };
  }
}
