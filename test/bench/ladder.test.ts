import { checkTargets, ladderSvg, ladderTable, type Rung } from '../../bench/ladder/report';
import type { RungResult } from '../../bench/ladder/rung';
import { readStamp, stampedPayload } from '../../bench/ladder/stamp';

function result(mode: 'ours' | 'relay', calls: number, overrides: Partial<RungResult> = {}): RungResult {
  const dist = { p50: 2, p99: 8, max: 12, samples: 1000 };
  return {
    mode,
    calls,
    callsLive: calls,
    windowSeconds: 10,
    caller: { ...dist, sent: 5000, received: 5000, lost: 0, lostAtStart: 0 },
    agent: { ...dist, sent: 5000, received: 5000, lost: 0 },
    cpuMicrosPerFrame: 25,
    cpuMicrosPerFrameBestSlice: 24,
    bridgeCpuPercent: 40,
    generatorCpuPercent: 50,
    generatorLagP99Ms: 2,
    generatorLimited: false,
    generatorStarved: false,
    rssPerCallKiB: 100,
    heapPerCallKiB: 40,
    externalPerCallKiB: 20,
    setup: { p50: 8, p99: 15, max: 20, samples: calls },
    setupCpuMsPerCall: 2,
    errors: {},
    ...overrides,
  };
}

describe('bench ladder', () => {
  it('stamps a frame so the far side reads back call, sequence and send time from valid μ-law base64', () => {
    const payload = stampedPayload(42, 7, 1234.5);
    expect(Buffer.from(payload, 'base64')).toHaveLength(160);
    const text = `{"user_audio_chunk":"${payload}"}`;
    expect(readStamp(text, 21)).toEqual({ call: 42, seq: 7, sentAt: 1234.5 });
    expect(readStamp('{"user_audio_chunk":"AA"}', 21)).toBeUndefined();
  });

  it('reads the targets from a report, naming what was missed', () => {
    const rungs: Rung[] = [
      { calls: 200, ours: result('ours', 200), relay: result('relay', 200) },
      {
        calls: 300,
        ours: result('ours', 300, {
          cpuMicrosPerFrameBestSlice: 30,
          agent: { p50: 5, p99: 60, max: 90, samples: 1, sent: 10, received: 9, lost: 1 },
        }),
        relay: result('relay', 300),
      },
    ];
    const missed = checkTargets(rungs)
      .filter((c) => !c.met)
      .map((c) => c.name);
    expect(missed).toEqual([
      'CPU per frame at 300 calls, ours / relay (best 1 s slice)',
      '300 calls: p99 both ways, frames lost',
    ]);
    expect(ladderTable(rungs).split('\n')).toHaveLength(4);
    expect(ladderSvg(rungs, 'a <title>')).toContain('<title>a &lt;title&gt;</title>');
  });
});
