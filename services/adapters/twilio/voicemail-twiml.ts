// Deep import, like webhook-signature.ts: the TwiML builder alone, without the REST client.
import VoiceResponse from 'twilio/lib/twiml/VoiceResponse';

/**
 * The answering-machine branch of `POST /twilio/outbound`: say the message once, then hang up.
 * With `DetectMessageEnd` Twilio answers the webhook after the greeting's beep, so the message
 * lands on the recording rather than over the greeting.
 */
export function voicemailTwiml(message: string): string {
  const response = new VoiceResponse();
  response.say(message);
  response.hangup();
  return response.toString();
}
