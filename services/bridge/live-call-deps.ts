import type { CallSessionStore } from '../core/ports/call-store.js';
import type { EngineStall } from '../core/ports/engine.js';
import type { BusinessProfileSource } from '../core/ports/flags.js';
import type { RecordingDestination } from '../core/ports/recordings.js';
import type { CallControl } from '../core/ports/telephony.js';
import type { ToolRunner } from '../core/ports/tool-calls.js';
import type { EngineName } from '../core/shared/engines.js';

/** Turn-taking outcomes counted per engine (metrics). */
export type TurnCount = 'bargeIn' | 'falseInterruption' | 'turnSwallowed';

/** What a live call needs from outside: configuration, the stores and engines, and the metric hooks. */
export interface LiveCallDeps {
  accountSid: string;
  business: { name: string; timezone: string };
  /** Caller speech over the agent this long is an interruption (`bargeIn: 'bridge'` engines). */
  bargeInMinMs: number;
  /** The call's length limit: a minute before it the agent is told to wrap up; at it the call ends. */
  maxCallSeconds: number;
  sessions: CallSessionStore;
  tools: ToolRunner;
  callControl?: CallControl;
  now: () => number;
  /**
   * RECORD_CALLS=on: where each call's stereo WAV goes; the agent's first words say the call is
   * recorded. Absent: no recording and no disclosure.
   */
  recordings?: RecordingDestination;
  /** The business's own knowledge, read per call (cached by the source); absent: none on file. */
  businessProfile?: BusinessProfileSource;
  /** Caller stops speaking → first agent audio sent, once per answered turn, on every engine (metrics). */
  onTurnLatency?: (ms: number, engine: EngineName) => void;
  /** Barge-ins, false interruptions and swallowed turns, per engine (metrics). */
  onTurnCount?: (count: TurnCount, engine: EngineName) => void;
  /** The serving engine froze mid-call and is being failed over (metrics: `EngineStalls`). */
  onEngineStall?: (engine: EngineName, stall: EngineStall) => void;
  /** Told which engine serves a call: at start (with a start failover) and after each mid-call switch (metrics). */
  onEngineChosen?: (event: {
    callSid: string;
    chosen: EngineName;
    servedBy?: EngineName;
    failoverReason?: string;
    failoverMs?: number;
    /** A switch after the call had started (the serving engine dropped). */
    midCall?: boolean;
  }) => void;
}
