import type { CallSessionStore, EngineUse, ToolCallRecord, Turn } from '../core/call-session.js';
import { forCall } from '../core/logging.js';
import type { EngineName } from '../core/voice-engine.js';

const ATTEMPTS = 5;
const FIRST_BACKOFF_MS = 100;

/**
 * Writes one call's transcript turns and tool calls to the session store as they happen, in order,
 * off the media path. Each write is retried with backoff; a write that still fails is logged as an
 * error and kept in `failed` (never silently lost). The store's writes are idempotent on `seq`, so a
 * retry that actually succeeded the first time changes nothing.
 */
export class SessionWriter {
  private chain: Promise<void> = Promise.resolve();
  private turnSeq = 0;
  /** The turns written so far, so a correction rewrites the whole item. */
  private readonly turns = new Map<number, Turn>();
  private toolSeq = 0;
  readonly failed: Array<{ kind: string; seq?: number; error: string }> = [];
  private readonly log;

  constructor(
    private readonly store: CallSessionStore,
    private readonly callSid: string,
    private readonly now: () => number,
  ) {
    this.log = forCall(callSid);
  }

  /** Writes a new turn; returns its `seq`, by which `rewriteTurn` corrects it. */
  turn(role: 'caller' | 'agent', text: string, options: { interrupted?: boolean } = {}): number {
    const turn: Turn = { seq: ++this.turnSeq, role, text, at: this.now() };
    if (options.interrupted) turn.interrupted = true;
    this.turns.set(turn.seq, turn);
    this.enqueue('turn', turn.seq, () => this.store.appendTurn(this.callSid, turn));
    return turn.seq;
  }

  /** Corrects a turn already written (after the first write, in order): what the caller heard of it. */
  rewriteTurn(seq: number, text: string, interrupted: boolean): void {
    const written = this.turns.get(seq);
    if (!written) return;
    const turn: Turn = { ...written, text };
    if (interrupted) turn.interrupted = true;
    this.turns.set(seq, turn);
    this.enqueue('turn', seq, () => this.store.replaceTurn(this.callSid, turn));
  }

  toolCall(record: Omit<ToolCallRecord, 'seq'>): void {
    const full = { ...record, seq: ++this.toolSeq };
    this.enqueue('tool call', full.seq, () => this.store.appendToolCall(this.callSid, full));
  }

  engine(servedBy: EngineName, failoverReason?: string, conversationId?: string): void {
    this.enqueue('engine', undefined, () =>
      this.store.recordEngine(this.callSid, servedBy, failoverReason, conversationId),
    );
  }

  engineUse(use: EngineUse): void {
    const snapshot = structuredClone(use);
    this.enqueue('engine use', undefined, () => this.store.recordEngineUse(this.callSid, snapshot));
  }

  ended(reason: string): void {
    const at = this.now();
    this.enqueue('end', undefined, () => this.store.markEnded(this.callSid, reason, at));
  }

  /** Resolves when every write queued so far has settled. */
  flush(): Promise<void> {
    return this.chain;
  }

  private enqueue(kind: string, seq: number | undefined, write: () => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await write();
          return;
        } catch (error) {
          if (attempt >= ATTEMPTS) {
            const message = (error as Error).message;
            this.failed.push({ kind, seq, error: message });
            this.log.error('A call session write failed after retries', {
              kind,
              seq,
              attempts: attempt,
              error: message,
            });
            return;
          }
          await sleep(FIRST_BACKOFF_MS * 2 ** (attempt - 1));
        }
      }
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
