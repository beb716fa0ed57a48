/**
 * What a call cost, estimated: the one place that prices calls. Engine time and usage (from the
 * call session's `engineSegments`, written by the bridge) and Twilio minutes are priced with rates
 * from the configuration (`COST_*`, defaults are list prices in USD), for the call row, the owner
 * email and the digest totals. An estimate, not a bill: vendors' plans, discounts and taxes differ.
 */
import * as z from 'zod';
import type { CallDirection, CallSession, EngineSegment, EngineUsage } from '../call/call-session.js';
import { addUsage, type EngineName } from '../shared/engines.js';
import { formatDuration } from './call-report.js';
import type { CallCost, EngineCost } from './cost-record.js';

export interface CostRates {
  /** ISO 4217 code all rates are in. */
  currency: string;
  /** Twilio Programmable Voice, per started minute (Twilio rounds each call up to the minute). */
  twilioInboundPerMinute: number;
  twilioOutboundPerMinute: number;
  /** ElevenLabs Conversational AI, per minute of conversation. */
  elevenlabsPerMinute: number;
  /** OpenAI Realtime, per million tokens of `response.done` usage. */
  openaiTextInputPerMTok: number;
  openaiAudioInputPerMTok: number;
  openaiCachedInputPerMTok: number;
  openaiTextOutputPerMTok: number;
  openaiAudioOutputPerMTok: number;
}

const rate = z.coerce.number().min(0, 'must be a price of 0 or more').max(1_000_000);

/**
 * The environment names of the rates, merged into the configuration schema (`shared/config.ts`). Defaults:
 * Twilio US local numbers, ElevenLabs' Creator/Pro per-minute price, OpenAI `gpt-realtime`.
 */
export const costRateEnvShape = {
  COST_CURRENCY: z
    .string()
    .trim()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD')
    .default('USD'),
  COST_TWILIO_INBOUND_PER_MINUTE: rate.default(0.0085),
  COST_TWILIO_OUTBOUND_PER_MINUTE: rate.default(0.014),
  COST_ELEVENLABS_PER_MINUTE: rate.default(0.1),
  COST_OPENAI_TEXT_INPUT_PER_MTOK: rate.default(4),
  COST_OPENAI_AUDIO_INPUT_PER_MTOK: rate.default(32),
  COST_OPENAI_CACHED_INPUT_PER_MTOK: rate.default(0.4),
  COST_OPENAI_TEXT_OUTPUT_PER_MTOK: rate.default(16),
  COST_OPENAI_AUDIO_OUTPUT_PER_MTOK: rate.default(64),
};

type CostRateEnv = { [K in keyof typeof costRateEnvShape]: z.output<(typeof costRateEnvShape)[K]> };

export function costRatesFromEnv(e: CostRateEnv): CostRates {
  return {
    currency: e.COST_CURRENCY,
    twilioInboundPerMinute: e.COST_TWILIO_INBOUND_PER_MINUTE,
    twilioOutboundPerMinute: e.COST_TWILIO_OUTBOUND_PER_MINUTE,
    elevenlabsPerMinute: e.COST_ELEVENLABS_PER_MINUTE,
    openaiTextInputPerMTok: e.COST_OPENAI_TEXT_INPUT_PER_MTOK,
    openaiAudioInputPerMTok: e.COST_OPENAI_AUDIO_INPUT_PER_MTOK,
    openaiCachedInputPerMTok: e.COST_OPENAI_CACHED_INPUT_PER_MTOK,
    openaiTextOutputPerMTok: e.COST_OPENAI_TEXT_OUTPUT_PER_MTOK,
    openaiAudioOutputPerMTok: e.COST_OPENAI_AUDIO_OUTPUT_PER_MTOK,
  };
}

/** The defaults, for callers that have no configuration at hand (tests, tools). */
export const DEFAULT_COST_RATES: CostRates = costRatesFromEnv(z.object(costRateEnvShape).parse({}));

export interface CostInput {
  direction: CallDirection;
  /** Twilio's billed duration (its `CallDuration`); absent or 0: not answered, nothing billed. */
  twilioSeconds?: number;
  segments: EngineSegment[];
}

/**
 * The engine segments of a finished call: as the bridge recorded them, or, for a session written
 * before the bridge recorded segments, the one engine that served it from stream start to end.
 */
export function engineSegmentsOf(session: CallSession, endedAt: number): EngineSegment[] {
  if (session.engineSegments) return session.engineSegments;
  if (!session.servedBy || session.streamingAt === undefined) return [];
  return [{ engine: session.servedBy, startedAt: session.streamingAt, endedAt }];
}

const round4 = (n: number) => Math.round(n * 10_000) / 10_000;

