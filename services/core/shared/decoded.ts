/**
 * What a wire codec makes of one inbound frame, the same shape for every codec (Twilio Media
 * Streams, ElevenLabs, OpenAI Realtime): the message, or why the frame is not one. A codec never
 * throws on input; the caller drops a frame that is not `ok` (and logs it once per call).
 */
export type Decoded<Message> = { ok: true; message: Message } | { ok: false; problem: string };

export function decoded<Message>(message: Message): Decoded<Message> {
  return { ok: true, message };
}

export function undecodable(problem: string): { ok: false; problem: string } {
  return { ok: false, problem };
}

/** The frame's JSON object, or why it is none: the first step of every codec's full parser. */
export function jsonObject(text: string): Decoded<object> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undecodable('not JSON');
  }
  if (typeof raw !== 'object' || raw === null) return undecodable('not an object');
  return decoded(raw);
}
