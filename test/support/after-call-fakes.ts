/**
 * Small in-memory implementations of the ports the after-call use cases need, with the same
 * semantics as the real adapters (conditional steps, idempotent keys), and switches to make a
 * dependency fail. The DynamoDB adapters have their own tests against dynalite.
 */

import type { DigestCounts } from '../../services/core/after-call/digest-counts.js';
import type { CallRecord, CallSession, NewCallSession } from '../../services/core/call/call-session.js';
import { OUTBOUND_LEASE_MS } from '../../services/core/outbound/place-call.js';
import type {
  CallSessionStore,
  DigestMarkers,
  FinalisationInput,
  FinalisationState,
  FinalisationStep,
  FinalisationStore,
  OutboundRequest,
  OutboundRequestStore,
  PostCallAnalysis,
  PostCallAnalysisStore,
} from '../../services/core/ports/call-store.js';
import type { EmailMessage, Mailer } from '../../services/core/ports/mail.js';
import type { CallbackScheduler, OneTimeSchedule } from '../../services/core/ports/scheduler.js';
import type {
  CallControl,
  CallLookup,
  DialRequest,
  TwilioCall,
} from '../../services/core/ports/telephony.js';

export class MemorySessions
  implements Pick<CallSessionStore, 'get' | 'open' | 'markEnded' | 'markFinalising' | 'markFinalised'>
{
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

  put(record: { session: CallSession } & Partial<CallRecord>): void {
    this.records.set(record.session.callSid, { turns: [], toolCalls: [], ...record });
  }
}

const ORDER: FinalisationStep[] = ['pending', 'crm-saved', 'emailed', 'done'];

export class MemoryFinalisationStore implements FinalisationStore, PostCallAnalysisStore {
  readonly states = new Map<string, FinalisationState>();
  readonly analyses = new Map<string, PostCallAnalysis>();
  readonly pendingList = new Set<string>();

  async begin(input: FinalisationInput, now: number) {
    const existing = this.states.get(input.callSid);
    if (existing) return { state: { ...existing }, created: false };
    const state: FinalisationState = { ...input, step: 'pending', attempts: 0, updatedAt: now };
    this.states.set(input.callSid, state);
    this.pendingList.add(input.callSid);
    return { state: { ...state }, created: true };
  }

  async get(callSid: string) {
    const state = this.states.get(callSid);
    return state ? { ...state } : undefined;
  }

  async advance(
    callSid: string,
    from: FinalisationStep,
    to: FinalisationStep,
    now: number,
    patch: { summarySource?: 'analysis' | 'turns' } = {},
  ) {
    const state = this.states.get(callSid);
    if (!state || state.step !== from) return false;
    if (ORDER.indexOf(to) <= ORDER.indexOf(from)) throw new Error(`bad step ${from} → ${to}`);
    Object.assign(
      state,
      { step: to, updatedAt: now },
      patch.summarySource ? { summarySource: patch.summarySource } : {},
    );
    if (to === 'done') this.pendingList.delete(callSid);
    return true;
  }

  async recordAttempt(callSid: string, now: number, error?: string) {
    const state = this.states.get(callSid);
    if (!state) throw new Error(`no state for ${callSid}`);
    state.attempts += 1;
    state.updatedAt = now;
    if (error === undefined) delete state.lastError;
    else state.lastError = error;
  }

  async setSummarySource(callSid: string, source: 'analysis' | 'turns', now: number) {
    const state = this.states.get(callSid);
    if (!state) throw new Error(`no state for ${callSid}`);
    state.summarySource = source;
    state.updatedAt = now;
  }

  async listPending(limit: number) {
    return [...this.pendingList].slice(0, limit);
  }

  readonly frozenEmails = new Map<string, EmailMessage>();

  async freezeEmail(callSid: string, message: EmailMessage) {
    if (!this.frozenEmails.has(callSid)) this.frozenEmails.set(callSid, structuredClone(message));
    return structuredClone(this.frozenEmails.get(callSid) as EmailMessage);
  }

  async saveAnalysis(analysis: PostCallAnalysis) {
    const existing = this.analyses.get(analysis.callSid);
    if (existing && existing.eventAt >= analysis.eventAt) return { stored: false };
    this.analyses.set(analysis.callSid, structuredClone(analysis));
    return { stored: true };
  }

  async getAnalysis(callSid: string) {
    const a = this.analyses.get(callSid);
    return a ? structuredClone(a) : undefined;
  }
}

export class MemoryDigestMarkers implements DigestMarkers {
  readonly markers = new Map<
    string,
    {
      status: 'claimed' | 'failed' | 'sent';
      claimedAt: number;
      sentAt?: number;
      frozen?: { message: EmailMessage; counts: DigestCounts };
    }
  >();

