import {
  DEFAULT_COST_RATES,
  describeCost,
  estimateCallCost,
  sumCosts,
} from '../../services/core/after-call/call-cost.js';
import type { CallCost } from '../../services/core/after-call/cost-record.js';
import { buildDigest } from '../../services/core/after-call/daily-digest.js';
import { finaliseCall } from '../../services/core/after-call/finalise-call.js';
import { ownerCallEmail } from '../../services/core/email/owner-email.js';
import type { CallRow } from '../../services/core/ports/crm.js';
import { loadConfig } from '../../services/core/shared/config.js';
import { CALL_SID, harness, session, T0, TURNS } from '../support/after-call-scenario.js';

const MIN = 60_000;
const USAGE = {
  inputTextTokens: 2_000,
  inputAudioTokens: 10_000,
  cachedInputTokens: 3_000,
  outputTextTokens: 500,
  outputAudioTokens: 6_000,
};

describe('estimateCallCost', () => {
  it('prices ElevenLabs by the minute, OpenAI by its tokens and Twilio per started minute', () => {
    const cost = estimateCallCost(
      {
        direction: 'inbound',
        twilioSeconds: 185, // 4 started minutes
        segments: [
          { engine: 'elevenlabs', startedAt: T0, endedAt: T0 + 1.5 * MIN },
          { engine: 'openai', startedAt: T0 + 1.5 * MIN, endedAt: T0 + 3 * MIN, usage: USAGE },
        ],
      },
      DEFAULT_COST_RATES,
    );
    // OpenAI: cached tokens come out of text input first: 0 uncached text, 9000 uncached audio, 3000 cached.
    const openai = (9_000 * 32 + 3_000 * 0.4 + 500 * 16 + 6_000 * 64) / 1e6;
    expect(cost).toEqual({
      currency: 'USD',
      twilio: { minutes: 4, amount: 0.034 },
      engines: [
        { engine: 'elevenlabs', seconds: 90, amount: 0.15, pricedBy: 'minutes' },
        {
          engine: 'openai',
          seconds: 90,
          amount: Math.round(openai * 1e4) / 1e4,
          usage: USAGE,
          pricedBy: 'tokens',
        },
      ],
      total: Math.round((0.034 + 0.15 + Math.round(openai * 1e4) / 1e4) * 1e4) / 1e4,
    });
    expect(describeCost(cost)).toBe(
      `$${cost.total} (ElevenLabs 1 min 30 s $0.15; OpenAI 1 min 30 s $${cost.engines[1]?.amount}; Twilio 4 min $0.034)`,
    );
  });

  it('sums usage over segments of one engine, marks an OpenAI segment without usage unpriced, and bills an unanswered call nothing', () => {
    const twoSegments = estimateCallCost(
      {
        direction: 'outbound',
        twilioSeconds: 60,
        segments: [
          { engine: 'openai', startedAt: T0, endedAt: T0 + MIN, usage: USAGE },
          { engine: 'openai', startedAt: T0 + 2 * MIN, endedAt: T0 + 3 * MIN, usage: USAGE },
        ],
      },
      DEFAULT_COST_RATES,
    );
    expect(twoSegments.engines[0]).toMatchObject({
      seconds: 120,
      usage: { inputAudioTokens: 20_000, cachedInputTokens: 6_000 },
    });
    expect(twoSegments.twilio).toEqual({ minutes: 1, amount: 0.014 });
    const unpriced = estimateCallCost(
      {
        direction: 'inbound',
        twilioSeconds: 30,
        segments: [{ engine: 'openai', startedAt: T0, endedAt: T0 + MIN }],
      },
      DEFAULT_COST_RATES,
    );
    expect(unpriced.engines[0]).toMatchObject({ amount: 0, pricedBy: 'unpriced' });
    expect(describeCost(unpriced)).toContain('OpenAI 1 min usage not recorded');
    expect(estimateCallCost({ direction: 'inbound', segments: [] }, DEFAULT_COST_RATES).total).toBe(0);
  });

  it('takes its rates from the configuration and names a bad one', () => {
    const env = {
      PUBLIC_URL: 'https://x.example',
      TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 't',
      TWILIO_PHONE_NUMBER: '+12125550100',
    };
    const config = loadConfig({ ...env, COST_ELEVENLABS_PER_MINUTE: '0.08', COST_CURRENCY: 'EUR' });
    expect(config.costRates).toMatchObject({
      currency: 'EUR',
      elevenlabsPerMinute: 0.08,
      twilioInboundPerMinute: 0.0085,
    });
    expect(
      describeCost(
        estimateCallCost({ direction: 'inbound', twilioSeconds: 60, segments: [] }, config.costRates),
      ),
    ).toBe('€0.0085 (Twilio 1 min €0.0085)');
    expect(() => loadConfig({ ...env, COST_OPENAI_AUDIO_OUTPUT_PER_MTOK: '-1' })).toThrow(
      /COST_OPENAI_AUDIO_OUTPUT_PER_MTOK must be a price of 0 or more/,
    );
  });
});

