import { BridgeMetrics } from '../../services/bridge/metrics';

/** The embedded-metric-format lines Powertools writes (one JSON object per line). */
function emitted(run: () => void): Array<Record<string, unknown>> {
  const lines: string[] = [];
  const keep = (chunk: unknown) =>
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((line) => line.trim().startsWith('{')),
    );
  // Powertools writes with the global console in dev mode (the test setup) and to stdout otherwise.
  const log = jest.spyOn(console, 'log').mockImplementation(keep);
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    keep(chunk);
    return true;
  });
  try {
    run();
  } finally {
    log.mockRestore();
    write.mockRestore();
  }
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('BridgeMetrics', () => {
  // The test setup sets POWERTOOLS_DEV, which turns metrics off unless told otherwise.
  const before = process.env.POWERTOOLS_METRICS_DISABLED;
  beforeAll(() => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  });
  afterAll(() => {
    if (before === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = before;
  });

  it('publishes TurnLatency in milliseconds with the engine as a dimension', () => {
    const [metric] = emitted(() => new BridgeMetrics('BoltVoice', 'bridge').turnLatency(640, 'openai'));
    expect(metric).toMatchObject({ TurnLatency: 640, engine: 'openai', service: 'bridge' });
    const aws = metric!._aws as {
      CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: unknown[] }>;
    };
    expect(aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'BoltVoice',
      Metrics: [{ Name: 'TurnLatency', Unit: 'Milliseconds' }],
    });
    expect(aws.CloudWatchMetrics[0]!.Dimensions[0]).toEqual(expect.arrayContaining(['service', 'engine']));
  });

  it('counts a mid-call switch as one more failover, not as another call', () => {
    const metrics = emitted(() =>
      new BridgeMetrics('BoltVoice', 'bridge').engineChosen({
        chosen: 'elevenlabs',
        servedBy: 'openai',
        midCall: true,
      }),
    );
    expect(metrics.map((m) => Object.keys(m).filter((k) => /^[A-Z]/.test(k)))).toEqual([['EngineFailovers']]);
  });
});
