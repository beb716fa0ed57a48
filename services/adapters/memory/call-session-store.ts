import type { CallRecord, CallSession, NewCallSession } from '../../core/call/call-session.js';
import type { CallSessionStore } from '../../core/ports/call-store.js';

/** The part of the session store the after-call and outbound use cases drive: the call's lifecycle. */
export type CallLifecycleStore = Pick<
  CallSessionStore,
  'get' | 'open' | 'markEnded' | 'markFinalising' | 'markFinalised'
>;

/**
 * The call sessions in memory, with the lifecycle of `DynamoCallSessionStore` (each step taken
 * only from the states its conditional write allows; the call-store contract holds both to it).
 * The live-call writes (stream claim, turns, engine use) stay with the DynamoDB store on dynalite.
 */
export class MemoryCallSessionStore implements CallLifecycleStore {
  /** The stored calls by callSid: a test reads or edits them as a later writer would. */
  readonly records = new Map<string, CallRecord>();

  async get(callSid: string): Promise<CallRecord | undefined> {
    const record = this.records.get(callSid);
    return record ? structuredClone(record) : undefined;
  }

  async open(session: NewCallSession): Promise<boolean> {
    const existing = this.records.get(session.callSid);
    if (!existing) {
      this.records.set(session.callSid, {
        session: { ...session, status: 'created' },
        turns: [],
        toolCalls: [],
      });
      return true;
    }
    if (existing.session.status !== 'created') return false;
    existing.session.streamTokenHash = session.streamTokenHash;
    if (session.customer) existing.session.customer = session.customer;
    return true;
  }

  async markEnded(callSid: string, reason: string, at: number): Promise<void> {
    const s = this.records.get(callSid)?.session;
    if (s?.status === 'finalising' && s.endReason === undefined) {
      s.endReason = reason;
      s.endedAt = at;
    }
    if (!s || (s.status !== 'created' && s.status !== 'streaming')) return;
    s.status = 'ended';
    s.endReason = reason;
    s.endedAt = at;
  }

  async markFinalising(callSid: string): Promise<void> {
    const s = this.records.get(callSid)?.session;
    if (s && s.status !== 'finalising' && s.status !== 'finalised') s.status = 'finalising';
  }

  async markFinalised(callSid: string, at: number): Promise<void> {
    const s = this.records.get(callSid)?.session;
    if (!s || s.status === 'finalised') return;
    s.status = 'finalised';
    s.finalisedAt = at;
    s.endedAt ??= at;
    s.endReason ??= 'call-finished';
  }

  /** Stores a call as the bridge would have left it (its turns and tool calls, if any). */
  put(record: { session: CallSession } & Partial<CallRecord>): void {
    this.records.set(record.session.callSid, { turns: [], toolCalls: [], ...record });
  }
}
