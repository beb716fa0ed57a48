import type { EngineRecord, EngineUse, ToolCallRecord, Turn } from '../core/call/call-session.js';
import type { CallRecording } from '../core/call/recording.js';
import { type CallSessionStore, PermanentWriteError } from '../core/ports/call-store.js';
import { forCall } from '../core/shared/logging.js';
import { COUNTED_LOG_MESSAGES } from '../core/shared/metric-names.js';

const ATTEMPTS = 5;
const FIRST_BACKOFF_MS = 100;
/** Kept writes are tried again this often at first, then less often, up to the cap. */
const BACKLOG_FIRST_RETRY_MS = 1000;
const BACKLOG_MAX_RETRY_MS = 15_000;
/** When the call is over, `flush` waits this long for kept writes before it lets the call go. */
const FLUSH_BACKLOG_LIMIT_MS = 90_000;
/** The log line of a write the store refused for good (a metric filter can count it). */
export const WRITE_SET_ASIDE_MESSAGE = COUNTED_LOG_MESSAGES.sessionWriteSetAside;

export interface SessionWriterOptions {
  /** Milliseconds; tests shorten them. */
  backlogFirstRetryMs?: number;
  flushBacklogLimitMs?: number;
  /**
   * The last `seq`s already stored for this call (a caller back from an unanswered transfer): new
   * turns and tool calls number on from them, so they add to the record instead of replacing it.
   */
  after?: { turnSeq: number; toolSeq: number };
}

interface Write {
  kind: string;
  seq?: number;
  run: () => Promise<void>;
}

/**
 * Writes one call's transcript turns and tool calls to the session store as they happen, in order,
 * off the media path. Each write is retried with backoff; a write that still fails (DynamoDB
 * throttled or unreachable for a while) is kept in a backlog and tried again on a timer, while the
 * call goes on, until it lands: nothing is dropped. The store's writes are idempotent on `seq`, so
 * a retry that actually succeeded the first time changes nothing. A write the store refuses for good
 * (`PermanentWriteError`) is set aside at once, logged and counted, so it never blocks the others.
 * `flush` waits for the backlog too
 * (bounded: a task must still stop); what is left then is logged as an error with its kinds.
 */
export class SessionWriter {
  private chain: Promise<void> = Promise.resolve();
  private turnSeq = 0;
  /**
   * The latest turn of each role, so a correction (what the caller heard of the agent's last reply)
   * rewrites the whole item. Only these are kept: a call's transcript must not grow the bridge's heap.
   */
  private readonly latest: Partial<Record<Turn['role'], Turn>> = {};
  private toolSeq = 0;
  /** Writes that failed every attempt and wait for the backlog timer. */
  private readonly backlog: Write[] = [];
  private backlogTimer: NodeJS.Timeout | undefined;
  private backlogDelayMs: number;
  private readonly backlogEmptied: Array<() => void> = [];
  /** Writes that failed every attempt at least once (they stay in the backlog until they land). */
  readonly failed: Array<{ kind: string; seq?: number; error: string }> = [];
  /**
   * Writes the store refused for good (`PermanentWriteError`): dropped from the queue so they never
   * hold the writes behind them, each logged once.
   */
  readonly setAside: Array<{ kind: string; seq?: number; error: string }> = [];
  private readonly log;

  constructor(
    private readonly store: CallSessionStore,
    private readonly callSid: string,
    private readonly now: () => number,
    private readonly options: SessionWriterOptions = {},
  ) {
    this.log = forCall(callSid);
    this.turnSeq = options.after?.turnSeq ?? 0;
    this.toolSeq = options.after?.toolSeq ?? 0;
    this.backlogDelayMs = options.backlogFirstRetryMs ?? BACKLOG_FIRST_RETRY_MS;
  }

  /** Writes a new turn; returns its `seq`, by which `rewriteTurn` corrects it. */
  turn(role: 'caller' | 'agent', text: string, options: { interrupted?: boolean } = {}): number {
    const turn: Turn = { seq: ++this.turnSeq, role, text, at: this.now() };
    if (options.interrupted) turn.interrupted = true;
    this.latest[role] = turn;
    this.enqueue({ kind: 'turn', seq: turn.seq, run: () => this.store.appendTurn(this.callSid, turn) });
    return turn.seq;
  }

  /**
   * Corrects the latest turn of its role (after the first write, in order): what the caller heard of
   * it. Any older turn is left as written.
   */
  rewriteTurn(seq: number, text: string, interrupted: boolean): void {
    const written = this.latest.agent?.seq === seq ? this.latest.agent : this.latest.caller;
    if (written?.seq !== seq) return;
    const turn: Turn = { ...written, text };
    if (interrupted) turn.interrupted = true;
    this.latest[turn.role] = turn;
    this.enqueue({ kind: 'turn', seq, run: () => this.store.replaceTurn(this.callSid, turn) });
  }

  toolCall(record: Omit<ToolCallRecord, 'seq'>): void {
    const full = { ...record, seq: ++this.toolSeq };
    this.enqueue({
      kind: 'tool call',
      seq: full.seq,
      run: () => this.store.appendToolCall(this.callSid, full),
    });
  }