/** Prices one call. Pure: the same input and rates give the same estimate. */
export function estimateCallCost(input: CostInput, rates: CostRates): CallCost {
  const twilioMinutes = Math.ceil(Math.max(0, input.twilioSeconds ?? 0) / 60);
  const twilioRate =
    input.direction === 'inbound' ? rates.twilioInboundPerMinute : rates.twilioOutboundPerMinute;
  const twilio = { minutes: twilioMinutes, amount: round4(twilioMinutes * twilioRate) };

  const byEngine = new Map<EngineName, EngineSegment[]>();
  for (const segment of input.segments)
    byEngine.set(segment.engine, [...(byEngine.get(segment.engine) ?? []), segment]);
  const engines = [...byEngine.entries()].map(([engine, segments]) => engineCost(engine, segments, rates));
  const total = round4(twilio.amount + engines.reduce((sum, e) => sum + e.amount, 0));
  return { currency: rates.currency, total, twilio, engines };
}

function engineCost(engine: EngineName, segments: EngineSegment[], rates: CostRates): EngineCost {
  const seconds = segments.reduce((sum, s) => sum + Math.max(0, s.endedAt - s.startedAt) / 1000, 0);
  if (engine === 'elevenlabs')
    return {
      engine,
      seconds,
      amount: round4((seconds / 60) * rates.elevenlabsPerMinute),
      pricedBy: 'minutes',
    };
  const measured = segments.filter((s) => s.usage !== undefined);
  if (measured.length === 0) return { engine, seconds, amount: 0, pricedBy: 'unpriced' };
  const usage = measured.reduce<EngineUsage>((sum, s) => addUsage(sum, s.usage as EngineUsage), ZERO_USAGE);
  return { engine, seconds, amount: round4(openaiTokenCost(usage, rates)), usage, pricedBy: 'tokens' };
}

const ZERO_USAGE: EngineUsage = {
  inputTextTokens: 0,
  inputAudioTokens: 0,
  cachedInputTokens: 0,
  outputTextTokens: 0,
  outputAudioTokens: 0,
};

/**
 * OpenAI reports cached tokens as part of the input counts without saying how many were text and
 * how many audio; they are taken out of the text input first (the cheaper kind), so the estimate
 * errs high rather than low.
 */
function openaiTokenCost(u: EngineUsage, rates: CostRates): number {
  const cachedFromText = Math.min(u.cachedInputTokens, u.inputTextTokens);
  const cachedFromAudio = Math.min(u.cachedInputTokens - cachedFromText, u.inputAudioTokens);
  const perToken = (perMTok: number) => perMTok / 1_000_000;
  return (
    (u.inputTextTokens - cachedFromText) * perToken(rates.openaiTextInputPerMTok) +
    (u.inputAudioTokens - cachedFromAudio) * perToken(rates.openaiAudioInputPerMTok) +
    (cachedFromText + cachedFromAudio) * perToken(rates.openaiCachedInputPerMTok) +
    u.outputTextTokens * perToken(rates.openaiTextOutputPerMTok) +
    u.outputAudioTokens * perToken(rates.openaiAudioOutputPerMTok)
  );
}

const ENGINE_LABELS: Record<EngineName, string> = { elevenlabs: 'ElevenLabs', openai: 'OpenAI' };

/** `$0.0412`, `€1.20`: two decimals, up to four for amounts under one unit. */
export function formatMoney(amount: number, currency: string): string {
  return new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency,
    minimumFractionDigits: 2,
    maximumFractionDigits: Math.abs(amount) < 1 ? 4 : 2,
  }).format(amount);
}

/** One line for an owner: `$0.2790 (ElevenLabs 2.5 min $0.25; Twilio 3 min $0.0255)`. */
export function describeCost(cost: CallCost): string {
  const parts = cost.engines.map((e) => {
    const amount = e.pricedBy === 'unpriced' ? 'usage not recorded' : formatMoney(e.amount, cost.currency);
    return `${ENGINE_LABELS[e.engine]} ${formatDuration(e.seconds)} ${amount}`;
  });
  parts.push(`Twilio ${cost.twilio.minutes} min ${formatMoney(cost.twilio.amount, cost.currency)}`);
  return `${formatMoney(cost.total, cost.currency)} (${parts.join('; ')})`;
}

/** Totals over many calls (the digest): per engine and Twilio, in the calls' currency. */
export function sumCosts(costs: CallCost[]): CallCost | undefined {
  if (costs.length === 0) return undefined;
  const currency = costs[0]?.currency ?? 'USD';
  const same = costs.filter((c) => c.currency === currency);
  const engines = new Map<EngineName, EngineCost>();
  for (const cost of same) {
    for (const e of cost.engines) {
      const prev = engines.get(e.engine);
      engines.set(e.engine, {
        engine: e.engine,
        seconds: (prev?.seconds ?? 0) + e.seconds,
        amount: round4((prev?.amount ?? 0) + e.amount),
        pricedBy: prev && prev.pricedBy !== e.pricedBy ? 'tokens' : e.pricedBy,
      });
    }
  }
  return {
    currency,
    total: round4(same.reduce((sum, c) => sum + c.total, 0)),
    twilio: {
      minutes: same.reduce((sum, c) => sum + c.twilio.minutes, 0),
      amount: round4(same.reduce((sum, c) => sum + c.twilio.amount, 0)),
    },
    engines: [...engines.values()],
  };
}
