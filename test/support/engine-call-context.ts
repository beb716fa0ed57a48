import type { EngineCallContext } from '../../services/core/ports/engine';

/** The inbound call the engine adapter tests start a session for: a returning customer, Dana. */
export function engineCallContext(overrides: Partial<EngineCallContext> = {}): EngineCallContext {
  return {
    callSid: 'CA0123456789abcdef0123456789abcdef',
    streamSid: 'MZ0123456789abcdef0123456789abcdef',
    direction: 'inbound',
    remoteNumber: '+15551230000',
    businessName: 'Harbor Dental',
    businessTimezone: 'America/New_York',
    now: Date.UTC(2026, 10, 25, 14, 30),
    customer: { id: 'c1', name: 'Dana' },
    tools: [],
    ...overrides,
  };
}
