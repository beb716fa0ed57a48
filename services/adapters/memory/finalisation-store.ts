import type {
  FinalisationInput,
  FinalisationState,
  FinalisationStep,
  FinalisationStore,
  PostCallAnalysis,
  PostCallAnalysisStore,
} from '../../core/ports/call-store.js';
import type { EmailMessage } from '../../core/ports/mail.js';

const STEP_ORDER: FinalisationStep[] = ['pending', 'crm-saved', 'emailed', 'done'];

/**
 * Finalisation state and post-call analyses in memory, with the semantics of
 * `DynamoFinalisationStore` (begun once, advanced one step from where it stands, the first frozen
 * email and the latest analysis kept), which the call-store contract proves.
 */
export class MemoryFinalisationStore implements FinalisationStore, PostCallAnalysisStore {
  readonly states = new Map<string, FinalisationState>();
  readonly analyses = new Map<string, PostCallAnalysis>();
  readonly pendingList = new Set<string>();
  readonly frozenEmails = new Map<string, EmailMessage>();

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

  async advance(...[callSid, from, to, now, patch = {}]: Parameters<FinalisationStore['advance']>) {
    const state = this.states.get(callSid);
    if (!state || state.step !== from) return false;
    if (STEP_ORDER.indexOf(to) <= STEP_ORDER.indexOf(from)) throw new Error(`bad step ${from} → ${to}`);
    Object.assign(
      state,
      { step: to, updatedAt: now },
      patch.summarySource ? { summarySource: patch.summarySource } : {},
    );
    if (to === 'done') this.pendingList.delete(callSid);
    return true;
  }

  async recordAttempt(callSid: string, now: number, error?: string) {
    const state = this.stateOf(callSid);
    state.attempts += 1;
    state.updatedAt = now;
    if (error === undefined) delete state.lastError;
    else state.lastError = error;
  }

  async setSummarySource(callSid: string, source: 'analysis' | 'turns', now: number) {
    const state = this.stateOf(callSid);
    state.summarySource = source;
    state.updatedAt = now;
  }

  async listPending(limit: number) {
    return [...this.pendingList].slice(0, limit);
  }

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

  private stateOf(callSid: string): FinalisationState {
    const state = this.states.get(callSid);
    if (!state) throw new Error(`no state for ${callSid}`);
    return state;
  }
}
