import type { TextMessage, TextSender } from '../../core/ports/telephony.js';
import { type TwilioCallControlOptions, twilioAccount } from './call-control.js';

export interface TwilioTextsOptions extends TwilioCallControlOptions {
  /** `SMS_FROM` (default the business number); ignored when a Messaging Service sends. */
  from: string;
  /** `SMS_MESSAGING_SERVICE_SID`: Twilio picks the sender from the service (A2P 10DLC campaigns). */
  messagingServiceSid?: string;
}

/**
 * Texts through Twilio's Messages API, with the same account and client as call control. STOP and
 * HELP replies are Twilio's own (Advanced Opt-Out): a number that opted out answers error 21610.
 */
export class TwilioTexts implements TextSender {
  private readonly account: ReturnType<typeof twilioAccount>;

  constructor(private readonly options: TwilioTextsOptions) {
    this.account = twilioAccount(options);
  }

  async send(message: TextMessage): Promise<{ sid: string }> {
    const sender = this.options.messagingServiceSid
      ? { messagingServiceSid: this.options.messagingServiceSid }
      : { from: this.options.from };
    const sent = await this.account.messages.create({ to: message.to, body: message.body, ...sender });
    return { sid: sent.sid };
  }
}
