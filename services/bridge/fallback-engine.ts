import {
  type EngineCallContext,
  type EngineCapabilities,
  type EngineChange,
  type EngineEndReason,
  type EngineListener,
  type EngineSession,
  EngineStartError,
  type Handover,
  isEngineStall,
  type VoiceEngine,
} from '../core/ports/engine.js';
import type { ToolResult } from '../core/ports/tool-calls.js';
import { base64ByteLength, ULAW_BYTES_PER_MS } from '../core/shared/audio.js';
import type { EngineName } from '../core/shared/engines.js';
import { forCall, type Log } from '../core/shared/logging.js';
import { attemptSignal } from '../core/shared/timeout.js';
import { CallerAudioQueue } from './caller-audio-queue.js';
import { wordsHeard } from './heard-transcript.js';

/**
 * A member socket with more than this queued unsent cannot keep up with the call's audio (about
 * 40 s of caller frames). Below the bridge's own 1 MiB socket limit, so the member is replaced
 * before the call would be ended for it.
 */
export const MAX_ENGINE_BUFFERED_BYTES = 512 * 1024;

export interface FallbackEngineOptions {
  /** Bound on each member's start, at call start and on a mid-call switch (ENGINE_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs: number;
  now: () => number;
  /** Default: the call's own logger (its `callSid` from the context). */
  log?: Log;
  /**
   * A serving member whose socket holds more than this many bytes unsent (checked on each caller
   * frame) is failed over as `engine-stalled` (`backpressure`) instead of the call ending. Default
   * MAX_ENGINE_BUFFERED_BYTES (512 KiB).
   */
  maxBufferedBytes?: number;
}

/**
 * Several engines as one engine, in order (LiveKit's `FallbackAdapter` is the model): `start` tries
 * each member within the connect bound until one is ready; when the serving member drops mid-call
 * (anything but its normal close: also an adapter's `engine-stalled`, or a socket that stopped
 * draining), the next member that has not failed on this call takes over with the conversation so
 * far (turns as the caller heard them, what the tools did) and opens with a bridging line.
 * `switching` tells the bridge to play the hold prompt meanwhile. Caller audio sent during the switch
 * is queued and delivered in order before the new member speaks; once it has spoken, the gap's audio
 * is dropped, never replayed after its opening line. The bridge sees one engine session; each
 * member's `engineChanged` reaches it with why the composite switched (a member that does not send
 * one is named for it once its start resolves), and `ended` comes only when the conversation is
 * really over or no member is left. Its own name and capabilities are its first member's.
 */
export class FallbackEngine implements VoiceEngine {
  readonly name: EngineName;
  readonly capabilities: EngineCapabilities;

  constructor(
    private readonly members: readonly [VoiceEngine, ...VoiceEngine[]],
    private readonly options: FallbackEngineOptions,
  ) {
    this.name = members[0].name;
    this.capabilities = members[0].capabilities;
  }

  async start(
    context: EngineCallContext,
    listener: EngineListener,
    signal: AbortSignal,
  ): Promise<EngineSession> {
    const session = new FallbackSession(this.members, this.options, context, listener, signal);
    await session.connectFirst();
    return session;
  }
}

/** Why no member could serve: `name: reason; name: reason`. */
export class NoEngineError extends Error {
  constructor(readonly failures: string) {
    super(failures || 'no engine configured');
    this.name = 'NoEngineError';
  }
}

/** Why the composite switched to a member, told with its `engineChanged`. */
type Introduction = Pick<EngineChange, 'startFailures' | 'previous'>;

interface Current {
  engine: VoiceEngine;
  /** Set once its start resolved; until then it is connecting (caller audio is queued). */
  session?: EngineSession;
  introduction: Introduction;
  /** It has sent agent audio (the opening line of a member taking over, at the least). */
  spoke?: boolean;
  /**
   * `engineChanged` has named it (the member itself, or the composite once its start resolved).
   * Audio it sends before is kept until then: the bridge sets up its playback for an engine when
   * it is named.
   */
  announced?: boolean;
  early: Array<[payload: string, itemId: string | undefined]>;
}

