/** The voice engines the product knows, and the token usage an engine reports. */

/**
 * The engines registry: every engine the product knows, in failover order (the first is the default).
 * The config enum (`VOICE_PROVIDER`), the SSM flag's allowed pattern, the provider flag's check and
 * the stored-name checks (DynamoDB items) all derive from it. Adding an engine: a key here, its
 * adapter and its builder in `services/bridge/engines.ts` (the compiler asks for it), its simulator.
 */
export const ENGINES = {
  elevenlabs: { label: 'ElevenLabs Conversational AI' },
  openai: { label: 'OpenAI Realtime' },
} as const satisfies Record<string, { label: string }>;

export type EngineName = keyof typeof ENGINES;
export const ENGINE_NAMES = Object.keys(ENGINES) as [EngineName, ...EngineName[]];
export const DEFAULT_ENGINE: EngineName = ENGINE_NAMES[0];
/** An anchored regular expression matching exactly one engine name (the SSM `allowedPattern`). */
export const ENGINE_NAME_PATTERN = `^(${ENGINE_NAMES.join('|')})$`;

export function isEngineName(value: unknown): value is EngineName {
  return typeof value === 'string' && Object.hasOwn(ENGINES, value);
}

/** The order a call tries engines in: the chosen one first, then the others in registry order. */
export function failoverOrder(chosen: EngineName): EngineName[] {
  return [chosen, ...ENGINE_NAMES.filter((name) => name !== chosen)];
}

/** Token counts of one OpenAI `response.done` (summed per engine segment on the call record). */
export interface EngineUsage {
  inputTextTokens: number;
  inputAudioTokens: number;
  cachedInputTokens: number;
  outputTextTokens: number;
  outputAudioTokens: number;
}

/** The sum of two usages, field by field (a segment's `response.done`s; a call's segments). */
export function addUsage(a: EngineUsage, b: EngineUsage): EngineUsage {
  return {
    inputTextTokens: a.inputTextTokens + b.inputTextTokens,
    inputAudioTokens: a.inputAudioTokens + b.inputAudioTokens,
    cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
    outputTextTokens: a.outputTextTokens + b.outputTextTokens,
    outputAudioTokens: a.outputAudioTokens + b.outputAudioTokens,
  };
}
