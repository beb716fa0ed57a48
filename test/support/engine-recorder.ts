import type { EngineEndReason, EngineListener } from '../../services/core/ports/engine';
import type { EngineUsage } from '../../services/core/shared/engines';

/** An engine listener that records every event, for adapter tests. */
export interface Recorder {
  listener: EngineListener;
  audio: Array<{ payload: string; itemId?: string }>;
  interruptions: number;
  speechStarts: number;
  usage: EngineUsage[];
  /** Turns with their details flattened in (`itemId`, `interrupted`, `replacesLast`). */
  transcripts: Array<{ role: 'caller' | 'agent'; text: string; [detail: string]: unknown }>;
  toolCalls: Array<{ callId: string; name: string; args: unknown }>;
  ended: EngineEndReason[];
}

export function recorder(): Recorder {
  const r: Recorder = {
    audio: [],
    interruptions: 0,
    speechStarts: 0,
    usage: [],
    transcripts: [],
    toolCalls: [],
    ended: [],
    listener: {
      audio: (payload, itemId) => r.audio.push(itemId === undefined ? { payload } : { payload, itemId }),
      callerTurnEnded: () => {},
      interruption: () => {
        r.interruptions++;
      },
      callerSpeechStarted: () => {
        r.speechStarts++;
      },
      usage: (usage) => r.usage.push(usage),
      engineChanged: () => {},
      transcript: (role, text, details) => r.transcripts.push({ role, text, ...details }),
      toolCall: (call) => r.toolCalls.push(call),
      ended: (reason) => r.ended.push(reason),
    },
  };
  return r;
}