/** A turn as the caller heard it; `itemId` ties an agent turn to its audio (for a barge-in cut). */
interface HeardTurn {
  role: 'caller' | 'agent';
  text: string;
  itemId?: string;
}

class FallbackSession implements EngineSession {
  private readonly log: Log;
  private current: Current | undefined;
  /** Members that failed on this call are not tried again (they are "unavailable"). */
  private readonly failed = new Set<EngineName>();
  private closed = false;
  private readonly turns: HeardTurn[] = [];
  /** μ-law bytes of each agent item the serving member sent (a cut's share is of these). */
  private readonly itemBytes = new Map<string, number>();
  /** Items cut by a barge-in before their transcript arrived: the share of their audio heard. */
  private readonly cuts = new Map<string, number>();
  private readonly toolResults: Handover['toolResults'] = [];
  /** Results of tools a dropped engine asked for, finished while no engine was ready. */
  private readonly lateToolNotes: string[] = [];
  private readonly toolCalls = new Map<string, { name: string; args: unknown; member: Current }>();
  /** Caller audio sent while no member is ready (a mid-call switch). */
  private readonly queued = new CallerAudioQueue(() =>
    this.log.warn('Caller audio queue is full while an engine connects; oldest audio dropped'),
  );

  constructor(
    private readonly members: readonly VoiceEngine[],
    private readonly options: FallbackEngineOptions,
    private readonly context: EngineCallContext,
    private readonly listener: EngineListener,
    private readonly signal: AbortSignal,
  ) {
    this.log = options.log ?? forCall(context.callSid);
  }

  /** Call start: the first member that becomes ready serves; rejects with `NoEngineError` otherwise. */
  async connectFirst(): Promise<void> {
    const failures = await this.connectNext(this.context, (failed) => ({
      startFailures: failed.length > 0 ? failed.join('; ') : undefined,
    }));
    if (!this.current) throw new NoEngineError(failures.join('; '));
    this.announce(this.current);
  }

  /**
   * The bridge learns which member serves (its own `engineChanged`, or one made for it), and why the
   * composite switched; what the member said before goes out after, in order.
   */
  private announce(member: Current, own?: EngineChange): void {
    if (member.announced || this.closed || this.signal.aborted) return;
    member.announced = true;
    this.listener.engineChanged({
      engine: member.engine.name,
      capabilities: member.engine.capabilities,
      conversationId: member.session?.conversationId,
      ...own,
      // Timed by the composite's clock, like the switch it follows.
      at: this.options.now(),
      ...member.introduction,
    });
    for (const [payload, itemId] of member.early.splice(0)) this.listener.audio(payload, itemId);
  }

  /**
   * Tries the members not yet failed, in order; sets `current` on the first that starts.
   * `introduce` says why this member serves, from the failures of this round so far.
   */
  private async connectNext(
    context: EngineCallContext,
    introduce: (failures: string[]) => Introduction,
  ): Promise<string[]> {
    const failures: string[] = [];
    for (const engine of this.members) {
      if (this.failed.has(engine.name)) continue;
      if (this.signal.aborted || this.closed) break;
      const attempt = attemptSignal(this.options.connectTimeoutMs, this.signal);
      // Current before `start` resolves: an engine may speak in the same packet as its "ready".
      const candidate: Current = { engine, introduction: introduce(failures), early: [] };
      this.current = candidate;
      try {
        const session = await engine
          .start(context, this.memberListener(candidate), attempt.signal)
          .finally(attempt.done);
        if (this.closed || this.signal.aborted) {
          session.close();
          this.current = undefined;
          break;
        }
        candidate.session = session;
        return failures;
      } catch (error) {
        this.current = undefined;
        this.failed.add(engine.name);
        const reason = error instanceof EngineStartError ? error.reason : (error as Error).message;
        failures.push(`${engine.name}: ${reason}`);
        this.log.error('Engine could not start', { engine: engine.name, error: reason });
      }
    }
    this.current = undefined;
    return failures;
  }

