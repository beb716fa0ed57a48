import { createElevenLabsEngine } from '../adapters/elevenlabs/engine.js';
import { createOpenAiRealtimeEngine } from '../adapters/openai-realtime/engine.js';
import type { VoiceEngine } from '../core/ports/engine.js';
import type { Config } from '../core/shared/config.js';
import type { EngineName } from '../core/shared/engines.js';

/** The engines this configuration can reach; a call fails over only to an engine listed here. */
export function buildEngines(config: Config): Partial<Record<EngineName, VoiceEngine>> {
  const engines: Partial<Record<EngineName, VoiceEngine>> = {};
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
