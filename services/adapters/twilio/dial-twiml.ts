// Deep import: the TwiML builder alone, not the whole REST client (see docs/toolchain.md §9).
import VoiceResponse from 'twilio/lib/twiml/VoiceResponse';
import type { TransferTwimlRequest } from '../../core/tools/tool.js';
import { transferUnansweredMessage } from '../../core/tools/transfer-to-human.js';

/** How long the owner's phone rings before the caller hears `noAnswerSay`. */
const RING_SECONDS = 25;

/**
 * TwiML that hands a live call to a person: one short line, then `<Dial>` the number. With a
 * `whisperUrl`, the owner's leg runs the whisper first (who is calling, press 1 to take it) and
 * `answerOnBridge` keeps the caller hearing ringback until the owner accepts, never silence
 * (docs/protocols.md §3.7). With an `action` URL, Twilio posts how the dial ended there
 * (`DialCallStatus`, `DialBridged`) and plays what it answers; without one, the verbs after
 * `<Dial>` run when nobody answered, so the caller hears `noAnswerSay` and the call ends.
 */
export function dialTwiml(request: TransferTwimlRequest): string {
  const response = new VoiceResponse();
  response.say(request.say);
  response
    .dial({
      timeout: RING_SECONDS,
      ...(request.whisperUrl ? { answerOnBridge: true } : {}),
      ...(request.action ? { action: request.action, method: 'POST' as const } : {}),
    })
    .number(request.whisperUrl ? { url: request.whisperUrl, method: 'POST' } : {}, request.to);
  response.say(request.noAnswerSay);
  response.hangup();
  return response.toString();
}

/** What the caller hears after the transfer's `<Dial>` (the `<Dial action>` answer). */
export function transferResultTwiml(result: { answered: boolean; businessName: string }): string {
  const response = new VoiceResponse();
  if (!result.answered) {
    response.say(transferUnansweredMessage(result.businessName));
  }
  response.hangup();
  return response.toString();
}