  /** Forwards a member's events while it serves; keeps the conversation for a hand-over. */
  private memberListener(member: Current): EngineListener {
    const serving = () => this.current === member && !this.closed;
    const outer = this.listener;
    return {
      audio: (payload, itemId) => {
        if (!serving()) return;
        member.spoke = true;
        if (itemId !== undefined) {
          this.itemBytes.set(itemId, (this.itemBytes.get(itemId) ?? 0) + base64ByteLength(payload));
        }
        if (member.announced) outer.audio(payload, itemId);
        else member.early.push([payload, itemId]);
      },
      interruption: () => {
        if (serving()) outer.interruption();
      },
      callerSpeechStarted: () => {
        if (serving()) outer.callerSpeechStarted();
      },
      callerTurnEnded: () => {
        if (serving()) outer.callerTurnEnded();
      },
      transcript: (role, text, details) => {
        if (!serving()) return;
        this.remember(role, text, details?.replacesLast === true, details?.itemId);
        outer.transcript(role, text, details);
      },
      toolCall: (call) => {
        if (!serving()) return;
        this.toolCalls.set(call.callId, { name: call.name, args: call.args, member });
        outer.toolCall(call);
      },
      usage: (usage) => {
        // Counted on the serving member's segment; a dropped member's session is closed and sends no more.
        if (serving()) outer.usage(usage);
      },
      engineChanged: (change) => {
        if (serving()) this.announce(member, change);
      },
      // A member is one engine: it never switches.
      switching: () => {},
      ended: (reason) => {
        if (!serving()) return;
        if (isNormalEnd(reason)) {
          outer.ended(reason);
          return;
        }
        void this.failOver(member, reason);
      },
    };
  }

  /**
   * The transcript as the caller heard it, for the next engine: a correction replaces the last agent
   * turn, and an agent turn cut by a barge-in keeps the share of its words the caller heard.
   */
  private remember(role: 'caller' | 'agent', text: string, replacesLast: boolean, itemId?: string): void {
    if (replacesLast) {
      for (let i = this.turns.length - 1; i >= 0; i--) {
        if (this.turns[i]!.role === 'agent') {
          this.turns[i] = { role, text };
          return;
        }
      }
    }
    const share = itemId === undefined ? undefined : this.cuts.get(itemId);
    if (share === undefined) {
      this.turns.push({ role, text, itemId });
      return;
    }
    this.cuts.delete(itemId!);
    const heard = wordsHeard(text, share);
    if (heard) this.turns.push({ role, text: heard });
  }

  /** A barge-in cut `itemId` after `audioEndMs` of it: its turn keeps what the caller heard. */
  private rememberCut(itemId: string, audioEndMs: number): void {
    const deliveredMs = (this.itemBytes.get(itemId) ?? 0) / ULAW_BYTES_PER_MS;
    const share = deliveredMs > 0 ? Math.min(1, Math.max(0, audioEndMs) / deliveredMs) : 0;
    const index = this.turns.findLastIndex((turn) => turn.itemId === itemId);
    if (index < 0) {
      this.cuts.set(itemId, share);
      return;
    }
    const heard = wordsHeard(this.turns[index]!.text, share);
    if (heard) this.turns[index] = { role: 'agent', text: heard };
    else this.turns.splice(index, 1);
  }

  /** Mid-call: the serving member dropped. The next one takes over, or the call has no engine left. */
  private async failOver(dropped: Current, why: EngineEndReason): Promise<void> {
    const droppedAt = this.options.now();
    const reason = describe(why);
    const stall = isEngineStall(why) ? why.stall : undefined;
    this.failed.add(dropped.engine.name);
    this.current = undefined;
    dropped.session?.close();
    this.itemBytes.clear();
    this.cuts.clear();
    this.log.warn('The serving engine dropped mid-call; failing over', {
      engine: dropped.engine.name,
      reason,
      ...(stall ? { stall } : {}),
    });
    this.listener.switching?.({ from: dropped.engine.name, reason, stall, at: droppedAt });
    const handover: Handover = {
      from: dropped.engine.name,
      reason,
      turns: this.turns.map(({ role, text }) => ({ role, text })),
      toolResults: [...this.toolResults],
    };
    const previous = { engine: dropped.engine.name, reason, droppedAt, ...(stall ? { stall } : {}) };
    const failures = await this.connectNext({ ...this.context, now: droppedAt, handover }, () => ({
      previous,
    }));
    if (this.closed) return;
    const next = this.current as Current | undefined;
    if (!next) {
      this.queued.clear();
      const detail = [`${dropped.engine.name}: ${reason}`, ...failures].join('; ');
      this.listener.ended({ kind: 'engine-error', detail: `no engine left: ${detail}` });
      return;
    }
    this.announce(next);
    for (const note of this.lateToolNotes.splice(0)) next.session?.instruct(note);
    // The gap's audio goes before the new member speaks. Once it has (its opening line can arrive
    // with its "ready"), the caller is answering that line: the old audio would be heard as a new
    // turn after it, so it is dropped.
    if (next.spoke) this.queued.clear();
    else for (const payload of this.queued.drain()) next.session?.sendCallerAudio(payload);
  }

