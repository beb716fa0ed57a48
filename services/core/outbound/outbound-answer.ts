/**
 * `POST /twilio/outbound`: the call we placed was answered. A person gets the agent (the stream
 * TwiML with a fresh one-time token, as for inbound calls); an answering machine gets a short
 * voicemail with the business name and the number to call back, then the call hangs up.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
import type { NewCallSession } from '../call/call-session.js';
import { hashStreamToken, newStreamToken } from '../call/stream-token.js';
import type { CallSessionStore, OutboundRequestStore } from '../ports/call-store.js';
import { forCall } from '../shared/logging.js';
import { outboundSession } from './place-call.js';

/**
 * Twilio's `AnsweredBy` with answering-machine detection: `human`, `unknown` (treated as a person:
 * better the agent says hello to a machine than a voicemail to a person), `machine_start`,
 * `machine_end_beep`, `machine_end_silence`, `machine_end_other`, `fax`.
 */
export type Answerer = 'human' | 'machine';

const MACHINE_ANSWERS = new Set([
  'machine_start',
  'machine_end_beep',
  'machine_end_silence',
  'machine_end_other',
  'fax',
]);

export function classifyAnsweredBy(answeredBy: string | undefined): Answerer {
  return answeredBy !== undefined && MACHINE_ANSWERS.has(answeredBy) ? 'machine' : 'human';
}

/** TwiML builders, given by the handler so the core stays free of the twilio SDK. */
export interface OutboundTwiml {
  /** `<Connect><Stream>` to the bridge with the token and callSid as parameters. */
  stream(parameters: { token: string; callSid: string }): string;
  /** `<Say>` the message, then `<Hangup/>`. */
  voicemail(message: string): string;
  /** A Response that does nothing further (the call ends). */
  empty(): string;
}

export interface AnswerOutboundDeps {
  sessions: Pick<CallSessionStore, 'get' | 'open' | 'markEnded'>;
  requests: Pick<OutboundRequestStore, 'get'>;
  twiml: OutboundTwiml;
  business: { name: string; number: string };
  now: () => number;
}

export interface AnswerOutboundInput {
  callSid: string;
  answeredBy?: string;
  /** The `requestId` query parameter of the TwiML URL: the idempotency key of the request. */
  requestId?: string;
}

export type AnswerOutcome = 'stream' | 'voicemail' | 'unknown-call' | 'already-streaming';

export async function answerOutboundCall(
  deps: AnswerOutboundDeps,
  input: AnswerOutboundInput,
): Promise<{ outcome: AnswerOutcome; twiml: string }> {
  const log = forCall(input.callSid);
  const answerer = classifyAnsweredBy(input.answeredBy);
  const base = await sessionBase(deps, input);
  if (!base) {
    log.warn('Outbound TwiML requested for a call we did not place', { requestId: input.requestId });
    return { outcome: 'unknown-call', twiml: deps.twiml.empty() };
  }

  if (answerer === 'machine') {
    // Make sure the session exists so finalisation sees the call, and record why it ended: the
    // owner email says "voicemail left" instead of "no one spoke".
    await deps.sessions.open(base);
    await deps.sessions.markEnded(input.callSid, 'voicemail', deps.now());
    log.info('Outbound call reached a machine: leaving a voicemail', { answeredBy: input.answeredBy });
    return { outcome: 'voicemail', twiml: deps.twiml.voicemail(voicemailMessage(deps.business)) };
  }

  const token = newStreamToken();
  const opened = await deps.sessions.open({
    ...base,
    streamTokenHash: hashStreamToken(token),
    // The token lives from this answer, not from when the call was placed.
    streamTokenIssuedAt: deps.now(),
  });
  if (!opened) {
    log.warn('Outbound TwiML requested again for a call that already streams or ended');
    return { outcome: 'already-streaming', twiml: deps.twiml.empty() };
  }
  log.info('Outbound call answered by a person: connecting the agent', {
    answeredBy: input.answeredBy ?? 'n/a',
  });
  return { outcome: 'stream', twiml: deps.twiml.stream({ token, callSid: input.callSid }) };
}

/** The session as stored, or as the request record describes it if our own write has not landed. */
async function sessionBase(
  deps: AnswerOutboundDeps,
  input: AnswerOutboundInput,
): Promise<NewCallSession | undefined> {
  const record = await deps.sessions.get(input.callSid);
  if (record) {
    if (record.session.direction !== 'outbound') return undefined;
    const s = record.session;
    return {
      callSid: s.callSid,
      direction: s.direction,
      from: s.from,
      to: s.to,
      provider: s.provider,
      customer: s.customer,
      streamTokenHash: s.streamTokenHash,
      outboundReason: s.outboundReason,
      outboundRequestId: s.outboundRequestId,
      createdAt: s.createdAt,
    };
  }
  if (!input.requestId) return undefined;
  const request = await deps.requests.get(input.requestId);
  // The request must be the one that placed this call (or one whose callSid we never recorded).
  if (!request || (request.callSid !== undefined && request.callSid !== input.callSid)) return undefined;
  return outboundSession(request, input.callSid, hashStreamToken(newStreamToken()));
}

/** Short, and nothing private: anyone may play back a voicemail. */
export function voicemailMessage(business: { name: string; number: string }): string {
  const parsed = parsePhoneNumberFromString(business.number);
  const number = parsed?.isValid() ? parsed.formatNational() : business.number;
  return `Hello, this is ${business.name}. Sorry we missed you. Please call us back at ${number}. Thank you, goodbye.`;
}