  async claim(day: string, now: number, staleAfterMs: number) {
    const m = this.markers.get(day);
    if (m && !(m.status === 'failed' || (m.status === 'claimed' && m.claimedAt < now - staleAfterMs)))
      return { claimed: false };
    this.markers.set(day, { ...m, status: 'claimed', claimedAt: now });
    return { claimed: true, ...structuredClone(m?.frozen) };
  }

  async freeze(day: string, message: EmailMessage, counts: DigestCounts) {
    const m = this.markers.get(day);
    if (!m) throw new Error(`no marker ${day}`);
    m.frozen ??= structuredClone({ message, counts });
    return structuredClone(m.frozen);
  }

  async markSent(day: string, now: number) {
    const m = this.markers.get(day);
    if (m) Object.assign(m, { status: 'sent', sentAt: now });
  }

  async sentAt(day: string) {
    return this.markers.get(day)?.sentAt;
  }

  async release(day: string) {
    const m = this.markers.get(day);
    if (m?.status === 'claimed') m.status = 'failed';
  }
}

export class MemoryOutboundRequests implements OutboundRequestStore {
  readonly requests = new Map<string, OutboundRequest>();

  async create(request: Omit<OutboundRequest, 'status' | 'leaseUntil'>) {
    const existing = this.requests.get(request.idempotencyKey);
    if (existing && existing.status !== 'failed') return { created: false, request: { ...existing } };
    const stored: OutboundRequest = {
      ...request,
      status: 'placing',
      leaseUntil: request.createdAt + OUTBOUND_LEASE_MS,
    };
    this.requests.set(request.idempotencyKey, stored);
    return { created: true, request: { ...stored } };
  }

  async get(key: string) {
    const r = this.requests.get(key);
    return r ? { ...r } : undefined;
  }

  async takeOver(key: string, now: number, leaseUntil: number) {
    const r = this.requests.get(key);
    if (r?.status !== 'placing' || (r.leaseUntil ?? 0) >= now) return false;
    r.leaseUntil = leaseUntil;
    return true;
  }

  async markPlaced(key: string, callSid: string) {
    const r = this.requests.get(key);
    if (!r) throw new Error(`no request ${key}`);
    Object.assign(r, { status: 'placed', callSid });
    delete r.error;
    delete r.leaseUntil;
  }

  async markFailed(key: string, error: string) {
    const r = this.requests.get(key);
    if (!r) throw new Error(`no request ${key}`);
    Object.assign(r, { status: 'failed', error });
  }
}

/** Sends once per idempotency key, as the mailer port promises; can be switched off. */
export class FakeMailer implements Mailer {
  readonly sent: EmailMessage[] = [];
  down = false;
  sendCalls = 0;

  async send(message: EmailMessage) {
    this.sendCalls += 1;
    if (this.down) throw new Error('mail service unavailable (503)');
    const index = message.idempotencyKey
      ? this.sent.findIndex((m) => m.idempotencyKey === message.idempotencyKey)
      : -1;
    if (index < 0) this.sent.push(message);
    return { id: `msg-${index < 0 ? this.sent.length : index + 1}` };
  }
}

/** Places calls (records them) and answers what Twilio knows about the calls placed. */
export class FakeCallControl implements Pick<CallControl, 'placeCall'>, Pick<CallLookup, 'callsBetween'> {
  readonly placed: DialRequest[] = [];
  /** The calls Twilio has, as its REST API would list them. */
  readonly twilioCalls: TwilioCall[] = [];
  failWith?: Error;
  private next = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async placeCall(request: DialRequest) {
    if (this.failWith) throw this.failWith;
    this.placed.push(request);
    this.next += 1;
    const callSid = `CA${String(this.next).padStart(32, '0')}`;
    this.twilioCalls.push({
      callSid,
      status: 'queued',
      from: request.from,
      to: request.to,
      direction: 'outbound',
      createdAt: this.now(),
    });
    return { callSid };
  }

  async callsBetween(from: string, to: string, since: number) {
    return this.twilioCalls
      .filter((c) => c.from === from && c.to === to && (c.createdAt ?? 0) >= since)
      .reverse();
  }
}

export class FakeScheduler implements CallbackScheduler {
  readonly schedules = new Map<string, OneTimeSchedule>();

  async scheduleOnce(schedule: OneTimeSchedule) {
    if (this.schedules.has(schedule.name)) return { created: false };
    this.schedules.set(schedule.name, structuredClone(schedule));
    return { created: true };
  }
}
