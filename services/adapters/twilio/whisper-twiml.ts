// Deep import, like dial-twiml.ts: the TwiML builder alone, without the REST client.
import VoiceResponse from 'twilio/lib/twiml/VoiceResponse';

/** How long the owner has to press a key after the whisper ends. */
const ANSWER_SECONDS = 8;

/**
 * The whisper on the owner's leg (the `<Number url>` document): `message` inside a one-digit
 * `<Gather>` whose `action` gets the key; no key at all hangs the owner's leg up, so the `<Dial>`
 * ends unbridged and the caller goes back to the agent. The builder escapes `message` for XML.
 */
export function whisperTwiml(request: { message: string; gatherAction: string }): string {
  const response = new VoiceResponse();
  response
    .gather({ numDigits: 1, timeout: ANSWER_SECONDS, action: request.gatherAction, method: 'POST' })
    .say(request.message);
  response.hangup();
  return response.toString();
}

/**
 * The owner's key, answered: accepted, a short line and then nothing more (the whisper document
 * ends, and Twilio bridges the two calls); anything else hangs up the owner's leg only.
 */
export function whisperAnswerTwiml(accepted: boolean): string {
  const response = new VoiceResponse();
  if (accepted) response.say('Connecting you now.');
  else response.hangup();
  return response.toString();
}
