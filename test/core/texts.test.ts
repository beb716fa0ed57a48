import type { SentText } from '../../services/core/call/call-session.js';
import { logger } from '../../services/core/shared/logging.js';
import { owesTextBack } from '../../services/core/texts/missed-call-text.js';
import { sendText, type TextDeps } from '../../services/core/texts/texts.js';
import { InProcessUsageCounter, TOOL_LIMITS } from '../../services/core/tools/tool-usage.js';
import { RecordingTextSender } from '../support/recording-text-sender.js';

const NOW = Date.parse('2026-11-25T15:10:00Z');
const CALLER = '+12025550143';

function deps(overrides: Partial<TextDeps> = {}) {
  const sender = new RecordingTextSender(() => new Error('Twilio 500'));
  const kept: Array<[string, SentText]> = [];
  const all: TextDeps = {
    sender,
    enabled: true,
    allowedCountries: ['US', 'CA'],
    usage: new InProcessUsageCounter(() => NOW),
    timezone: 'America/New_York',
    now: () => NOW,
    log: { appendText: async (callSid, text) => void kept.push([callSid, text]) },
    ...overrides,
  };
  return { deps: all, sender, kept };
}

const request = (n: number, to = CALLER) => ({
  kind: 'booking-confirmation' as const,
  callSid: `CA${String(n).padStart(32, '0')}`,
  callerNumber: CALLER,
  to,
  body: 'Bolt Plumbing: your appointment is booked.',
  operation: `op-${n}`,
});

describe('sendText', () => {
  it('sends, and keeps the text with its call', async () => {
    const { deps: d, sender, kept } = deps();
    const outcome = await sendText(d, request(1), logger);
    expect(outcome).toEqual({
      sent: { kind: 'booking-confirmation', to: CALLER, body: request(1).body, sid: 'SM1', at: NOW },
    });
    expect(sender.sent).toEqual([{ to: CALLER, body: request(1).body }]);
    expect(kept.map(([sid]) => sid)).toEqual([request(1).callSid]);
  });

  it.each([
    ['outside OUTBOUND_ALLOWED_COUNTRIES', '+447911123456', 'country-not-allowed'],
    ['premium-rate', '+19005550123', 'premium-rate'],
    ['not E.164', '2025550143', 'invalid-number'],
  ])('refuses a number %s and sends nothing', async (_, to, refused) => {
    const { deps: d, sender, kept } = deps();
    expect(await sendText(d, request(1, to), logger)).toEqual({ refused });
    expect(sender.sent).toEqual([]);
    expect(kept).toEqual([]);
  });

  it('sends nothing when texts are off (SMS_ENABLED=false)', async () => {
    const { deps: d, sender } = deps({ enabled: false });
    expect(await sendText(d, request(1), logger)).toEqual({ refused: 'disabled' });
    expect(sender.sent).toEqual([]);
  });

  it('counts every text against the caller’s daily limit: over it, a refusal and nothing sent', async () => {
    const { deps: d, sender } = deps();
    const perDay = TOOL_LIMITS.text.perCallerPerDay;
    // Each on its own call and to its own recipient, so only the caller's daily limit binds.
    for (let n = 1; n <= perDay; n++) {
      expect('sent' in (await sendText(d, request(n, `+1202555014${n}`), logger))).toBe(true);
    }
    expect(await sendText(d, request(99, '+12025550149'), logger)).toEqual({ refused: 'per-caller-per-day' });
    expect(sender.sent).toHaveLength(perDay);
  });

  it('a retry of the same text is not counted twice', async () => {
    const { deps: d } = deps({
      limits: { ...TOOL_LIMITS, text: { perCall: 1, perCallerPerDay: 1, perDay: 1 } },
    });
    expect('sent' in (await sendText(d, request(1), logger))).toBe(true);
    expect('sent' in (await sendText(d, request(1), logger))).toBe(true);
    expect(await sendText(d, { ...request(1), operation: 'another' }, logger)).toEqual({
      refused: 'per-call',
    });
  });

  it('reports a provider failure as an outcome, keeping nothing', async () => {
    const { deps: d, sender, kept } = deps();
    sender.failing = true;
    const outcome = await sendText(d, request(1), logger);
    expect('failed' in outcome).toBe(true);
    expect(kept).toEqual([]);
  });
});

describe('owesTextBack', () => {
  const spoke = [{ seq: 1, role: 'caller' as const, text: 'Hi, my boiler leaks.', at: NOW }];
  const row = (overrides: Partial<Parameters<typeof owesTextBack>[0]> = {}) => ({
    direction: 'inbound' as const,
    outcome: 'completed',
    turns: spoke,
    durationSeconds: 120,
    ...overrides,
  });

  it.each([
    ['a call the agent helped', row(), false],
    [
      'an outbound call nobody answered',
      row({ direction: 'outbound', outcome: 'no-answer', turns: [] }),
      false,
    ],
    ['a missed call', row({ outcome: 'no-answer', turns: [] }), true],
    ['an answered call where the caller never spoke', row({ turns: [] }), true],
    ['a very short call', row({ durationSeconds: 6 }), true],
    ['an engine outage', row({ outcome: 'engine-outage' }), true],
    ['a transfer nobody took', row({ outcome: 'transfer-unanswered' }), true],
  ])('%s', (_, call, owed) => {
    expect(owesTextBack(call)).toBe(owed);
  });
});
