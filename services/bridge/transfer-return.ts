import type { CallRecord, CallSession } from '../core/call/call-session.js';
import type { CallSessionStore } from '../core/ports/call-store.js';
import type { Handover } from '../core/ports/engine.js';

/** What a stream that takes a caller back from an unanswered transfer starts from. */
export interface TransferReturn {
  /** The conversation so far, for the engine: it says the owner is unavailable and takes a message. */
  handover: Handover;
  /** The last turn and tool-call `seq` stored: the call's writer numbers on from them. */
  after: { turnSeq: number; toolSeq: number };
}

/**
 * For a session reopened by `/twilio/dial-result` (`transferReturnedAt`): the record written before
 * the transfer, as a handover. Undefined for every other stream. Throws when the record cannot be
 * read: the engine must not start blind and renumber over what is stored.
 */
export async function transferReturnFor(
  session: CallSession,
  sessions: Pick<CallSessionStore, 'get'>,
): Promise<TransferReturn | undefined> {
  if (session.transferReturnedAt === undefined) return undefined;
  const record = await sessions.get(session.callSid);
  if (!record) throw new Error('the call record is gone');
  return { handover: handoverOf(record, session), after: lastSeqs(record) };
}

function handoverOf(record: CallRecord, session: CallSession): Handover {
  return {
    kind: 'transfer-unanswered',
    from: session.servedBy ?? session.provider,
    reason: `transfer ${session.transferStatus ?? 'unanswered'}`,
    turns: [...record.turns].sort((a, b) => a.seq - b.seq).map(({ role, text }) => ({ role, text })),
    toolResults: [...record.toolCalls]
      .sort((a, b) => a.seq - b.seq)
      .map((call) => ({ name: call.name, args: call.args, result: call.result.text })),
  };
}

function lastSeqs(record: CallRecord): { turnSeq: number; toolSeq: number } {
  const last = (items: Array<{ seq: number }>) => items.reduce((max, item) => Math.max(max, item.seq), 0);
  return { turnSeq: last(record.turns), toolSeq: last(record.toolCalls) };
}
