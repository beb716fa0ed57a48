// Deep import: the TwiML builder alone, not the whole REST client (see docs/toolchain.md §9).
import VoiceResponse from 'twilio/lib/twiml/VoiceResponse';
import type { TransferTwimlRequest } from '../../core/tools/tool.js';

/** How long the owner's phone rings before the caller hears `noAnswerSay`. */
const RING_SECONDS = 25;

/**
 * TwiML that hands a live call to a person: one short line, then `<Dial>` the number. Twilio runs
 * the verbs after `<Dial>` only when nobody answered (or the person hung up), so the caller hears
 * `noAnswerSay` and the call ends instead of falling back into silence.
 */
export function dialTwiml(request: TransferTwimlRequest): string {
  const response = new VoiceResponse();
  response.say(request.say);
  response.dial({ timeout: RING_SECONDS }).number(request.to);
  response.say(request.noAnswerSay);
  response.hangup();
  return response.toString();
}
