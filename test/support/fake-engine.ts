import {
  type EngineCallContext,
  type EngineListener,
  type EngineSession,
  EngineStartError,
  type VoiceEngine,
} from '../../services/core/ports/engine.js';
import type { EngineName } from '../../services/core/shared/engines.js';

/** What one started session of a fake engine was sent, and the bridge's listener to act as the engine. */
export interface FakeEngineSession {
  listener: EngineListener;
  context: EngineCallContext;
  /** Caller audio payloads, as sent. */
  audio: string[];
  /** Call ids of the tool results sent. */
  results: string[];
  /** Texts sent with `instruct`. */
  notes: string[];
  truncations: Array<[itemId: string, audioEndMs: number]>;
  /** What `bufferedAmount` reports: a test sets it to act as a socket that cannot keep up. */
  buffered: number;
  closed: boolean;
}

export interface FakeEngineOptions {
  /** Refuse to start, with this reason. */
  fail?: string;
  /** Send this agent audio before `start` resolves (an opening line in the same packet as "ready"). */
  speaksAtReady?: string;
}

/**
 * The one voice-engine double: it turns nothing into speech, it records. A test acts as the engine
 * through a session's `listener` (audio, transcripts, tool calls) and reads what the bridge sent it.
 */
export function fakeEngine(name: EngineName = 'elevenlabs', options: FakeEngineOptions = {}) {
  const sessions: FakeEngineSession[] = [];
  const engine: VoiceEngine = {
    name,
    capabilities: {
      turnDetection: 'engine',
      bargeIn: 'engine',
      truncateOnBargeIn: false,
      toolProtocol: 'client-tool',
    },
    async start(context, listener) {
      if (options.fail) throw new EngineStartError(name, options.fail);
      const state: FakeEngineSession = {
        listener,
        context,
        audio: [],
        results: [],
        notes: [],
        truncations: [],
        buffered: 0,
        closed: false,
      };
      sessions.push(state);
      const session: EngineSession = {
        sendCallerAudio: (payload) => state.audio.push(payload) > 0,
        sendToolResult: (callId) => state.results.push(callId),
        truncate: (itemId, audioEndMs) => state.truncations.push([itemId, audioEndMs]),
        cancelResponse: () => {},
        respond: () => {},
        sendKeypress: () => {},
        instruct: (text) => state.notes.push(text),
        bufferedAmount: () => state.buffered,
        close: () => {
          state.closed = true;
        },
      };
      if (options.speaksAtReady) listener.audio(options.speaksAtReady, 'opening');
      return session;
    },
  };
  return {
    engine,
    /** Every session started, in order. */
    sessions,
    /** The session started for this call, if one was. */
    sessionOf: (callSid: string) => sessions.find((s) => s.context.callSid === callSid),
  };
}

export type FakeEngine = ReturnType<typeof fakeEngine>;