  /** An engine change, with the engine use as it stands, in one write. */
  engine(record: EngineRecord): void {
    const snapshot = record.use ? { ...record, use: snapshotOf(record.use) } : { ...record };
    this.enqueue({ kind: 'engine', run: () => this.store.recordEngine(this.callSid, snapshot) });
  }

  engineUse(use: EngineUse): void {
    const snapshot = snapshotOf(use);
    this.enqueue({ kind: 'engine use', run: () => this.store.recordEngineUse(this.callSid, snapshot) });
  }

  recording(recording: CallRecording): void {
    this.enqueue({ kind: 'recording', run: () => this.store.recordRecording(this.callSid, recording) });
  }

  /** The call's end, with the engine use as it stands then, in one write. */
  ended(reason: string, use?: EngineUse): void {
    const at = this.now();
    const snapshot = use && snapshotOf(use);
    this.enqueue({ kind: 'end', run: () => this.store.markEnded(this.callSid, reason, at, snapshot) });
  }

  /** Writes kept after failing every attempt, not written yet. */
  get pending(): number {
    return this.backlog.length;
  }

  /**
   * Resolves when every write queued so far has settled and the backlog is empty, or when the
   * backlog has not emptied within the flush limit (then it is logged; the timer keeps trying).
   */
  async flush(): Promise<void> {
    await this.chain;
    if (this.backlog.length === 0) return;
    const limitMs = this.options.flushBacklogLimitMs ?? FLUSH_BACKLOG_LIMIT_MS;
    let timer: NodeJS.Timeout | undefined;
    const emptied = new Promise<boolean>((resolve) => this.backlogEmptied.push(() => resolve(true)));
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), limitMs);
    });
    const done = await Promise.race([emptied, timedOut]);
    clearTimeout(timer);
    if (!done) {
      this.log.error('Call session writes still failing when the call was let go', {
        pending: this.backlog.map((w) => ({ kind: w.kind, seq: w.seq })),
      });
    }
  }

  private enqueue(write: Write): void {
    this.chain = this.chain.then(async () => {
      // While earlier writes wait in the backlog, later ones join them, in order.
      if (this.backlog.length > 0) {
        this.backlog.push(write);
        return;
      }
      const error = await this.attempt(write);
      if (error === undefined) return;
      if (error instanceof PermanentWriteError) return this.putAside(write, error);
      this.failed.push({ kind: write.kind, seq: write.seq, error: error.message });
      this.backlog.push(write);
      this.log.error('A call session write failed after retries: kept, tried again later', {
        kind: write.kind,
        seq: write.seq,
        attempts: ATTEMPTS,
        error: error.message,
      });
      this.scheduleBacklog();
    });
  }

  /** Undefined when the write landed; the last error otherwise (at once when it is permanent). */
  private async attempt(write: Write): Promise<Error | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        await write.run();
        return undefined;
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        if (failure instanceof PermanentWriteError || attempt >= ATTEMPTS) return failure;
        await sleep(FIRST_BACKOFF_MS * 2 ** (attempt - 1));
      }
    }
  }

  private putAside(write: Write, error: PermanentWriteError): void {
    this.setAside.push({ kind: write.kind, seq: write.seq, error: error.message });
    this.log.error(WRITE_SET_ASIDE_MESSAGE, {
      kind: write.kind,
      seq: write.seq,
      setAside: this.setAside.length,
      error: error.message,
    });
  }

  private scheduleBacklog(): void {
    if (this.backlogTimer) return;
    this.backlogTimer = setTimeout(() => {
      this.backlogTimer = undefined;
      // Through the chain: kept writes go in order with new ones, never concurrently.
      this.chain = this.chain.then(() => this.retryBacklog());
    }, this.backlogDelayMs);
    this.backlogTimer.unref();
  }

  private async retryBacklog(): Promise<void> {
    while (this.backlog.length > 0) {
      const write = this.backlog[0] as Write;
      try {
        await write.run();
        this.backlog.shift();
      } catch (error) {
        if (error instanceof PermanentWriteError) {
          this.backlog.shift();
          this.putAside(write, error);
          continue;
        }
        this.backlogDelayMs = Math.min(this.backlogDelayMs * 2, BACKLOG_MAX_RETRY_MS);
        this.scheduleBacklog();
        return;
      }
    }
    this.backlogDelayMs = this.options.backlogFirstRetryMs ?? BACKLOG_FIRST_RETRY_MS;
    this.log.info('Kept call session writes are written');
    for (const resolve of this.backlogEmptied.splice(0)) resolve();
  }
}

/**
 * The engine use as it stands now: the meter goes on changing its segments after the write is
 * queued. Its fields are flat, so copying each segment (and its usage) is a full copy, at a fraction
 * of `structuredClone`'s cost on the call's setup path.
 */
function snapshotOf(use: EngineUse): EngineUse {
  return {
    ...use,
    engineSegments: use.engineSegments.map((segment) =>
      segment.usage ? { ...segment, usage: { ...segment.usage } } : { ...segment },
    ),
    ...(use.turnLatency && { turnLatency: { ...use.turnLatency } }),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
