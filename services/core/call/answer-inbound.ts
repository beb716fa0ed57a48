/**
 * A call comes in (`POST /twilio/inbound`, after the handler has verified Twilio's signature): choose
 * the engine, decide what the agent may know about the caller, open the session with a fresh
 * one-time stream token. Beside `placeCall`, with which it shares the provider choice and the
 * bounded CRM lookup (`call-setup.ts`).
 *
 * Caller trust: `From` is whatever the calling network claims, and anyone can spoof it. Twilio
 * passes the STIR/SHAKEN verdict as `StirVerstat`; only `TN-Validation-Passed-A` (the originating
 * carrier vouches that the caller may use this number) lets the CRM's personal context (name, next
 * appointment, last call's summary) reach the engines, unless `CALLER_CONTEXT_TRUST=any`. Without
 * it the session keeps only the customer's id, so the call row still links to the record while the
 * agent treats the caller as new.
 */

import type { CallSessionStore } from '../ports/call-store.js';
import type { Crm, KnownCustomer } from '../ports/crm.js';
import type { ProviderFlag } from '../ports/flags.js';
import type { EngineName } from '../shared/engines.js';
import { forCall } from '../shared/logging.js';
import { maskPhone } from '../shared/phone.js';
import { chooseProvider, lookUpCustomer } from './call-setup.js';
import { hashStreamToken, newStreamToken } from './stream-token.js';

/** Twilio's `StirVerstat` for a fully attested caller (SHAKEN attestation level A). */
export const FULL_ATTESTATION = 'TN-Validation-Passed-A';

export type CallerContextTrust = 'attested' | 'any';

export interface AnswerInboundDeps {
  sessions: Pick<CallSessionStore, 'open'>;
  providerFlag: ProviderFlag;
  defaultProvider: EngineName;
  callerContextTrust: CallerContextTrust;
  /** Absent: every caller is treated as unknown. */
  crm?: Pick<Crm, 'findCustomerByPhone'>;
  now: () => number;
  crmLookupTimeoutMs?: number;
}

export interface InboundCall {
  callSid: string;
  /** Not necessarily E.164: a withheld number arrives as `anonymous`, a Twilio Client as `client:…`. */
  from: string;
  to: string;
  /** Twilio's STIR/SHAKEN verdict on `from`, when it gave one. */
  stirVerstat?: string;
}

export type InboundAnswer =
  /** Connect the stream with this token (put in the TwiML, never stored). */
  | { kind: 'stream'; token: string; provider: EngineName }
  /** The call already streams or ended: no token is minted (a replayed or late webhook). */
  | { kind: 'already-streaming' };

export function callerIsTrusted(trust: CallerContextTrust, stirVerstat: string | undefined): boolean {
  return trust === 'any' || stirVerstat === FULL_ATTESTATION;
}

export async function answerInboundCall(deps: AnswerInboundDeps, call: InboundCall): Promise<InboundAnswer> {
  const log = forCall(call.callSid);
  const startedAt = deps.now();
  const provider = await chooseProvider(deps.providerFlag, deps.defaultProvider, log);
  const trusted = callerIsTrusted(deps.callerContextTrust, call.stirVerstat);
  const found = await lookUpCustomer(deps.crm, call.from, startedAt, log, deps.crmLookupTimeoutMs);
  const customer: KnownCustomer | undefined = found && (trusted ? found : { id: found.id });
  const token = newStreamToken();
  const opened = await deps.sessions.open({
    callSid: call.callSid,
    direction: 'inbound',
    from: call.from,
    to: call.to,
    provider,
    customer,
    callerVerified: trusted,
    streamTokenHash: hashStreamToken(token),
    createdAt: startedAt,
  });
  if (!opened) {
    // The call already streams (or ended) on the TwiML we gave first. A second token must not
    // exist, and nothing should be said over the live conversation.
    log.warn('Inbound webhook for a call that already streams or ended: no token minted');
    return { kind: 'already-streaming' };
  }
  log.info('Inbound call answered', {
    from: maskPhone(call.from),
    to: maskPhone(call.to),
    provider,
    knownCaller: found !== undefined,
    callerAttested: call.stirVerstat === FULL_ATTESTATION,
    personalContext: found !== undefined && trusted,
  });
  return { kind: 'stream', token, provider };
}
