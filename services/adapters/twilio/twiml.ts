// Deep import, like webhook-signature.ts: the TwiML builder alone, without the REST client.
import VoiceResponse from 'twilio/lib/twiml/VoiceResponse';

export interface ConnectStreamOptions {
  /** The `wss://` URL of the bridge; Twilio strips query strings, so data goes in `parameters`. */
  streamUrl: string;
  /** Arrive at the bridge as `start.customParameters`. */
  parameters: Record<string, string>;
}

/** `<Response><Connect><Stream url><Parameter name value/>…</Stream></Connect></Response>`. */
export function connectStreamTwiml(options: ConnectStreamOptions): string {
  const response = new VoiceResponse();
  const stream = response.connect().stream({ url: options.streamUrl });
  for (const [name, value] of Object.entries(options.parameters)) stream.parameter({ name, value });
  return response.toString();
}

/** A response that does nothing further on the call: Twilio hangs up when it runs out of TwiML. */
export function emptyTwiml(): string {
  return new VoiceResponse().toString();
}
