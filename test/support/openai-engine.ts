import {
  createOpenAiRealtimeEngine,
  type OpenAiRealtimeEngineOptions,
} from '../../services/adapters/openai-realtime/engine';
import type { VoiceEngine } from '../../services/core/ports/engine';

/** The OpenAI engine the tests start against a simulator's `url`: gpt-realtime, the marin voice, low eagerness. */
export function testOpenAiEngine(
  url: string,
  apiKey: string,
  overrides: Partial<OpenAiRealtimeEngineOptions> = {},
): VoiceEngine {
  return createOpenAiRealtimeEngine({
    url,
    apiKey,
    model: 'gpt-realtime',
    voice: 'marin',
    vadEagerness: 'low',
    ...overrides,
  });
}

/**
 * The caller's side of the session that engine configures: μ-law in, and turn detection that only
 * reports speech. The bridge decides barge-ins and when to answer (BARGE_IN_MIN_MS): the server
 * does neither.
 */
export const TELEPHONY_INPUT_TURNS = {
  format: { type: 'audio/pcmu' },
  turn_detection: {
    type: 'semantic_vad',
    eagerness: 'low',
    create_response: false,
    interrupt_response: false,
  },
} as const;

/** The agent's side: μ-law out in the marin voice. */
export const TELEPHONY_OUTPUT = { format: { type: 'audio/pcmu' }, voice: 'marin' } as const;
