/** The phone network (Twilio REST): call control, what Twilio knows about calls, and texts. */

/**
 * What the phone network is asked to dial: numbers, TwiML and status URLs. Not the outbound use
 * case's request (`PlaceCallRequest` in `outbound/place-call.ts`), which says whom and why.
 */
export interface DialRequest {
  to: string;
  from: string;
  /** Where Twilio fetches TwiML once the call is answered. */
  url: string;
  statusCallback: string;
  machineDetection: boolean;
}

export interface CallControl {
  /** Replaces the live call's TwiML (e.g. `<Dial>` the owner). Tolerates a call that already ended. */
  redirect(callSid: string, twiml: string): Promise<void>;
  /** Hangs up. Tolerates a call that already ended. */
  hangUp(callSid: string): Promise<void>;
  placeCall(request: DialRequest): Promise<{ callSid: string }>;
}

/** One call as Twilio's REST API reports it (`GET …/Calls/{CallSid}.json`). */
export interface TwilioCall {
  callSid: string;
  /** `queued`, `ringing`, `in-progress`, or a final status (`completed`, `busy`, …). */
  status: string;
  /** Answered seconds, once the call is over. */
  durationSeconds?: number;
  from: string;
  to: string;
  direction: 'inbound' | 'outbound';
  /** Epoch ms, when Twilio knows them. */
  startedAt?: number;
  endedAt?: number;
  createdAt?: number;
}

/** What the REST API knows about calls: the source of truth when a status callback never came. */
export interface CallLookup {
  /** The call, or undefined when Twilio does not know it (404). */
  getCall(callSid: string): Promise<TwilioCall | undefined>;
  /** Calls from `from` to `to` created at or after `since` (epoch ms), newest first. */
  callsBetween(from: string, to: string, since: number): Promise<TwilioCall[]>;
  /** Calls to `to` (the business number) that started at or after `since` (epoch ms). */
  callsTo(to: string, since: number): Promise<TwilioCall[]>;
}

/** One text message (SMS) to send. */
export interface TextMessage {
  /** E.164. */
  to: string;
  body: string;
}

/** Sends texts (Twilio's Messages API). Resolves with the provider's message id once accepted. */
export interface TextSender {
  send(message: TextMessage): Promise<{ sid: string }>;
}
