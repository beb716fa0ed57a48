import { parseBenchOptions } from '../../bench/options';

describe('npm run bench options', () => {
  it('defaults to the full ladder, and --quick to one small rung without extras', () => {
    expect(parseBenchOptions([])).toMatchObject({
      quick: false,
      rungs: [50, 100, 200, 300],
      windowMs: 10_000,
      rampPerSecond: 20,
      extras: true,
      pin: true,
      fromSource: false,
    });
    expect(parseBenchOptions(['--quick'])).toMatchObject({ rungs: [10], windowMs: 2000, extras: false });
  });

  it('runs interleaved pairs (3, quick 1) on the ElevenLabs path unless told otherwise', () => {
    expect(parseBenchOptions([])).toMatchObject({ pairs: 3, path: 'elevenlabs' });
    expect(parseBenchOptions(['--quick'])).toMatchObject({ pairs: 1 });
    expect(parseBenchOptions(['--pairs', '5', '--path', 'openai'])).toMatchObject({
      pairs: 5,
      path: 'openai',
    });
    expect(() => parseBenchOptions(['--pairs', '0'])).toThrow(/--pairs/);
    expect(() => parseBenchOptions(['--path', 'vapi'])).toThrow(/--path/);
  });

  it('runs a setup probe of 20 calls (quick 5) before each ramp, or as many as asked', () => {
    expect(parseBenchOptions([])).toMatchObject({ setupCalls: 20 });
    expect(parseBenchOptions(['--quick'])).toMatchObject({ setupCalls: 5 });
    expect(parseBenchOptions(['--setup-calls', '50'])).toMatchObject({ setupCalls: 50 });
    expect(() => parseBenchOptions(['--setup-calls', '0'])).toThrow(/--setup-calls/);
  });

  it('reads the rungs, window, ramp and side asked for', () => {
    expect(
      parseBenchOptions([
        '--rungs',
        '100,300',
        '--window',
        '20',
        '--ramp',
        '5',
        '--only',
        'ours',
        '--no-pin',
        '--from-source',
      ]),
    ).toMatchObject({
      rungs: [100, 300],
      windowMs: 20_000,
      rampPerSecond: 5,
      only: 'ours',
      pin: false,
      fromSource: true,
    });
  });

  it.each([
    [['--rungs', 'abc'], /--rungs: a comma-separated list/],
    [['--rungs', '100,0'], /--rungs: /],
    [['--window=-1'], /--window: more than 0 seconds/],
    [['--window', 'soon'], /--window: /],
    [['--ramp', '0'], /--ramp: more than 0 calls a second/],
    [['--only', 'both'], /--only: /],
    [['--rung', '100'], /Unknown option '--rung'/],
  ])('refuses %j with a message naming the option', (argv, message) => {
    expect(() => parseBenchOptions(argv)).toThrow(message);
  });
});