  // ---------- EngineSession: to the member serving now, or queued while none does ----------

  sendCallerAudio(payload: string): boolean {
    const member = this.current;
    const session = this.readySession();
    if (member && session) {
      const buffered = session.bufferedAmount();
      const limit = this.options.maxBufferedBytes ?? MAX_ENGINE_BUFFERED_BYTES;
      if (buffered > limit) {
        // Its socket stopped draining: a frozen engine, replaced like one that dropped.
        void this.failOver(member, {
          kind: 'engine-stalled',
          stall: 'backpressure',
          detail: `${buffered} bytes unsent to it (limit ${limit})`,
        });
      } else if (session.sendCallerAudio(payload)) {
        return true;
      }
    }
    // No member ready, or one whose socket is already closing (its drop is on the way): keep the audio.
    if (this.closed) return false;
    this.queued.push(payload);
    return true;
  }

  sendToolResult(callId: string, result: ToolResult): void {
    const call = this.toolCalls.get(callId);
    if (!call) return;
    this.toolCalls.delete(callId);
    this.toolResults.push({ name: call.name, args: call.args, result: result.text });
    if (this.current === call.member) {
      this.readySession()?.sendToolResult(callId, result);
      return;
    }
    // The engine that asked has dropped: its successor learns what the tool did, as context
    // (now, or once it is ready).
    const note = `A tool called before the line dropped has finished: ${call.name}(${JSON.stringify(call.args)}): ${result.text}`;
    const ready = this.readySession();
    if (ready) ready.instruct(note);
    else this.lateToolNotes.push(note);
  }

  truncate(itemId: string, audioEndMs: number): void {
    const session = this.readySession();
    if (!session) return;
    this.rememberCut(itemId, audioEndMs);
    session.truncate(itemId, audioEndMs);
  }

  cancelResponse(): void {
    this.readySession()?.cancelResponse();
  }

  respond(): void {
    this.readySession()?.respond();
  }

  sendKeypress(digit: string): void {
    this.readySession()?.sendKeypress(digit);
  }

  instruct(text: string): void {
    this.readySession()?.instruct(text);
  }

  /** The serving member's; the composite itself fails a member over past `maxBufferedBytes`. */
  bufferedAmount(): number {
    return this.readySession()?.bufferedAmount() ?? 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queued.clear();
    this.current?.session?.close();
  }

  get conversationId(): string | undefined {
    return this.current?.session?.conversationId;
  }

  /** The serving member's session once it is ready (undefined while switching). */
  private readySession(): EngineSession | undefined {
    if (this.closed) return undefined;
    return this.current?.session;
  }
}

/** A member's normal close after the agent's goodbye; anything else is a drop. */
function isNormalEnd(reason: EngineEndReason): boolean {
  return reason.kind === 'engine-closed' && reason.code === 1000;
}

/**
 * The reason recorded as `failoverReason` after the engine's name. Stable prefixes: `engine-closed
 * (<code>…)`, `engine-error: …`, `engine-stalled (<keepalive|response|backpressure>): …`.
 */
function describe(reason: EngineEndReason): string {
  switch (reason.kind) {
    case 'engine-closed':
      return `engine-closed (${reason.code}${reason.detail ? `: ${reason.detail}` : ''})`;
    case 'engine-error':
      return `engine-error: ${reason.detail}`;
    case 'engine-stalled':
      return `engine-stalled (${reason.stall}): ${reason.detail}`;
  }
}
