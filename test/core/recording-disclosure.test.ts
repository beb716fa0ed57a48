import {
  dynamicVariables,
  RECORDING_DISCLOSURE,
  renderInstructions,
} from '../../services/core/call/persona.js';
import type { EngineCallContext } from '../../services/core/ports/engine.js';

const context = (overrides: Partial<EngineCallContext> = {}): EngineCallContext => ({
  callSid: 'CA0123456789abcdef0123456789abcdef',
  streamSid: 'MZ0123456789abcdef0123456789abcdef',
  direction: 'inbound',
  remoteNumber: '+12125550123',
  businessName: 'Bolt Plumbing',
  businessTimezone: 'America/New_York',
  now: Date.UTC(2026, 10, 25, 14),
  tools: [],
  ...overrides,
});

describe('recording disclosure in the first message', () => {
  it.each(['inbound', 'outbound'] as const)(
    'a recorded %s call says so first, on both engines',
    (direction) => {
      const recorded = context({ direction, recorded: true });
      // ElevenLabs speaks {{first_message}}; OpenAI is told what to say first in its instructions.
      expect(dynamicVariables(recorded).first_message).toContain(RECORDING_DISCLOSURE);
      expect(renderInstructions(recorded)).toContain(RECORDING_DISCLOSURE);
    },
  );

  it.each(['inbound', 'outbound'] as const)(
    'an unrecorded %s call says nothing about recording',
    (direction) => {
      const plain = context({ direction });
      expect(dynamicVariables(plain).first_message).not.toMatch(/record/i);
      expect(renderInstructions(plain)).not.toMatch(/recorded/i);
    },
  );

  it('after a mid-call failover the bridging line does not repeat it (the first greeting said it)', () => {
    const handover = { from: 'elevenlabs' as const, reason: 'dropped', turns: [], toolResults: [] };
    expect(dynamicVariables(context({ recorded: true, handover })).first_message).not.toContain(
      RECORDING_DISCLOSURE,
    );
  });
});
