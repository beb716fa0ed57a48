import { checkTargets, ladderSvg, ladderTable, type Rung, rungOf } from '../../bench/ladder/report';
import type { RungResult } from '../../bench/ladder/rung';
import { readStamp, stampedPayload } from '../../bench/ladder/stamp';
import { frameLevelDb } from '../../services/bridge/turn-taking/caller-vad';

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
    setupProbe: { calls: 20, reached: 20, cpuMsPerCall: 2, idleCpuPercent: 0.1, seconds: 1.3 },
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
      rungOf(200, [{ ours: result('ours', 200), relay: result('relay', 200) }]),
      rungOf(300, [
        {
          ours: result('ours', 300, {
            cpuMicrosPerFrameBestSlice: 30,
            agent: { p50: 5, p99: 60, max: 90, samples: 1, sent: 10, received: 9, lost: 1 },
          }),
          relay: result('relay', 300),
        },
      ]),
    ];
    const missed = checkTargets(rungs)
      .filter((c) => !c.met)
      .map((c) => c.name);
    expect(missed).toEqual([
      'CPU per frame at 300 calls, ours / relay (median of 1 pairs)',
      '300 calls: p99 both ways, frames lost',
    ]);
    expect(ladderTable(rungs).split('\n')).toHaveLength(4);
    expect(ladderSvg(rungs, 'a <title>')).toContain('<title>a &lt;title&gt;</title>');
  });

  it('stands a rung by the median of its interleaved pairs, with their spread', () => {
    const pair = (ours: number) => ({
      ours: result('ours', 100, { cpuMicrosPerFrameBestSlice: ours }),
      relay: result('relay', 100, { cpuMicrosPerFrameBestSlice: 20 }),
    });
    const rung = rungOf(100, [pair(30), pair(21), pair(22)]);
    expect(rung.ratio).toEqual({ median: 1.1, min: 1.05, max: 1.5 });
    expect(rung.ours.cpuMicrosPerFrameBestSlice).toBe(22);
    expect(checkTargets([rung]).find((c) => c.name.startsWith('CPU'))?.met).toBe(true);
  });

  it('checks setup CPU per call against its target by the median of the setup probes of the pairs', () => {
    const pair = (ours: number, relay: number) => ({
      ours: result('ours', 100, { setupCpuMsPerCall: ours }),
      relay: result('relay', 100, { setupCpuMsPerCall: relay }),
    });
    const rung = rungOf(100, [pair(12, 3), pair(7, 2), pair(7.5, 4)]);
    expect(rung.setupCpuMs).toEqual({
      ours: { median: 7.5, min: 7, max: 12 },
      relay: { median: 3, min: 2, max: 4 },
    });
    expect(checkTargets([rung]).find((c) => c.name.includes('setup CPU'))).toMatchObject({
      value: '7.50 ms (7.00–12.00)',
      met: true,
    });
    expect(ladderTable([rung])).toContain('7.50 (7.00–12.00) / 3.00 (2.00–4.00)');
  });

  it('holds the OpenAI path to its own ratio: 1.2× passes there and misses on ElevenLabs', () => {
    const rung = rungOf(200, [
      {
        ours: result('ours', 200, { cpuMicrosPerFrameBestSlice: 24 }),
        relay: result('relay', 200, { cpuMicrosPerFrameBestSlice: 20 }),
      },
    ]);
    const ratioCheck = (path: 'elevenlabs' | 'openai') =>
      checkTargets([rung], path).find((c) => c.name.startsWith('CPU per frame'));
    expect(ratioCheck('openai')).toMatchObject({ target: '≤ 1.25×', met: true });
    expect(ratioCheck('elevenlabs')).toMatchObject({ target: '≤ 1.1×', met: false });
  });

  it('leaves the caller-speech detector out of the ratio, per caller frame spread over every frame forwarded', () => {
    const pair = {
      ours: result('ours', 100, { cpuMicrosPerFrameBestSlice: 26 }),
      relay: result('relay', 100, { cpuMicrosPerFrameBestSlice: 20 }),
    };
    // Caller and agent frames in equal numbers: 2 µs per caller frame is 1 µs per frame forwarded.
    const rung = rungOf(100, [pair], 2);
    expect(rung.ratio.median).toBeCloseTo(25 / 20);
    expect(rung.leftOutMicrosPerFrame).toBeCloseTo(1);
    expect(checkTargets([rung], 'openai').find((c) => c.name.startsWith('CPU per frame'))).toMatchObject({
      name: expect.stringContaining('less the caller-speech detector'),
      met: true,
    });
    expect(rungOf(100, [pair]).ratio.median).toBeCloseTo(1.3);
  });

  it('stamps speech frames with a voiced tail the bridge hears as speech', () => {
    const quiet = Buffer.from(stampedPayload(1, 1, 0), 'base64');
    const voiced = Buffer.from(stampedPayload(1, 1, 0, true), 'base64');
    expect(voiced.subarray(0, 18)).toEqual(quiet.subarray(0, 18));
    expect(frameLevelDb(voiced.subarray(18))).toBeGreaterThan(-26);
    expect(frameLevelDb(quiet.subarray(18))).toBeLessThan(-70);
  });
});
