import { createElevenLabsEngine } from '../adapters/elevenlabs/engine.js';
import { createOpenAiRealtimeEngine } from '../adapters/openai-realtime/engine.js';
import type { VoiceEngine } from '../core/ports/engine.js';
import type { Config } from '../core/shared/config.js';
import { type EngineName, failoverOrder } from '../core/shared/engines.js';
import { FallbackEngine, type FallbackEngineOptions } from './fallback-engine.js';

export type Engines = Partial<Record<EngineName, VoiceEngine>>;

/** The engines this configuration can reach; a call fails over only to an engine listed here. */
export function buildEngines(config: Config): Engines {
  const engines: Engines = {};
  if (config.elevenlabs) {
    engines.elevenlabs = createElevenLabsEngine({
      apiKey: config.elevenlabs.apiKey,
      agentId: config.elevenlabs.agentId,
      apiUrl: config.elevenlabsApiUrl,
    });
  }
  if (config.openai) {
    engines.openai = createOpenAiRealtimeEngine({
      url: config.openaiRealtimeUrl,
      apiKey: config.openai.apiKey,
      model: config.openaiRealtimeModel,
      voice: config.openaiVoice,
      vadEagerness: config.openaiVadEagerness,
    });
  }
  return engines;
}

/** The engine for a call whose chosen engine is given; undefined when no engine is configured. */
export type EngineSelection = (chosen: EngineName) => VoiceEngine | undefined;

/**
 * Each call's engine: the chosen one, else the others in registry order, as one failover composite
 * that also fails over mid-call.
 */
export function failoverSelection(engines: Engines, options: FallbackEngineOptions): EngineSelection {
  return (chosen) => {
    const [first, ...rest] = failoverOrder(chosen)
      .map((name) => engines[name])
      .filter((engine): engine is VoiceEngine => engine !== undefined);
    return first ? new FallbackEngine([first, ...rest], options) : undefined;
  };
}
