import { type CallSession, remoteNumber } from '../core/call/call-session.js';
import { hashStreamToken } from '../core/call/stream-token.js';
import type { CallSessionStore } from '../core/ports/call-store.js';
import type { EngineCallContext } from '../core/ports/engine.js';
import type { ToolDefinition } from '../core/ports/tool-calls.js';
import type { TwilioStart } from './twilio-leg.js';

export type StreamClaim = { session: CallSession } | { refused: string };

/**
 * Whether a media stream may become a call: it must belong to our Twilio account, carry the one-time
 * token the inbound webhook minted for this very call, and that token must not have been used or
 * expired. The claim is atomic in the session store, so a replayed `start` can never open a second
 * engine session for one call.
 */
export async function claimStream(
  start: TwilioStart,
  accountSid: string,
  sessions: CallSessionStore,
  now: number,
): Promise<StreamClaim> {
  const token = start.customParameters.token;
  if (start.accountSid !== accountSid) return { refused: 'the stream belongs to another Twilio account' };
  if (!token) return { refused: 'no stream token' };
  if (start.customParameters.callSid && start.customParameters.callSid !== start.callSid) {
    return { refused: 'the token was issued for another call' };
  }
  let session: CallSession | undefined;
  try {
    session = await sessions.claimStream(start.callSid, hashStreamToken(token), start.streamSid, now);
  } catch (error) {
    return { refused: `the session store failed: ${(error as Error).message}` };
  }
  return session ? { session } : { refused: 'unknown, already used, expired or wrong stream token' };
}

/** Everything the engine is told about the call it serves, from the claimed session. */
export function engineContextFor(
  session: CallSession,
  call: {
    streamSid: string;
    business: { name: string; timezone: string };
    tools: ToolDefinition[];
    now: number;
    businessProfile: EngineCallContext['businessProfile'];
    recorded?: boolean;
  },
): EngineCallContext {
  return {
    callSid: session.callSid,
    streamSid: call.streamSid,
    direction: session.direction,
    remoteNumber: remoteNumber(session),
    businessName: call.business.name,
    businessTimezone: call.business.timezone,
    now: call.now,
    customer: session.customer,
    outboundReason: session.outboundReason,
    businessProfile: call.businessProfile,
    tools: call.tools,
    ...(call.recorded ? { recorded: true } : {}),
  };
}
