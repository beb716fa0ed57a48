/** A call's estimated cost as it is stored (call row, session item) and read back. */
import * as z from 'zod';
import { ENGINE_NAMES } from '../shared/engines.js';

/** OpenAI `response.done` usage summed per engine segment, as stored (session item, call row). */
export const engineUsageSchema = z.object({
  inputTextTokens: z.number(),
  inputAudioTokens: z.number(),
  cachedInputTokens: z.number(),
  outputTextTokens: z.number(),
  outputAudioTokens: z.number(),
});

export const engineCostSchema = z.object({
  engine: z.enum(ENGINE_NAMES),
  /** Time this engine served the call. */
  seconds: z.number(),
  amount: z.number(),
  /** OpenAI token usage summed over its segments, when recorded. */
  usage: engineUsageSchema.optional(),
  /** Priced by `minutes` (ElevenLabs), `tokens` (OpenAI usage), or not at all (OpenAI without usage). */
  pricedBy: z.enum(['minutes', 'tokens', 'unpriced']),
});
export type EngineCost = z.infer<typeof engineCostSchema>;

/** A call's estimated cost; also the schema a stored breakdown (CRM JSON) is read back through. */
export const callCostSchema = z.object({
  currency: z.string(),
  /** Estimated total, rounded to 1/10000 of the currency unit. */
  total: z.number(),
  twilio: z.object({ minutes: z.number(), amount: z.number() }),
  engines: z.array(engineCostSchema),
});
export type CallCost = z.infer<typeof callCostSchema>;