describe('the cost reaches the call row, the owner email and the digest', () => {
  const FINAL = { callSid: CALL_SID, status: 'completed' as const, durationSeconds: 125, at: T0 + 127_000 };

  it('finalisation prices the engine segments the bridge recorded and shows cost and response time to the owner', async () => {
    const h = harness();
    h.sessions.put({
      session: session({
        status: 'ended',
        servedBy: 'openai',
        engineSegments: [
          { engine: 'elevenlabs', startedAt: T0 + 1_000, endedAt: T0 + 31_000 },
          { engine: 'openai', startedAt: T0 + 32_000, endedAt: T0 + 126_000, usage: USAGE },
        ],
        turnLatency: { turns: 6, p50Ms: 810, p90Ms: 1_340 },
      }),
      turns: TURNS,
      toolCalls: [],
    });

    await finaliseCall(h.deps, FINAL);

    const row = h.crm.calls.get(CALL_SID);
    expect(row?.cost?.engines.map((e) => [e.engine, e.seconds, e.pricedBy])).toEqual([
      ['elevenlabs', 30, 'minutes'],
      ['openai', 94, 'tokens'],
    ]);
    expect(row?.cost?.twilio).toEqual({ minutes: 3, amount: 0.0255 });
    expect(row?.turnLatency).toEqual({ turns: 6, p50Ms: 810, p90Ms: 1_340 });
    const email = h.mailer.sent[0];
    expect(email?.text).toContain(`Estimated cost: ${describeCost(row?.cost as CallCost)}`);
    expect(email?.text).toContain('Response time: p50 810 ms, p90 1.3 s over 6 turns');
    expect(email?.html).toContain('<th align="left">Estimated cost</th>');
  });

  it('a session without recorded segments is priced for the engine that served it, stream start to end', async () => {
    const h = harness();
    h.sessions.put({ session: session({ status: 'ended' }), turns: TURNS, toolCalls: [] });
    await finaliseCall(h.deps, FINAL);
    const row = h.crm.calls.get(CALL_SID);
    expect(row?.cost?.engines).toEqual([
      { engine: 'elevenlabs', seconds: 125, amount: 0.2083, pricedBy: 'minutes' },
    ]);
    expect(h.mailer.sent[0]?.text).not.toContain('Response time');
  });

  it('the digest totals the day per engine and for Twilio; an email without a cost says nothing of it', () => {
    const row = (callSid: string, cost?: CallCost): CallRow => ({
      callSid,
      direction: 'inbound',
      from: '+12125550111',
      to: '+12125550100',
      failedOver: false,
      startedAt: T0,
      durationSeconds: 60,
      outcome: 'completed',
      turns: [{ seq: 1, role: 'caller', text: 'Hi', at: T0 }],
      cost,
    });
    const a = estimateCallCost(
      {
        direction: 'inbound',
        twilioSeconds: 60,
        segments: [{ engine: 'elevenlabs', startedAt: 0, endedAt: MIN }],
      },
      DEFAULT_COST_RATES,
    );
    const b = estimateCallCost(
      {
        direction: 'inbound',
        twilioSeconds: 90,
        segments: [{ engine: 'openai', startedAt: 0, endedAt: MIN, usage: USAGE }],
      },
      DEFAULT_COST_RATES,
    );
    const total = sumCosts([a, b]);
    expect(total).toMatchObject({
      total: Math.round((a.total + b.total) * 1e4) / 1e4,
      twilio: { minutes: 3 },
    });
    const digest = buildDigest({
      to: 'owner@example.com',
      day: '2026-11-25',
      business: { name: 'Bolt', timezone: 'America/New_York' },
      calls: [row('CA1', a), row('CA2', b), row('CA3')],
      leads: [],
      appointments: [],
      stillPending: 0,
    });
    expect(digest.message.text).toContain(`  Estimated cost: ${describeCost(total as CallCost)}`);
    const noCost = ownerCallEmail('owner@example.com', {
      row: row('CA3'),
      links: {},
      business: { name: 'Bolt', timezone: 'America/New_York' },
    });
    expect(noCost.text).not.toContain('Estimated cost');
  });
});
