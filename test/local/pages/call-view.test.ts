import type { Turn } from '../../../services/core/call/call-session.js';
import { callView, summariseLatencies, turnLatencies } from '../../../services/local/pages/call-view.js';

const turn = (seq: number, role: Turn['role'], at: number): Turn => ({ seq, role, text: `t${seq}`, at });

describe('per-turn latency from the transcript times', () => {
  test('each agent answer right after a caller turn counts; the greeting does not', () => {
    const turns = [
      turn(1, 'agent', 0),
      turn(2, 'caller', 5000),
      turn(3, 'agent', 5400),
      turn(4, 'caller', 9000),
      turn(5, 'agent', 9900),
    ];
    expect(turnLatencies(turns)).toEqual([
      { callerSeq: 2, agentSeq: 3, ms: 400 },
      { callerSeq: 4, agentSeq: 5, ms: 900 },
    ]);
  });

  test('two caller turns in a row, or a clock going back, give no figure', () => {
    expect(turnLatencies([turn(1, 'caller', 10), turn(2, 'caller', 20), turn(3, 'agent', 15)])).toEqual([]);
  });

  test('p50 and p90 are nearest-rank percentiles', () => {
    const latencies = [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000].map((ms, i) => ({
      callerSeq: i,
      agentSeq: i + 1,
      ms,
    }));
    expect(summariseLatencies(latencies)).toEqual({ turns: 10, p50Ms: 500, p90Ms: 900 });
    expect(summariseLatencies([])).toBeUndefined();
  });

  test('a call view takes outcome and duration from finalisation, else from the session', () => {
    const session = {
      callSid: `CA${'a'.repeat(32)}`,
      direction: 'inbound' as const,
      from: '+15550100123',
      to: '+15550100100',
      provider: 'elevenlabs' as const,
      streamTokenHash: 'h',
      status: 'ended' as const,
      createdAt: 1000,
      streamingAt: 2000,
      endedAt: 14_400,
    };
    const live = callView({ session, turns: [], toolCalls: [] });
    expect(live).toMatchObject({ outcome: 'ending', durationSeconds: 12, engine: 'elevenlabs' });
    const final = callView(
      { session: { ...session, status: 'finalised', servedBy: 'openai' }, turns: [], toolCalls: [] },
      {
        callSid: session.callSid,
        status: 'completed',
        durationSeconds: 13,
        at: 15_000,
        step: 'done',
        attempts: 1,
        updatedAt: 15_000,
      },
    );
    expect(final).toMatchObject({
      outcome: 'completed',
      durationSeconds: 13,
      engine: 'openai',
      finalisation: 'done',
    });
  });
});
